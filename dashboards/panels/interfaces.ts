/**
 * Interface panels: traffic, packets, drops and errors per interface (both directions in one
 * panel), the interface table (link state, MTU, speed, tenancy) and links down. OVS counts from
 * the switch's side: "receive" on a VM's tap is what the VM sent.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS, type MetricSpec } from '../../common/metrics.js';
import { portLink } from './links.js';
import { stat, table, timeseries, UNIT, type Step } from './panel.js';
import { INTERFACE_JOIN, rate, sel, type Matchers } from './promql.js';

/** Tenancy labels that ovs_interface_info adds to an interface series. */
const TENANCY_LABELS: readonly string[] = Object.freeze(['neutron_port_id', 'network_id', 'project_id']);

/** `expr` with the tenancy of each interface, keeping only interfaces that `infoScope` selects. */
export function withTenancy(expr: string, infoScope: Matchers, labels: readonly string[] = TENANCY_LABELS): string {
  return `${expr} * on(${INTERFACE_JOIN.join(', ')}) group_left(${labels.join(', ')}) ${sel(METRICS.interfaceInfo, infoScope)}`;
}

interface CounterFamily {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly receive: MetricSpec;
  readonly transmit: MetricSpec;
  /** Bytes are shown in bits per second. */
  readonly factor: number;
  readonly thresholds?: readonly Step[];
}

const FAMILIES = {
  traffic: {
    title: 'Traffic per interface',
    description: 'Bits per second through each interface (the 15 busiest per direction). rx = into OVS (sent by the VM on a tap), tx = out of OVS (to the VM).',
    unit: UNIT.bitsPerSecond,
    receive: METRICS.interfaceReceiveBytes,
    transmit: METRICS.interfaceTransmitBytes,
    factor: 8,
  },
  packets: {
    title: 'Packets per interface',
    description: 'Packets per second through each interface (the 15 busiest per direction).',
    unit: UNIT.packetsPerSecond,
    receive: METRICS.interfaceReceivePackets,
    transmit: METRICS.interfaceTransmitPackets,
    factor: 1,
  },
  drops: {
    title: 'Drops per interface',
    description: 'Packets dropped per second by each interface (e.g. a full tap queue, a policer) — the 15 worst per direction.',
    unit: UNIT.packetsPerSecond,
    receive: METRICS.interfaceReceiveDropped,
    transmit: METRICS.interfaceTransmitDropped,
    factor: 1,
    thresholds: [[null, 'green'], [1, 'orange'], [100, 'red']],
  },
  errors: {
    title: 'Errors per interface',
    description: 'Receive and transmit errors per second on each interface — the 15 worst per direction.',
    unit: UNIT.packetsPerSecond,
    receive: METRICS.interfaceReceiveErrors,
    transmit: METRICS.interfaceTransmitErrors,
    factor: 1,
    thresholds: [[null, 'green'], [1, 'red']],
  },
} satisfies Record<string, CounterFamily>;

type InterfaceCounterFamily = keyof typeof FAMILIES;

/** One interface counter family, both directions, for the interfaces `scope` selects. */
export function interfaceRates(family: InterfaceCounterFamily, scope: Matchers, span = 12): Builder<Panel> {
  const f: CounterFamily = FAMILIES[family];
  const scaled = (spec: MetricSpec) => (f.factor === 1 ? rate(spec, scope) : `${rate(spec, scope)} * ${f.factor}`);
  return timeseries({
    title: f.title,
    description: f.description,
    unit: f.unit,
    span,
    min: 0,
    queries: [
      { expr: `topk(15, ${scaled(f.receive)})`, legend: '{{interface}} rx' },
      { expr: `topk(15, ${scaled(f.transmit)})`, legend: '{{interface}} tx' },
    ],
    thresholds: f.thresholds,
    links: [portLink()],
  });
}

/** Interfaces with their link state, MTU, speed and Neutron port / network / project. */
export function interfaceTable(scope: Matchers): Builder<Panel> {
  const joined = (spec: MetricSpec) => withTenancy(sel(spec, scope), scope, ['type', 'ofport', 'mac', ...TENANCY_LABELS]);
  return table({
    title: 'Interfaces',
    description: 'Every interface with its link state, MTU, negotiated speed and the Neutron port, network and project it belongs to ("unknown" = not a tenant port). Click a row for the port on Tenant networks.',
    unit: UNIT.none,
    span: 24,
    height: 10,
    queries: [{ expr: joined(METRICS.interfaceLinkUp) }, { expr: joined(METRICS.interfaceMtu) }, { expr: joined(METRICS.interfaceLinkSpeed) }],
    columns: [
      { title: 'Link', valueText: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } } },
      { title: 'MTU', unit: UNIT.bytes },
      // The speed metric is in bytes per second (Grafana's Bps), as node_exporter's.
      { title: 'Speed', unit: 'Bps' },
    ],
    hide: ['instance'],
    links: [portLink('row')],
  });
}

export function linksDown(scope: Matchers): Builder<Panel> {
  return stat({
    title: 'Links down',
    description: 'Interfaces whose link is down (ovs_interface_link_up = 0).',
    unit: UNIT.count,
    queries: [{ expr: `count(${sel(METRICS.interfaceLinkUp, scope)} == 0) or vector(0)`, legend: 'down' }],
    thresholds: [[null, 'green'], [1, 'red']],
  });
}
