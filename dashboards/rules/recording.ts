/**
 * Recording rules: per-network and per-port rates over one minute. Port rates carry the
 * port's Neutron port, network and project (joined from ovs_interface_info), so the alerts
 * built on them have the labels the enforcer's mapping reads. Names follow Prometheus'
 * `level:metric:operations` convention, the metric part taken from the catalogue.
 */
import { METRICS, type MetricSpec } from '../../common/metrics.js';
import { withTenancy } from '../panels/interfaces.js';
import { by, rate, stem } from '../panels/promql.js';
import type { RecordingRule, RuleGroup } from './types.js';

export const RATE_WINDOW = '1m';

const NETWORK_COUNTERS = [METRICS.networkReceiveBytes, METRICS.networkTransmitBytes, METRICS.networkReceivePackets, METRICS.networkTransmitPackets];
const PORT_COUNTERS = [
  METRICS.interfaceReceiveBytes,
  METRICS.interfaceTransmitBytes,
  METRICS.interfaceReceivePackets,
  METRICS.interfaceTransmitPackets,
  METRICS.interfaceReceiveDropped,
  METRICS.interfaceTransmitDropped,
];
const DROP_COUNTERS = [METRICS.interfaceReceiveDropped, METRICS.interfaceTransmitDropped];

/** The series name a recording rule gives a counter's rate at a level (`network`, `port`). */
export function recordedRate(level: 'network' | 'port', spec: MetricSpec): string {
  if (level === 'network' && !NETWORK_COUNTERS.includes(spec) && !DROP_COUNTERS.includes(spec)) throw new Error(`no network-level rate recorded for ${spec.name}`);
  if (level === 'port' && !PORT_COUNTERS.includes(spec)) throw new Error(`no port-level rate recorded for ${spec.name}`);
  return `${level}:${stem(spec)}:rate${RATE_WINDOW}`;
}

export function recordingRules(): RuleGroup<RecordingRule>[] {
  const rules: RecordingRule[] = [
    ...NETWORK_COUNTERS.map((spec) => ({ record: recordedRate('network', spec), expr: rate(spec, {}, RATE_WINDOW) })),
    ...PORT_COUNTERS.map((spec) => ({ record: recordedRate('port', spec), expr: withTenancy(rate(spec, {}, RATE_WINDOW), {}) })),
    // Drops have no per-network counter: sum the ports' rates over their network.
    ...DROP_COUNTERS.map((spec) => ({
      record: recordedRate('network', spec),
      expr: by('sum', METRICS.interfaceInfo, ['job', 'instance', 'host', 'network_id', 'project_id'], recordedRate('port', spec)),
    })),
  ];
  return [{ name: 'ovs-telemetry.recording', rules }];
}
