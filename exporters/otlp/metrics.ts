/**
 * Pushes the collectors' metrics over OTLP on an interval, with the OpenTelemetry metrics SDK.
 * Every family becomes an observable instrument (counters: ObservableCounter, a monotonic sum;
 * gauges: ObservableGauge) and one batch callback runs the collectors once per export and
 * observes all instruments from that one pass. Names and attributes: see names.ts.
 * Counters go out with cumulative temporality unless delta is configured.
 */
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type AggregationOption,
  type InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { Logger } from '../../common/log.js';
import { SampledLog } from '../../common/log.js';
import { METRICS, type MetricCollector, type MetricSpec } from '../../common/metrics.js';
import { EXPORTER_METRICS } from '../../common/metrics-exporters.js';
import { VERSION } from '../../common/version.js';
import { isInterfaceSeries, takeSnapshot, type Sample, type Snapshot } from '../snapshot.js';
import { ExporterStats } from '../stats.js';
import { ATTR_OPENSTACK_NETWORK_ID, ATTR_OPENSTACK_PORT_ID, ATTR_OPENSTACK_PROJECT_ID, attributeName, otelName } from './names.js';
import { otlpResource, type OtlpResourceOptions } from './resource.js';
import { createMetricExporter, type OtlpTransportOptions, type Temporality } from './transport.js';

export interface OtlpMetricsExporterOptions {
  /** The same collectors the Prometheus registry runs. */
  readonly collectors: readonly MetricCollector[];
  readonly transport: OtlpTransportOptions;
  readonly intervalMillis: number;
  readonly temporality: Temporality;
  /** Series per metric before the SDK folds the rest into one otel.metric.overflow series (SDK default 2000). */
  readonly maxSeriesPerMetric: number;
  readonly resource: OtlpResourceOptions;
  readonly logger: Logger;
  /**
   * Families whose instruments exist from the start (default: the whole catalogue), so the first
   * export already has them; families outside it get theirs when first seen, from the next export.
   */
  readonly catalogue?: readonly MetricSpec[];
  /** Replaces the OTLP exporter (tests). */
  readonly exporter?: PushMetricExporter;
}

const CATALOGUE: readonly MetricSpec[] = [...Object.values(METRICS), ...Object.values(EXPORTER_METRICS)];

type ExportResultCallback = Parameters<PushMetricExporter['export']>[1];
// ExportResultCode.SUCCESS of @opentelemetry/core.
const EXPORT_SUCCESS = 0;

function countPoints(metrics: ResourceMetrics): number {
  let n = 0;
  for (const scope of metrics.scopeMetrics) for (const metric of scope.metrics) n += metric.dataPoints.length;
  return n;
}

/** Counts what the OTLP exporter delivers and fails (the SDK itself only logs through `diag`). */
class CountingExporter implements PushMetricExporter {
  constructor(
    private readonly inner: PushMetricExporter,
    private readonly stats: ExporterStats,
    private readonly warn: SampledLog,
  ) {}

  export(metrics: ResourceMetrics, resultCallback: ExportResultCallback): void {
    const points = countPoints(metrics);
    this.inner.export(metrics, (result) => {
      if (result.code === EXPORT_SUCCESS) {
        this.stats.succeeded(points);
      } else {
        this.stats.failures++;
        this.stats.dropped.failed += points;
        this.warn.warn('otlp-metrics-export', { err: result.error?.message, points }, 'OTLP metrics export failed');
      }
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return this.inner.selectAggregationTemporality?.(type) ?? AggregationTemporality.CUMULATIVE;
  }

  selectAggregation(type: InstrumentType): AggregationOption {
    return this.inner.selectAggregation?.(type) ?? { type: AggregationType.DEFAULT };
  }
}

/** How one catalogue family is observed: its instrument and attribute names, worked out once. */
interface Binding {
  readonly instrument: Observable;
  readonly attributeNames: readonly string[];
  readonly fixed: Readonly<Record<string, string>>;
  readonly interfaceSeries: boolean;
  registered: boolean;
}

export class OtlpMetricsExporter {
  readonly stats = new ExporterStats('otlp_metrics', 0);
  private readonly warn: SampledLog;
  private readonly bindings = new Map<MetricSpec, Binding>();
  private readonly instruments = new Map<string, { instrument: Observable; type: MetricSpec['type'] }>();
  private provider: MeterProvider | undefined;
  private meter: Meter | undefined;
  private reregisterQueued = false;
  private registered: Observable[] = [];

  constructor(private readonly opts: OtlpMetricsExporterOptions) {
    this.warn = new SampledLog(opts.logger);
  }

  /** Creates the SDK pipeline and its instruments (from a first pass over the collectors). */
  start(): void {
    if (this.provider !== undefined) return;
    const opts = this.opts;
    const exporter = new CountingExporter(opts.exporter ?? createMetricExporter(opts.transport, opts.temporality), this.stats, this.warn);
    const reader = new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: opts.intervalMillis,
      // The SDK requires the timeout to fit in the interval.
      exportTimeoutMillis: Math.min(opts.transport.timeoutMillis, opts.intervalMillis),
      cardinalityLimits: { default: opts.maxSeriesPerMetric },
    });
    this.provider = new MeterProvider({ resource: otlpResource(opts.resource), readers: [reader] });
    this.meter = this.provider.getMeter('ovs-telemetry', VERSION);
    for (const spec of opts.catalogue ?? CATALOGUE) this.bind(spec);
    this.register();
  }

