/**
 * OpenFlow statistics per bridge: flows and lookups per table, the busiest flow cookies, the
 * OpenFlow ports (patch and tunnel ports included, which OVSDB has no counters for), meters.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { MetricSpec } from '../../common/metrics.js';
import { DATAPATH_METRICS as D } from '../../common/metrics-datapath.js';
import { timeseries, UNIT } from './panel.js';
import { by, rate, sel, type Matchers } from './promql.js';

export function tableFlows(host: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Flows per OpenFlow table',
    description: 'Flows installed in each table of each bridge (as ovs-ofctl dump-tables shows "active").',
    unit: UNIT.count,
    min: 0,
    queries: [{ expr: `${sel(D.tableActiveFlows, host)} > 0`, legend: '{{bridge}} table {{table}}' }],
  });
}

export function tableMisses(host: Matchers): Builder<Panel> {
  const lookups = by('sum', D.tableLookups, ['bridge', 'table'], rate(D.tableLookups, host));
  const matches = by('sum', D.tableMatches, ['bridge', 'table'], rate(D.tableMatches, host));
  return timeseries({
    title: 'Table lookups and misses',
    description: 'Packets per second looked up in each table, and those that matched no flow there (table-miss).',
    unit: UNIT.packetsPerSecond,
    min: 0,
    queries: [
      { expr: `topk(10, ${lookups})`, legend: '{{bridge}} table {{table}} lookups' },
      { expr: `topk(10, ${lookups} - ${matches})`, legend: '{{bridge}} table {{table}} misses' },
    ],
  });
}

export function busiestCookies(host: Matchers): Builder<Panel> {
  const spec = D.flowPackets;
  return timeseries({
    title: 'Busiest flow cookies',
    description: 'Packets per second matched by the flows of each table and cookie (Neutron\'s agents mark their flows with a cookie per agent or feature).',
    unit: UNIT.packetsPerSecond,
    min: 0,
    queries: [{ expr: `topk(10, ${by('sum', spec, ['bridge', 'table', 'cookie'], rate(spec, host))})`, legend: '{{bridge}} table {{table}} cookie {{cookie}}' }],
  });
}

export function openflowPorts(host: Matchers): Builder<Panel> {
  const traffic = (spec: MetricSpec) => `topk(10, ${rate(spec, host)} * 8)`;
  return timeseries({
    title: 'OpenFlow port traffic',
    description: 'Bits per second on the busiest OpenFlow ports of each bridge, patch and tunnel ports included.',
    unit: UNIT.bitsPerSecond,
    min: 0,
    queries: [
      { expr: traffic(D.portReceiveBytes), legend: '{{bridge}} {{port}} rx' },
      { expr: traffic(D.portTransmitBytes), legend: '{{bridge}} {{port}} tx' },
    ],
  });
}

export function meterDrops(host: Matchers): Builder<Panel> {
  const spec = D.meterBandPackets;
  return timeseries({
    title: 'Meter band packets (policed)',
    description: 'Packets per second over each meter band\'s rate: dropped (type drop) or remarked (dscp_remark). The enforcer\'s packet-rate limits are meters.',
    unit: UNIT.packetsPerSecond,
    min: 0,
    queries: [{ expr: by('sum', spec, ['host', 'bridge', 'meter', 'type'], rate(spec, host)), legend: '{{bridge}} meter {{meter}} {{type}}' }],
  });
}
