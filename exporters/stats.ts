/**
 * Delivery accounting of one push exporter, reported as the exporter self-metrics
 * (common/metrics-exporters.ts). The exporter updates the fields; `collect` reports them.
 */
import { EXPORTER_METRICS } from '../common/metrics-exporters.js';
import type { MetricCollector, MetricSink } from '../common/metrics.js';

export type DropReason = 'buffer_full' | 'rejected' | 'failed';

export class ExporterStats implements MetricCollector {
  readonly name: string;
  private readonly labels: readonly string[];
  private readonly dropLabels: Record<DropReason, readonly string[]>;
  sent = 0;
  failures = 0;
  readonly dropped: Record<DropReason, number> = { buffer_full: 0, rejected: 0, failed: 0 };
  /** Unix time in seconds of the last success, 0 before the first. */
  lastSuccess = 0;

  constructor(
    /** The `exporter` label value: otlp_metrics, otlp_logs, influxdb. */
    readonly exporter: string,
    /** Buffer capacity in points (0 for an exporter without a buffer). */
    readonly capacity: number,
    /** Points waiting in the buffer now. */
    private readonly bufferFill: () => number = () => 0,
  ) {
    this.name = `exporter_${exporter}`;
    this.labels = Object.freeze([exporter]);
    this.dropLabels = {
      buffer_full: Object.freeze([exporter, 'buffer_full']),
      rejected: Object.freeze([exporter, 'rejected']),
      failed: Object.freeze([exporter, 'failed']),
    };
  }

  succeeded(points: number): void {
    this.sent += points;
    this.lastSuccess = Date.now() / 1000;
  }

  collect(sink: MetricSink): void {
    sink.add(EXPORTER_METRICS.pointsSent, this.labels, this.sent);
    sink.add(EXPORTER_METRICS.sendFailures, this.labels, this.failures);
    for (const reason of ['buffer_full', 'rejected', 'failed'] as const) {
      sink.add(EXPORTER_METRICS.pointsDropped, this.dropLabels[reason], this.dropped[reason]);
    }
    sink.add(EXPORTER_METRICS.bufferPoints, this.labels, this.bufferFill());
    sink.add(EXPORTER_METRICS.bufferCapacity, this.labels, this.capacity);
    sink.add(EXPORTER_METRICS.lastSuccess, this.labels, this.lastSuccess);
  }
}
