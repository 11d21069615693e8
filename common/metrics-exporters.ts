/**
 * Self-metrics of the exporters (OTLP, InfluxDB, the Prometheus endpoint): what was delivered,
 * what failed, what waits in a buffer and what was dropped. Part of the metric catalogue
 * (common/metrics.ts), kept in its own file per domain.
 */
import { counter, gauge } from './metrics.js';

const EXPORTER: readonly string[] = Object.freeze(['exporter']);

export const EXPORTER_METRICS = Object.freeze({
  pointsSent: counter('ovs_telemetry_exporter_points_sent_total', '1', EXPORTER,
    'Points delivered and acknowledged by the destination (OTLP data points or log records, InfluxDB points).'),
  sendFailures: counter('ovs_telemetry_exporter_send_failures_total', '1', EXPORTER,
    'Export requests that failed (destination down, timeout, rejected); buffered points are retried with backoff.'),
  pointsDropped: counter('ovs_telemetry_exporter_points_dropped_total', '1', ['exporter', 'reason'],
    'Points given up: reason buffer_full (oldest dropped while the destination was down), rejected (the destination refused them as invalid), failed (an export without a buffer failed).'),
  bufferPoints: gauge('ovs_telemetry_exporter_buffer_points', '1', EXPORTER, 'Points waiting in the exporter\'s buffer for delivery.'),
  bufferCapacity: gauge('ovs_telemetry_exporter_buffer_capacity_points', '1', EXPORTER, 'Points the exporter\'s buffer holds at most before it drops the oldest.'),
  lastSuccess: gauge('ovs_telemetry_exporter_last_success_timestamp_seconds', 's', EXPORTER,
    'Unix time of the last successful export (0 before the first one).'),
  seriesOverflow: counter('ovs_telemetry_exposition_series_overflow_total', '1', ['family'],
    'Series left out of /metrics because their family reached web.max_series_per_family (the cardinality guard).'),
});
