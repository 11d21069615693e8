/**
 * The topology document (types.ts) from what the collector already holds: the OVSDB replica and
 * its interface model (with tenancy), the live br-tun/provider segments when the datapath poller
 * runs, and the interface rate tracker. The structure is rebuilt only when the model, the
 * segments or the port meters changed (each hands out a new array then); rates are laid over it
 * on every call.
 */
import { isTenantInterface, UNKNOWN, type InterfaceState } from '../../common/model.js';
import type { Row } from '../ovsdb/datum.js';
import type { BridgeMeters } from '../datapath/bridge-stats.js';
import { meterOwner, policingOf, portQosOf, recordedMeters } from '../explain/qos.js';
import type { MeterConfig } from '../openflow/index.js';
import { getSet, getString, getStringMap } from '../ovsdb/row.js';
import type { TableView } from '../ovs/model.js';
import type { InterfaceRates } from '../ovs/rates.js';
import type { Segment } from '../tenancy/segments.js';
import type { PortKind, PortRates, Throttle, Topology, TopologyBridge, TopologyNetwork, TopologyPort } from './types.js';

/** What the builder reads; cli/collect.ts passes the live sources. */
export interface TopologySources {
  readonly model: {
    readonly view: TableView;
    readonly ovsVersion: string;
    readonly systemId: string;
    interfaces(): readonly InterfaceState[];
  };
  readonly connected: () => boolean;
  /** The live VNI / provider VLAN segments (collector/datapath), when polled. */
  readonly segments?: () => readonly Segment[];
  /** The OpenFlow meters on the bridges' ports (collector/datapath), when polled. */
  readonly meters?: () => readonly BridgeMeters[];
  /** An interface's current rates by Interface uuid (collector/ovs/rates.ts), when known. */
  readonly rates?: (uuid: string) => InterfaceRates | undefined;
  readonly now?: () => number;
}

/** Interface types that are tunnel ports (vswitch.xml, Interface "type"). */
const TUNNEL_TYPES = new Set(['vxlan', 'geneve', 'gre', 'ip6gre', 'erspan', 'ip6erspan', 'stt', 'lisp', 'gtpu', 'bareudp', 'srv6']);

interface Structure {
  readonly interfaces: readonly InterfaceState[];
  readonly segments: readonly Segment[] | undefined;
  readonly meters: readonly BridgeMeters[] | undefined;
  readonly bridges: readonly TopologyBridge[];
  readonly networks: readonly TopologyNetwork[];
  /** Ports without rates. */
  readonly ports: readonly TopologyPort[];
}

const orNull = (value: string | undefined): string | null => (value === undefined || value === '' || value === UNKNOWN ? null : value);

function kindOf(iface: InterfaceState): PortKind {
  if (iface.type === 'patch') return 'patch';
  if (TUNNEL_TYPES.has(iface.type)) return 'tunnel';
  if (isTenantInterface(iface)) return iface.tenant.vmUuid === undefined ? 'agent' : 'vm';
  return iface.type === 'internal' ? 'internal' : 'other';
}

/** A max-rate in bit/s from an other_config, or null. */
function maxRate(otherConfig: Readonly<Record<string, string>>): number | null {
  const text = otherConfig['max-rate'];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}

/** A bridge's port meters with the meter ids the enforcer recorded there (read once per bridge). */
interface BridgeMeterOwners {
  readonly read: BridgeMeters;
  readonly enforcerMeters: ReadonlySet<number>;
}

/** The lowest drop band of a meter, in bit/s (kbps meters) or packets/s (pktps), null without one. */
function meterLimit(config: MeterConfig | undefined): Pick<Throttle, 'maxBitsPerSecond' | 'maxPacketsPerSecond'> {
  let rate: number | null = null;
  for (const band of config?.bands ?? []) if (band.type === 'drop' && (rate === null || band.rate < rate)) rate = band.rate;
  if (config?.flags.includes('pktps')) return { maxBitsPerSecond: null, maxPacketsPerSecond: rate };
  return { maxBitsPerSecond: rate === null ? null : rate * 1000, maxPacketsPerSecond: null };
}

