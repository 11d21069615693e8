/**
 * Alert rules. Each alert keeps the labels of its series — `host` (which enforcer owns the
 * port), `interface`, `neutron_port_id`, `network_id`, `project_id` — because Alertmanager
 * routes on `host` and the enforcer's mapping rules read the rest. Bandwidth alerts add
 * `direction` from the VM's point of view (egress = sent by the VM = received by OVS on its
 * port), the direction the enforcer limits.
 */
import { METRICS, type MetricSpec } from '../../common/metrics.js';
import { DATAPATH_METRICS } from '../../common/metrics-datapath.js';
import { EXPORTER_METRICS } from '../../common/metrics-exporters.js';
import { ENFORCER_METRICS, ENFORCER_RESULT_FAILED } from '../../common/metrics-enforcer.js';
import { by, eq, increase, prometheusSel, rate, SCRAPE_JOBS, sel } from '../panels/promql.js';
import { recordedRate } from './recording.js';
import type { AlertingRule, RuleGroup } from './types.js';

/** Thresholds of the shipped rules; edit here and regenerate (`ovs-telemetry dashboards --rules-out`). */
export const ALERT_THRESHOLDS = Object.freeze({
  /** DESIGN.md's example: a port above 800 Mbit/s for 2 minutes gets throttled. */
  portBitsPerSecond: 800e6,
  networkBitsPerSecond: 2e9,
  bandwidthFor: '2m',
  portDropsPerSecond: 100,
  sflowLossRatio: 0.01,
  /** The same for IPFIX / NetFlow records missing from the sequence numbers. */
  flowExportLossRatio: 0.01,
  enforcerDriftPerHour: 10,
  /** The reconcile runs at least every OpenFlow poll (1 s by default). */
  enforcerReconcileAgeSeconds: 300,
  /** ovs-vswitchd evicts datapath flows at its flow limit. */
  flowLimitRatio: 0.9,
});

/** Every alert name starts with this (the boards' annotation shows the firing ones). */
export const ALERT_NAME_PREFIX = 'Ovs';

export const ALERT_NAMES = Object.freeze({
  collectorDown: `${ALERT_NAME_PREFIX}TelemetryCollectorDown`,
  ovsDown: `${ALERT_NAME_PREFIX}Down`,
  scraperFailing: `${ALERT_NAME_PREFIX}TelemetryScraperFailing`,
  portBandwidth: `${ALERT_NAME_PREFIX}PortBandwidthHigh`,
  networkBandwidth: `${ALERT_NAME_PREFIX}NetworkBandwidthHigh`,
  portDrops: `${ALERT_NAME_PREFIX}PortDropping`,
  lostUpcalls: `${ALERT_NAME_PREFIX}DatapathLostUpcalls`,
  flowLimit: `${ALERT_NAME_PREFIX}DatapathFlowLimitNear`,
  pollFailing: `${ALERT_NAME_PREFIX}TelemetryPollFailing`,
  sflowLoss: `${ALERT_NAME_PREFIX}SflowDatagramLoss`,
  sflowDecodeErrors: `${ALERT_NAME_PREFIX}SflowDecodeErrors`,
  flowExportLoss: `${ALERT_NAME_PREFIX}FlowExportRecordLoss`,
  flowExportDecodeErrors: `${ALERT_NAME_PREFIX}FlowExportDecodeErrors`,
  udpBufferDrops: `${ALERT_NAME_PREFIX}TelemetryReceiveBufferDrops`,
  flowListenerDown: `${ALERT_NAME_PREFIX}TelemetryFlowListenerDown`,
  flowRecordsDropped: `${ALERT_NAME_PREFIX}TelemetryFlowRecordsDropped`,
  exporterDropping: `${ALERT_NAME_PREFIX}TelemetryExporterDropping`,
  enforcerDown: `${ALERT_NAME_PREFIX}EnforcerDown`,
  enforcerFailing: `${ALERT_NAME_PREFIX}EnforcerActionsFailing`,
  enforcerDrift: `${ALERT_NAME_PREFIX}EnforcerDriftRepeated`,
  enforcerBlind: `${ALERT_NAME_PREFIX}EnforcerOvsUnreachable`,
  enforcerStalled: `${ALERT_NAME_PREFIX}EnforcerReconcileStalled`,
});