  /** Exports now (tests, and before a planned stop). */
  async forceFlush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Exports a last time and stops. */
  async stop(): Promise<void> {
    const provider = this.provider;
    this.provider = undefined;
    await provider?.shutdown();
  }

  private snapshot(): Snapshot {
    return takeSnapshot(this.opts.collectors, (collector, err) =>
      this.warn.warn(`collector:${collector}`, { collector, err }, 'collector failed'));
  }

  private readonly observe = (result: BatchObservableResult): void => {
    const snapshot = this.snapshot();
    let unbound = false;
    for (const sample of snapshot.samples) {
      const binding = this.bindings.get(sample.spec) ?? this.bind(sample.spec);
      if (!binding.registered) {
        // A family seen for the first time: its instrument joins the callback after this round.
        unbound = true;
        continue;
      }
      result.observe(binding.instrument, sample.value, this.attributes(sample, binding, snapshot));
    }
    if (unbound && !this.reregisterQueued) {
      this.reregisterQueued = true;
      // Not during the SDK's walk over its callbacks.
      setImmediate(() => {
        this.reregisterQueued = false;
        this.register();
      });
    }
  };

  private attributes(sample: Sample, binding: Binding, snapshot: Snapshot): Attributes {
    const attrs: Attributes = { ...binding.fixed };
    const names = binding.attributeNames;
    for (let i = 0; i < names.length; i++) {
      const value = sample.labels[i];
      // Prometheus treats an empty label as absent; so does this.
      if (value !== undefined && value !== '') attrs[names[i]] = value;
    }
    if (binding.interfaceSeries) {
      const tenancy = snapshot.tenancyOf(sample.labels);
      if (tenancy !== undefined) {
        attrs[ATTR_OPENSTACK_PORT_ID] = tenancy.neutronPortId;
        attrs[ATTR_OPENSTACK_NETWORK_ID] = tenancy.networkId;
        attrs[ATTR_OPENSTACK_PROJECT_ID] = tenancy.projectId;
      }
    }
    return attrs;
  }

  private bind(spec: MetricSpec): Binding {
    const meter = this.meter;
    if (meter === undefined) throw new Error('OtlpMetricsExporter: bind before start');
    const otel = otelName(spec);
    let entry = this.instruments.get(otel.name);
    if (entry === undefined) {
      const options = { description: otel.description, unit: spec.unit };
      const instrument = spec.type === 'counter' ? meter.createObservableCounter(otel.name, options) : meter.createObservableGauge(otel.name, options);
      entry = { instrument, type: spec.type };
      this.instruments.set(otel.name, entry);
    } else if (entry.type !== spec.type) {
      this.warn.warn(`otlp-type:${otel.name}`, { metric: otel.name, family: spec.name }, 'families of different types map to one OTLP metric; the first type is kept');
    }
    const binding: Binding = {
      instrument: entry.instrument,
      attributeNames: spec.labels.map(attributeName),
      fixed: otel.fixed,
      interfaceSeries: isInterfaceSeries(spec),
      registered: false,
    };
    this.bindings.set(spec, binding);
    return binding;
  }

  /** (Re-)registers the one batch callback over every instrument created so far. */
  private register(): void {
    const meter = this.meter;
    if (meter === undefined) return;
    const observables = [...this.instruments.values()].map((e) => e.instrument);
    // The SDK finds a registration by its callback and its exact instrument list.
    if (this.registered.length > 0) meter.removeBatchObservableCallback(this.observe, this.registered);
    meter.addBatchObservableCallback(this.observe, observables);
    this.registered = observables;
    for (const binding of this.bindings.values()) binding.registered = true;
  }
}