/** The limits on a port, read as `explain` reads them (collector/explain/qos.ts), in short. */
function throttlesOf(view: TableView, iface: InterfaceState, ifaceRow: Row | undefined, portRow: Row | undefined, meters: BridgeMeterOwners | undefined): Throttle[] {
  const out: Throttle[] = [];
  const policing = ifaceRow === undefined ? null : policingOf(ifaceRow);
  if (policing !== null) out.push({ kind: 'policing', owner: policing.owner, direction: 'egress', maxBitsPerSecond: policing.rateKbps * 1000, maxPacketsPerSecond: null, mechanism: '' });
  const qos = portRow === undefined ? null : portQosOf(portRow, view);
  if (qos !== null) {
    // The QoS's own max-rate or its queues', whichever is lowest.
    let limit = maxRate(qos.otherConfig);
    for (const queue of qos.queues) {
      const rate = maxRate(queue.otherConfig);
      if (rate !== null && (limit === null || rate < limit)) limit = rate;
    }
    out.push({ kind: 'qos', owner: qos.owner, direction: 'ingress', maxBitsPerSecond: limit, maxPacketsPerSecond: null, mechanism: qos.type });
  }
  if (meters !== undefined) {
    for (const { direction, meter } of meters.read.ports.of(iface.ofport, iface.mac)) {
      const owner = meterOwner(meter.meterId, meter.cookie, meters.enforcerMeters);
      out.push({ kind: 'meter', owner, direction, ...meterLimit(meters.read.configs.get(meter.meterId)), mechanism: `meter ${meter.meterId}` });
    }
  }
  return out;
}

/** The tracker's per-second counters in the page's units (bit/s for bytes; missing keys read 0). */
function portRates(r: InterfaceRates): PortRates {
  const p = r.perSecond;
  return {
    rxBitsPerSecond: (p.rx_bytes ?? 0) * 8,
    txBitsPerSecond: (p.tx_bytes ?? 0) * 8,
    rxPacketsPerSecond: p.rx_packets ?? 0,
    txPacketsPerSecond: p.tx_packets ?? 0,
    rxDroppedPerSecond: p.rx_dropped ?? 0,
    txDroppedPerSecond: p.tx_dropped ?? 0,
    intervalSeconds: r.intervalSeconds,
  };
}

function networksOf(ports: readonly InterfaceState[], segments: readonly Segment[] | undefined): TopologyNetwork[] {
  interface Acc { first: InterfaceState; vlans: Set<number>; ports: number }
  const byId = new Map<string, Acc>();
  for (const iface of ports) {
    const id = iface.tenant.networkId;
    if (id === UNKNOWN) continue;
    let acc = byId.get(id);
    if (acc === undefined) byId.set(id, (acc = { first: iface, vlans: new Set(), ports: 0 }));
    acc.ports++;
    if (iface.localVlan !== null && iface.localVlan > 0) acc.vlans.add(iface.localVlan);
  }
  const segmentOf = new Map<string, Segment>();
  for (const s of segments ?? []) if (!segmentOf.has(s.network.networkId)) segmentOf.set(s.network.networkId, s);
  const out: TopologyNetwork[] = [];
  for (const [id, acc] of byId) {
    const t = acc.first.tenant;
    const segment = segmentOf.get(id);
    out.push({
      id,
      name: t.networkName ?? null,
      projectId: t.projectId,
      networkType: t.networkType ?? (segment?.type === 'vlan' ? 'vlan' : null),
      segmentationId: t.segmentationId ?? segment?.segmentationId ?? null,
      physicalNetwork: t.physicalNetwork ?? null,
      localVlans: [...acc.vlans].sort((a, b) => a - b),
      ports: acc.ports,
    });
  }
  return out.sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id));
}

