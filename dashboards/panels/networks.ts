/**
 * Tenant-network panels from the exact per-network sums (and per-interface counters joined to
 * their network for drops): traffic per network and project, share of the host's tenant
 * traffic, a summary table that drills into a network. Directions are OVS's: "received" =
 * sent by the network's VMs into the switch, "transmitted" = delivered to them.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS, type MetricSpec } from '../../common/metrics.js';
import { DATAPATH_METRICS } from '../../common/metrics-datapath.js';
import { withTenancy } from './interfaces.js';
import { networkLink } from './links.js';
import { table, timeseries, UNIT, type Query } from './panel.js';
import { by, rate, sel, type Matchers } from './promql.js';

const NETWORK = ['host', 'project_id', 'network_id'];

const DIRECTIONS = {
  receive: { bytes: METRICS.networkReceiveBytes, packets: METRICS.networkReceivePackets, legend: 'from VMs' },
  transmit: { bytes: METRICS.networkTransmitBytes, packets: METRICS.networkTransmitPackets, legend: 'to VMs' },
} as const;

/** Bits per second of the network's traffic in one direction, per host, project and network. */
function networkBits(spec: MetricSpec, scope: Matchers, groups: readonly string[] = NETWORK): string {
  return `${by('sum', spec, groups, rate(spec, scope))} * 8`;
}

export function networkTraffic(direction: keyof typeof DIRECTIONS, scope: Matchers): Builder<Panel> {
  const d = DIRECTIONS[direction];
  return timeseries({
    title: `Traffic ${d.legend} per network`,
    description: `Bits per second ${direction === 'receive' ? 'sent by the VMs of each tenant network (received by OVS on their ports)' : 'delivered to the VMs of each tenant network (transmitted by OVS on their ports)'}, from the exact interface counters. Click a series to open the network.`,
    unit: UNIT.bitsPerSecond,
    min: 0,
    stack: true,
    queries: [{ expr: networkBits(d.bytes, scope), legend: '{{project_id}} / {{network_id}} on {{host}}' }],
    links: [networkLink()],
  });
}

export function projectTraffic(scope: Matchers): Builder<Panel> {
  const groups = ['project_id'];
  return timeseries({
    title: 'Traffic per project',
    description: 'Bits per second of every project\'s networks on the selected hosts, both directions.',
    unit: UNIT.bitsPerSecond,
    min: 0,
    queries: Object.values(DIRECTIONS).map((d): Query => ({ expr: networkBits(d.bytes, scope, groups), legend: `{{project_id}} ${d.legend}` })),
  });
}

export function networkPackets(scope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Packets per network',
    description: 'Packets per second from and to the VMs of each tenant network.',
    unit: UNIT.packetsPerSecond,
    min: 0,
    queries: Object.values(DIRECTIONS).map((d): Query => ({ expr: by('sum', d.packets, NETWORK, rate(d.packets, scope)), legend: `{{network_id}} ${d.legend}` })),
    links: [networkLink()],
  });
}

/** Both directions' byte rates summed per `groups` (the two counters share their labels). */
function bothDirections(scope: Matchers, groups: readonly string[]): string {
  const { receive, transmit } = DIRECTIONS;
  return by('sum', receive.bytes, groups, `${rate(receive.bytes, scope)} + ${rate(transmit.bytes, scope)}`);
}

export function networkShare(scope: Matchers, hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Share of the host\'s tenant traffic',
    description: 'Each network\'s part of all tenant-network traffic (both directions) on its host: who is using the bandwidth here.',
    unit: UNIT.ratio,
    min: 0,
    max: 1,
    stack: true,
    queries: [{ expr: `${bothDirections(scope, NETWORK)} / on(host) group_left() ${bothDirections(hostScope, ['host'])}`, legend: '{{project_id}} / {{network_id}} on {{host}}' }],
    links: [networkLink()],
  });
}

/** Per-network drops: the interface drop counters (selected by `hostScope`) summed over each network's ports. */
export function networkDrops(scope: Matchers, hostScope: Matchers): Builder<Panel> {
  const dropped = (spec: MetricSpec) => `sum by (${NETWORK.join(', ')}) (${withTenancy(rate(spec, hostScope), scope)})`;
  return timeseries({
    title: 'Drops per network',
    description: 'Packets per second dropped on the ports of each tenant network (interface rx/tx dropped counters, summed per network).',
    unit: UNIT.packetsPerSecond,
    min: 0,
    thresholds: [[null, 'green'], [1, 'orange'], [100, 'red']],
    queries: [
      { expr: dropped(METRICS.interfaceReceiveDropped), legend: '{{network_id}} rx dropped' },
      { expr: dropped(METRICS.interfaceTransmitDropped), legend: '{{network_id}} tx dropped' },
    ],
    links: [networkLink()],
  });
}

export function networkSummary(scope: Matchers): Builder<Panel> {
  return table({
    title: 'Networks',
    description: 'Every tenant network on the selected hosts: its ports here and its current traffic. Click a row to select the network.',
    unit: UNIT.none,
    span: 24,
    height: 8,
    queries: [
      { expr: by('max', METRICS.networkInterfaces, NETWORK, sel(METRICS.networkInterfaces, scope)) },
      { expr: networkBits(DIRECTIONS.receive.bytes, scope) },
      { expr: networkBits(DIRECTIONS.transmit.bytes, scope) },
    ],
    columns: [
      { title: 'Ports', unit: UNIT.count },
      { title: 'From VMs', unit: UNIT.bitsPerSecond },
      { title: 'To VMs', unit: UNIT.bitsPerSecond },
    ],
    links: [networkLink('row')],
  });
}

/** The segments (tunnel VNI, provider VLAN) this host's flows map to each network. */
export function networkSegments(scope: Matchers): Builder<Panel> {
  return table({
    title: 'Network segments',
    description: 'How each tenant network is carried on the host, read from the bridges\' flows: tunnel VNI (br-tun) or provider VLAN, and the host-local VLAN on br-int.',
    unit: UNIT.none,
    queries: [{ expr: sel(DATAPATH_METRICS.segmentInfo, scope) }],
    columns: [{ title: 'Mapped' }],
    hide: ['instance', 'Value'],
    links: [networkLink('row')],
  });
}