/** The alerts the enforcer acts on (Alertmanager routes these to the host's enforcer). */
export const ENFORCER_ALERTS: readonly string[] = Object.freeze([ALERT_NAMES.portBandwidth, ALERT_NAMES.networkBandwidth]);

const WINDOW = '5m';
const TARGET = ['job', 'instance', 'host'];

function alert(name: string, expr: string, forDuration: string, severity: 'critical' | 'warning', summary: string, description: string, labels: Record<string, string> = {}): AlertingRule {
  return { alert: name, expr, for: forDuration, labels: { severity, ...labels }, annotations: { summary, description } };
}

/** One alert per direction on a recorded byte rate; `receive` is the VM's egress. */
function bandwidth(name: string, level: 'network' | 'port', receive: MetricSpec, transmit: MetricSpec, bitsPerSecond: number, what: string): AlertingRule[] {
  return ([[receive, 'egress', 'sent'], [transmit, 'ingress', 'received']] as const).map(([spec, direction, verb]) => alert(
    name,
    `${recordedRate(level, spec)} * 8 > ${bitsPerSecond}`,
    ALERT_THRESHOLDS.bandwidthFor,
    'warning',
    `${what} ${verb} {{ $value | humanize }}bit/s on {{ $labels.host }}`,
    `${what} has ${verb} more than ${bitsPerSecond / 1e6} Mbit/s for ${ALERT_THRESHOLDS.bandwidthFor} (${direction} from the VM's side). The enforcer on {{ $labels.host }} may throttle it until the alert resolves.`,
    { direction },
  ));
}

