/**
 * Runs the metric collectors on each scrape (from memory: never a round-trip to OVS) and renders
 * the result. Each collector's success and duration is reported (node_exporter's
 * scrape_collector_* pattern); one failing collector never hides the others. The collector's
 * own process metrics come from prom-client's default metrics.
 */
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from '../../common/log.js';
import { SampledLog } from '../../common/log.js';
import { METRICS, type MetricCollector } from '../../common/metrics.js';
import { describeError } from '../../common/errors.js';
import { ExpositionWriter } from './exposition.js';

export class PrometheusRegistry {
  private readonly process = new Registry();
  private readonly writer = new ExpositionWriter();
  private readonly warn: SampledLog;

  constructor(
    private readonly collectors: readonly MetricCollector[],
    logger: Logger,
  ) {
    this.warn = new SampledLog(logger);
    collectDefaultMetrics({ register: this.process });
    // These three are gauges named *_total (promtool rejects that) and duplicate
    // nodejs_active_{handles,requests,resources}, which stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.process.removeSingleMetric(name);
    }
  }

  get contentType(): string {
    return this.process.contentType;
  }

  /** Collects every source and renders the text exposition format. */
  async render(): Promise<Buffer> {
    // prom-client's part first: everything after it runs synchronously, so the shared writer
    // is never used by two scrapes at once.
    const processMetrics = Buffer.from(await this.process.metrics());
    const writer = this.writer;
    writer.begin();
    for (const collector of this.collectors) {
      const start = performance.now();
      let ok = 1;
      try {
        collector.collect(writer);
      } catch (err) {
        ok = 0;
        this.warn.warn(`collector:${collector.name}`, { collector: collector.name, err: describeError(err) }, 'collector failed');
      }
      writer.add(METRICS.scrapeCollectorSuccess, [collector.name], ok);
      writer.add(METRICS.scrapeCollectorDuration, [collector.name], (performance.now() - start) / 1000);
    }
    return writer.render(processMetrics);
  }
}
