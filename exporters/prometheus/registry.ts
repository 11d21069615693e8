/**
 * Runs the metric collectors on each scrape (from memory: never a round-trip to OVS) and renders
 * the result, as Prometheus text or OpenMetrics. Each collector's success and duration is
 * reported (node_exporter's scrape_collector_* pattern); one failing collector never hides the
 * others. A cardinality guard caps the series per family (overflow counted and logged once per
 * family). The collector's own process metrics come from prom-client's default metrics.
 */
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry, type RegistryContentType } from 'prom-client';
import type { Logger } from '../../common/log.js';
import { SampledLog } from '../../common/log.js';
import { METRICS, type MetricCollector } from '../../common/metrics.js';
import { EXPORTER_METRICS } from '../../common/metrics-exporters.js';
import { describeError } from '../../common/errors.js';
import { CONTENT_TYPES, ExpositionWriter, type ExpositionFormat } from './exposition.js';

export interface PrometheusRegistryOptions {
  /** Series per family and scrape; more are left out (counted in ovs_telemetry_exposition_series_overflow_total). */
  readonly maxSeriesPerFamily?: number;
}

/** prom-client's registry of the process metrics, in one exposition format. */
function processRegistry(format: ExpositionFormat): Registry<RegistryContentType> {
  const registry = new Registry<RegistryContentType>();
  if (format === 'openmetrics') registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectDefaultMetrics({ register: registry });
  // These three are gauges named *_total (promtool rejects that) and duplicate
  // nodejs_active_{handles,requests,resources}, which stay.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  return registry;
}

const EOF_LINE = '# EOF\n';

export class PrometheusRegistry {
  private readonly process: Partial<Record<ExpositionFormat, Registry<RegistryContentType>>> = {};
  private readonly writer: ExpositionWriter;
  private readonly warn: SampledLog;

  constructor(
    private readonly collectors: readonly MetricCollector[],
    logger: Logger,
    opts: PrometheusRegistryOptions = {},
  ) {
    this.warn = new SampledLog(logger);
    this.writer = new ExpositionWriter({
      maxSeriesPerFamily: opts.maxSeriesPerFamily,
      onFirstOverflow: (spec, limit) =>
        logger.warn({ family: spec.name, limit }, 'metric family reached web.max_series_per_family; further series left out (counted in ovs_telemetry_exposition_series_overflow_total)'),
    });
    this.processRegistry('text');
  }

  /** The content type of the text format (what render() returns by default). */
  get contentType(): string {
    return CONTENT_TYPES.text;
  }

  contentTypeOf(format: ExpositionFormat): string {
    return CONTENT_TYPES[format];
  }

  /** Collects every source and renders the exposition in `format`. */
  async render(format: ExpositionFormat = 'text'): Promise<Buffer> {
    // prom-client's part first: everything after it runs synchronously, so the shared writer
    // is never used by two scrapes at once.
    let processMetrics = await this.processRegistry(format).metrics();
    // The writer ends OpenMetrics itself, after everything.
    if (processMetrics.endsWith(EOF_LINE)) processMetrics = processMetrics.slice(0, -EOF_LINE.length);
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
    for (const [spec, n] of writer.overflow) writer.add(EXPORTER_METRICS.seriesOverflow, [spec.name], n);
    return writer.render(format, Buffer.from(processMetrics));
  }

  private processRegistry(format: ExpositionFormat): Registry<RegistryContentType> {
    // The OpenMetrics one is made on the first OpenMetrics scrape only.
    return (this.process[format] ??= processRegistry(format));
  }
}
