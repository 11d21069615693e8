/**
 * Runs the metric collectors on each scrape (from memory: never a round-trip to OVS) and renders
 * the result through prom-client's registry. Each collector's success and duration is reported
 * (node_exporter's scrape_collector_* pattern); one failing collector never hides the others.
 */
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '../../common/log.js';
import { SampledLog } from '../../common/log.js';
import { METRICS, type MetricCollector, type MetricSink, type MetricSpec } from '../../common/metrics.js';
import { describeError } from '../../common/errors.js';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

type PromMetric = Counter | Gauge;

/** One family whose samples are produced by the collectors during the current scrape. */
class Family {
  readonly metric: PromMetric;
  samples: Sample[] = [];

  constructor(readonly spec: MetricSpec) {
    const config = { name: spec.name, help: spec.help, labelNames: spec.labels, registers: [] };
    this.metric = spec.type === 'counter' ? new Counter(config) : new Gauge(config);
    // prom-client asks each metric for its values; ours were gathered for this scrape already.
    // (Its typings declare `type` as an enum, but the registry reads the string: 'counter'.)
    const get = async () => ({ name: spec.name, help: spec.help, type: spec.type, values: this.samples, aggregator: 'sum' });
    this.metric.get = get as unknown as PromMetric['get'];
  }
}

export class PrometheusRegistry {
  readonly registry = new Registry();
  private readonly families = new Map<string, Family>();
  private readonly warn: SampledLog;
  private readonly sink: MetricSink;

  constructor(
    private readonly collectors: readonly MetricCollector[],
    logger: Logger,
  ) {
    this.warn = new SampledLog(logger);
    this.sink = {
      add: (spec, labelValues, value) => {
        const labels: Record<string, string> = {};
        for (let i = 0; i < spec.labels.length; i++) labels[spec.labels[i]] = labelValues[i] ?? '';
        this.family(spec).samples.push({ labels, value });
      },
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private family(spec: MetricSpec): Family {
    let family = this.families.get(spec.name);
    if (family === undefined) {
      family = new Family(spec);
      this.families.set(spec.name, family);
      this.registry.registerMetric(family.metric);
    }
    return family;
  }

  /** Collects every source and renders the text exposition format. */
  async render(): Promise<string> {
    for (const family of this.families.values()) family.samples = [];
    for (const collector of this.collectors) {
      const start = performance.now();
      let ok = 1;
      try {
        collector.collect(this.sink);
      } catch (err) {
        ok = 0;
        this.warn.warn(`collector:${collector.name}`, { collector: collector.name, err: describeError(err) }, 'collector failed');
      }
      this.sink.add(METRICS.scrapeCollectorSuccess, [collector.name], ok);
      this.sink.add(METRICS.scrapeCollectorDuration, [collector.name], (performance.now() - start) / 1000);
    }
    return this.registry.metrics();
  }
}