function collectorAlerts(): AlertingRule[] {
  const lost = by('sum', METRICS.sflowLostDatagrams, [...TARGET, 'agent'], rate(METRICS.sflowLostDatagrams, {}, WINDOW));
  const received = by('sum', METRICS.sflowDatagrams, [...TARGET, 'agent'], rate(METRICS.sflowDatagrams, {}, WINDOW));
  const exporter = [...TARGET, 'listener', 'exporter'];
  const lostRecords = by('sum', METRICS.ipfixLostRecords, exporter, rate(METRICS.ipfixLostRecords, {}, WINDOW));
  const records = by('sum', METRICS.ipfixRecords, exporter, rate(METRICS.ipfixRecords, {}, WINDOW));
  return [
    alert(ALERT_NAMES.collectorDown, `${prometheusSel('up', { job: eq(SCRAPE_JOBS.collector) })} == 0`, '2m', 'critical',
      'ovs-telemetry collector on {{ $labels.host }} is down',
      'Prometheus cannot scrape the collector at {{ $labels.instance }}: no OVS metrics from this host, and the enforcer gets no bandwidth alerts for it.'),
    alert(ALERT_NAMES.ovsDown, `${sel(METRICS.up)} == 0`, '2m', 'critical',
      'Open vSwitch database unreachable on {{ $labels.host }}',
      'The collector on {{ $labels.host }} cannot reach OVSDB (or has not synchronised its state): ovsdb-server may be down, or its socket unreadable.'),
    alert(ALERT_NAMES.scraperFailing, `${sel(METRICS.scrapeCollectorSuccess)} == 0`, '5m', 'warning',
      'Scraper {{ $labels.collector }} failing on {{ $labels.host }}',
      'The {{ $labels.collector }} scraper of the collector on {{ $labels.host }} has failed for 5 minutes; its metrics are missing, the others still report.'),
    alert(ALERT_NAMES.sflowLoss, `${lost} / (${lost} + ${received}) > ${ALERT_THRESHOLDS.sflowLossRatio}`, '10m', 'warning',
      'sFlow from {{ $labels.agent }} loses {{ $value | humanizePercentage }} of its datagrams on {{ $labels.host }}',
      'Sequence gaps show that datagrams from agent {{ $labels.agent }} are lost on the way or in the receive buffer; sampled traffic is under-estimated by about as much.'),
    alert(ALERT_NAMES.sflowDecodeErrors, `${by('sum', METRICS.sflowDecodeErrors, [...TARGET, 'agent', 'reason'], rate(METRICS.sflowDecodeErrors, {}, WINDOW))} > 0`, '10m', 'warning',
      'sFlow datagrams from {{ $labels.agent }} fail to decode on {{ $labels.host }} ({{ $labels.reason }})',
      'The collector on {{ $labels.host }} keeps rejecting datagrams from {{ $labels.agent }}: {{ $labels.reason }}.'),
    alert(ALERT_NAMES.flowExportLoss, `${lostRecords} / (${lostRecords} + ${records}) > ${ALERT_THRESHOLDS.flowExportLossRatio}`, '10m', 'warning',
      'IPFIX/NetFlow from {{ $labels.exporter }} loses {{ $value | humanizePercentage }} of its records on {{ $labels.host }}',
      'Sequence gaps show that records from exporter {{ $labels.exporter }} ({{ $labels.listener }} listener) are lost on the way or in the receive buffer; flow traffic is under-estimated by about as much.'),
    alert(ALERT_NAMES.flowExportDecodeErrors, `${by('sum', METRICS.ipfixDecodeErrors, [...exporter, 'reason'], rate(METRICS.ipfixDecodeErrors, {}, WINDOW))} > 0`, '10m', 'warning',
      'IPFIX/NetFlow datagrams from {{ $labels.exporter }} fail to decode on {{ $labels.host }} ({{ $labels.reason }})',
      'The {{ $labels.listener }} listener on {{ $labels.host }} keeps rejecting datagrams from {{ $labels.exporter }}: {{ $labels.reason }}.'),
    alert(ALERT_NAMES.udpBufferDrops, `${by('sum', METRICS.udpReceiveBufferDrops, [...TARGET, 'listener'], rate(METRICS.udpReceiveBufferDrops, {}, WINDOW))} > 0`, '10m', 'warning',
      'The {{ $labels.listener }} listener on {{ $labels.host }} drops datagrams (receive buffer full)',
      'The kernel drops {{ $value | humanize }} datagrams/s for the {{ $labels.listener }} listener; raise its receive_buffer_bytes and net.core.rmem_max.'),
    alert(ALERT_NAMES.flowListenerDown, `${sel(METRICS.udpListenerUp)} == 0`, '5m', 'critical',
      'The {{ $labels.listener }} listener on {{ $labels.host }} is not receiving',
      'The {{ $labels.listener }} UDP listener ({{ $labels.address }}) of the collector on {{ $labels.host }} is not bound: no flow telemetry from this host.'),
    alert(ALERT_NAMES.flowRecordsDropped, `${by('sum', METRICS.flowRecordsDropped, [...TARGET, 'output'], rate(METRICS.flowRecordsDropped, {}, WINDOW))} > 0`, '10m', 'warning',
      'Flow records dropped on {{ $labels.host }}',
      'The flow-record output {{ $labels.output }} cannot keep up and drops {{ $value | humanize }} records/s.'),
    alert(ALERT_NAMES.exporterDropping, `${by('sum', EXPORTER_METRICS.pointsDropped, [...TARGET, 'exporter', 'reason'], rate(EXPORTER_METRICS.pointsDropped, {}, WINDOW))} > 0`, '10m', 'warning',
      'The {{ $labels.exporter }} exporter on {{ $labels.host }} drops points ({{ $labels.reason }})',
      'The {{ $labels.exporter }} exporter gives up {{ $value | humanize }} points/s ({{ $labels.reason }}): its destination is down, slow or rejects them, and its buffer is full.'),
  ];
}

function trafficAlerts(): AlertingRule[] {
  const t = ALERT_THRESHOLDS;
  const drops = (spec: MetricSpec) => recordedRate('port', spec);
  return [
    ...bandwidth(ALERT_NAMES.portBandwidth, 'port', METRICS.interfaceReceiveBytes, METRICS.interfaceTransmitBytes, t.portBitsPerSecond, 'Port {{ $labels.interface }} (Neutron port {{ $labels.neutron_port_id }})'),
    ...bandwidth(ALERT_NAMES.networkBandwidth, 'network', METRICS.networkReceiveBytes, METRICS.networkTransmitBytes, t.networkBitsPerSecond, 'Network {{ $labels.network_id }} (project {{ $labels.project_id }})'),
    alert(ALERT_NAMES.portDrops, `${drops(METRICS.interfaceReceiveDropped)} + ${drops(METRICS.interfaceTransmitDropped)} > ${t.portDropsPerSecond}`, '10m', 'warning',
      'Port {{ $labels.interface }} on {{ $labels.host }} drops {{ $value | humanize }} packets/s',
      `Interface {{ $labels.interface }} (bridge {{ $labels.bridge }}, network {{ $labels.network_id }}) has dropped more than ${t.portDropsPerSecond} packets/s for 10 minutes (rx + tx): a full queue, a policer or a slow VM.`),
  ];
}

