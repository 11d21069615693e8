/**
 * Push exporters (OTLP, InfluxDB) and the /metrics cardinality guard: what is delivered, what
 * fails, what waits in the buffer and what is given up.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { EXPORTER_METRICS } from '../../common/metrics-exporters.js';
import { timeseries, UNIT } from './panel.js';
import { by, rate, sel, type Matchers } from './promql.js';

const { pointsSent, sendFailures, pointsDropped, bufferPoints, bufferCapacity, lastSuccess, seriesOverflow } = EXPORTER_METRICS;
const EXPORTER = ['host', 'exporter'];

export function exporterDelivery(hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Exporter delivery',
    description: 'Points per second delivered by each push exporter, failed export requests, and points given up (buffer full, rejected, failed).',
    unit: UNIT.perSecond,
    min: 0,
    queries: [
      { expr: by('sum', pointsSent, EXPORTER, rate(pointsSent, hostScope)), legend: '{{exporter}} sent on {{host}}' },
      { expr: by('sum', sendFailures, EXPORTER, rate(sendFailures, hostScope)), legend: '{{exporter}} failed requests on {{host}}' },
      { expr: by('sum', pointsDropped, [...EXPORTER, 'reason'], rate(pointsDropped, hostScope)), legend: '{{exporter}} dropped ({{reason}}) on {{host}}' },
    ],
  });
}

export function exporterBuffer(hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Exporter buffer fill',
    description: 'Share of each exporter\'s buffer in use while its destination is slow or down (1 = full: the oldest points get dropped).',
    unit: UNIT.ratio,
    min: 0,
    max: 1,
    thresholds: [[null, 'green'], [0.5, 'orange'], [0.9, 'red']],
    queries: [{ expr: `${sel(bufferPoints, hostScope)} / ${sel(bufferCapacity, hostScope)}`, legend: '{{exporter}} on {{host}}' }],
  });
}

export function exporterAge(hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Time since last successful export',
    description: 'Seconds since each exporter last delivered (exporters that never succeeded yet are left out).',
    unit: UNIT.seconds,
    min: 0,
    queries: [{ expr: `time() - (${sel(lastSuccess, hostScope)} > 0)`, legend: '{{exporter}} on {{host}}' }],
  });
}

export function seriesGuard(hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Series left out of /metrics',
    description: 'Series dropped by the cardinality guard (web.max_series_per_family) per metric family.',
    unit: UNIT.perSecond,
    min: 0,
    thresholds: [[null, 'green'], [0.001, 'red']],
    queries: [{ expr: by('sum', seriesOverflow, ['host', 'family'], rate(seriesOverflow, hostScope)), legend: '{{family}} on {{host}}' }],
  });
}