function structureOf(sources: TopologySources, interfaces: readonly InterfaceState[], segments: readonly Segment[] | undefined, meters: readonly BridgeMeters[] | undefined): Structure {
  const view = sources.model.view;
  const portByInterface = new Map<string, Row>();
  for (const row of view.table('Port').values()) for (const i of getSet(row, 'interfaces')) portByInterface.set(String(i), row);
  const bridgeOf = new Map<string, string>();
  for (const iface of interfaces) bridgeOf.set(iface.name, iface.bridge);
  const metersOf = new Map((meters ?? []).map((m): [string, BridgeMeterOwners] => [m.bridge, { read: m, enforcerMeters: recordedMeters(view, m.bridge) }]));
  const integration = new Set<string>();
  for (const iface of interfaces) if (iface.localVlan !== null && iface.localVlan > 0 && isTenantInterface(iface)) integration.add(iface.bridge);

  const bridges: TopologyBridge[] = [];
  for (const row of view.table('Bridge').values()) {
    const name = getString(row, 'name') ?? '';
    bridges.push({ name, datapathType: getString(row, 'datapath_type') || 'system', integration: integration.has(name) });
  }
  bridges.sort((a, b) => a.name.localeCompare(b.name));

  const states = [...interfaces].sort((a, b) => a.bridge.localeCompare(b.bridge) || a.name.localeCompare(b.name));
  const ports = states.map((iface): TopologyPort => {
    const row = view.table('Interface').get(iface.uuid);
    const options = row === undefined ? new Map<string, string>() : getStringMap(row, 'options');
    const kind = kindOf(iface);
    const t = iface.tenant;
    const peer = kind === 'patch' ? orNull(options.get('peer')) : null;
    return {
      id: iface.uuid,
      name: iface.name,
      bridge: iface.bridge,
      port: iface.port,
      type: iface.type,
      kind,
      ofport: iface.ofport,
      mac: iface.mac,
      linkUp: iface.linkUp,
      localVlan: iface.localVlan,
      networkId: orNull(t.networkId),
      neutronPortId: orNull(t.neutronPortId),
      projectId: orNull(t.projectId),
      vmUuid: orNull(t.vmUuid),
      peer,
      peerBridge: peer === null ? null : bridgeOf.get(peer) ?? null,
      remoteIp: kind === 'tunnel' ? orNull(options.get('remote_ip')) : null,
      localIp: kind === 'tunnel' ? orNull(options.get('local_ip')) : null,
      tunnelKey: kind === 'tunnel' ? orNull(options.get('key')) : null,
      rxDropped: iface.counters.rx_dropped ?? 0,
      txDropped: iface.counters.tx_dropped ?? 0,
      rates: null,
      throttles: throttlesOf(view, iface, row, portByInterface.get(iface.uuid), metersOf.get(iface.bridge)),
    };
  });
  return { interfaces, segments, meters, bridges, networks: networksOf(interfaces, segments), ports };
}

export class TopologyBuilder {
  private structure: Structure | null = null;

  constructor(private readonly sources: TopologySources) {}

  build(): Topology {
    const { model } = this.sources;
    const interfaces = model.interfaces();
    const segments = this.sources.segments?.();
    const meters = this.sources.meters?.();
    let s = this.structure;
    if (s === null || s.interfaces !== interfaces || s.segments !== segments || s.meters !== meters) this.structure = s = structureOf(this.sources, interfaces, segments, meters);
    const rates = this.sources.rates;
    const ports = rates === undefined
      ? s.ports
      : s.ports.map((port) => {
          const r = rates(port.id);
          return r === undefined ? port : { ...port, rates: portRates(r) };
        });
    return {
      generatedAtMs: (this.sources.now ?? Date.now)(),
      connected: this.sources.connected(),
      host: { systemId: model.systemId, ovsVersion: model.ovsVersion },
      bridges: s.bridges,
      networks: s.networks,
      ports,
    };
  }
}
