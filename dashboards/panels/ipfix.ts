/**
 * IPFIX / NetFlow export health: messages per exporter, records missing from the sequence
 * numbers, templates and data waiting for one, decode errors, and the sampling rate every
 * flow source (sFlow agents too) states.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS, type MetricSpec } from '../../common/metrics.js';
import { timeseries, UNIT } from './panel.js';
import { by, rate, sel, type Matchers } from './promql.js';

const EXPORTER = ['host', 'listener', 'exporter', 'domain', 'version'];
const LEGEND = '{{listener}} {{exporter}} domain {{domain}} v{{version}}';

export function ipfixMessages(hostScope: Matchers): Builder<Panel> {
  const spec = METRICS.ipfixMessages;
  return timeseries({
    title: 'IPFIX / NetFlow messages per exporter',
    description: 'IPFIX messages and NetFlow v9/v5 packets decoded per second from each exporter (UDP source address:port), observation domain and version.',
    unit: UNIT.perSecond,
    min: 0,
    queries: [{ expr: by('sum', spec, EXPORTER, rate(spec, hostScope)), legend: LEGEND }],
  });
}

export function ipfixLossRatio(hostScope: Matchers): Builder<Panel> {
  const share = (lost: MetricSpec, received: MetricSpec): string => {
    const l = by('sum', lost, EXPORTER, rate(lost, hostScope));
    return `${l} / (${l} + ${by('sum', received, EXPORTER, rate(received, hostScope))})`;
  };
  return timeseries({
    title: 'IPFIX / NetFlow loss (sequence gaps)',
    description: 'Share of each exporter\'s records missing from its sequence numbers (IPFIX, NetFlow v5), or of its packets (NetFlow v9 numbers packets). Flow traffic is under-estimated by about this much.',
    unit: UNIT.ratio,
    min: 0,
    thresholds: [[null, 'green'], [0.01, 'orange'], [0.05, 'red']],
    queries: [{ expr: `${share(METRICS.ipfixLostRecords, METRICS.ipfixRecords)} or ${share(METRICS.ipfixLostMessages, METRICS.ipfixMessages)}`, legend: LEGEND }],
  });
}

export function ipfixTemplates(hostScope: Matchers): Builder<Panel> {
  const removed = METRICS.ipfixTemplatesRemoved;
  const withoutTemplate = METRICS.ipfixSetsWithoutTemplate;
  return timeseries({
    title: 'Templates',
    description: 'Templates cached per exporter and domain; templates evicted, expired or withdrawn, and data sets that came before their template (held, dropped, expired) per second.',
    unit: UNIT.count,
    min: 0,
    queries: [
      { expr: by('sum', METRICS.ipfixTemplates, ['host', 'listener', 'exporter', 'domain'], sel(METRICS.ipfixTemplates, hostScope)), legend: '{{listener}} {{exporter}} domain {{domain}} templates' },
      { expr: by('sum', removed, ['host', 'listener', 'reason'], rate(removed, hostScope)), legend: '{{listener}} templates {{reason}}/s' },
      { expr: by('sum', withoutTemplate, ['host', 'listener', 'outcome'], rate(withoutTemplate, hostScope)), legend: '{{listener}} sets without template {{outcome}}/s' },
    ],
  });
}

export function ipfixDecodeErrors(hostScope: Matchers): Builder<Panel> {
  const spec = METRICS.ipfixDecodeErrors;
  return timeseries({
    title: 'IPFIX / NetFlow decode errors',
    description: 'Datagrams that could not be decoded, by listener, exporter (UDP source address) and reason. No series until the first error.',
    unit: UNIT.perSecond,
    min: 0,
    thresholds: [[null, 'green'], [0.01, 'red']],
    queries: [{ expr: by('sum', spec, ['host', 'listener', 'exporter', 'reason'], rate(spec, hostScope)), legend: '{{listener}} {{exporter}} {{reason}}' }],
  });
}

export function samplingRates(hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Sampling rate per agent / exporter',
    description: 'The sampling rate (1 in N) of each sFlow agent (domain = sub-agent) and IPFIX/NetFlow exporter, as stated in its last records; 0 = none stated, counts taken as exported (Open vSwitch IPFIX counts are already scaled).',
    unit: UNIT.none,
    min: 0,
    queries: [{ expr: sel(METRICS.flowExporterSamplingRate, hostScope), legend: '{{listener}} {{exporter}} domain {{domain}}' }],
  });
}