function datapathAlerts(): AlertingRule[] {
  const { datapathLost, upcallFlows, upcallFlowLimit, pollSuccess } = DATAPATH_METRICS;
  return [
    alert(ALERT_NAMES.lostUpcalls, `${by('sum', datapathLost, [...TARGET, 'datapath'], rate(datapathLost, {}, WINDOW))} > 0`, '5m', 'warning',
      'Datapath {{ $labels.datapath }} on {{ $labels.host }} loses upcalls',
      'The datapath drops {{ $value | humanize }} upcalls/s because ovs-vswitchd\'s handler queues are full: first packets of new flows are lost. Look at the upcall rate, the handler threads and the flow limit.'),
    alert(ALERT_NAMES.flowLimit, `${sel(upcallFlows)} / ${sel(upcallFlowLimit)} > ${ALERT_THRESHOLDS.flowLimitRatio}`, '10m', 'warning',
      'Datapath {{ $labels.datapath }} on {{ $labels.host }} is at {{ $value | humanizePercentage }} of its flow limit',
      'ovs-vswitchd evicts datapath flows at its flow limit, which it lowers when revalidation is slow; evicted flows come back as upcalls.'),
    alert(ALERT_NAMES.pollFailing, `${sel(pollSuccess)} == 0`, '5m', 'warning',
      'Polling {{ $labels.source }} {{ $labels.target }} fails on {{ $labels.host }}',
      'The collector on {{ $labels.host }} cannot read {{ $labels.source }} {{ $labels.target }} (bridge management socket or ovs-vswitchd control socket): its datapath or OpenFlow metrics are missing.'),
  ];
}

function enforcerAlerts(): AlertingRule[] {
  const { actions, up, lastReconcile } = ENFORCER_METRICS;
  return [
    alert(ALERT_NAMES.enforcerDown, `${prometheusSel('up', { job: eq(SCRAPE_JOBS.enforcer) })} == 0`, '2m', 'critical',
      'ovs-telemetry enforcer on {{ $labels.host }} is down',
      'Prometheus cannot scrape the enforcer at {{ $labels.instance }}: bandwidth alerts for this host are not acted on, static policies are not kept.'),
    alert(ALERT_NAMES.enforcerFailing, `${by('sum', actions, [...TARGET, 'action'], increase(actions, { result: eq(ENFORCER_RESULT_FAILED) }, '10m'))} > 0`, '0m', 'warning',
      'Enforcer {{ $labels.action }} actions failing on {{ $labels.host }}',
      '{{ $value | humanize }} {{ $labels.action }} actions of the enforcer on {{ $labels.host }} failed in the last 10 minutes; its audit log has the reasons.'),
    alert(ALERT_NAMES.enforcerDrift, `${increase(ENFORCER_METRICS.reconcileDrift, {}, '1h')} > ${ALERT_THRESHOLDS.enforcerDriftPerHour}`, '0m', 'warning',
      'Enforced OVS state keeps drifting on {{ $labels.host }}',
      `The enforcer on {{ $labels.host }} repaired its rows more than ${ALERT_THRESHOLDS.enforcerDriftPerHour} times in an hour: something else (an agent, an operator) keeps changing them.`),
    alert(ALERT_NAMES.enforcerBlind, `${sel(up)} == 0`, '2m', 'critical',
      'The enforcer on {{ $labels.host }} does not see OVS',
      'The enforcer on {{ $labels.host }} has no synchronised OVSDB replica: it can neither apply nor restore limits.'),
    alert(ALERT_NAMES.enforcerStalled, `time() - ${sel(lastReconcile)} > ${ALERT_THRESHOLDS.enforcerReconcileAgeSeconds}`, '5m', 'warning',
      'The enforcer on {{ $labels.host }} has not reconciled for {{ $value | humanizeDuration }}',
      'Its reconcile runs on every OVSDB change, OpenFlow poll and alert; none finished for a while, so new throttles and restores wait.'),
  ];
}

export function alertRules(): RuleGroup<AlertingRule>[] {
  return [
    { name: 'ovs-telemetry.collector', rules: collectorAlerts() },
    { name: 'ovs-telemetry.traffic', rules: trafficAlerts() },
    { name: 'ovs-telemetry.datapath', rules: datapathAlerts() },
    { name: 'ovs-telemetry.enforcer', rules: enforcerAlerts() },
  ];
}
