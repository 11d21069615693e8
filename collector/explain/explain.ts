/**
 * explainPort: one port's path through this host's OVS, from live state handed in as sources
 * (the collector passes what it already holds; the CLI opens its own). OVSDB says what is wired
 * to what (bridges, patch peers, tunnel ports, VLAN tags, QoS rows); the OpenFlow tables say what
 * the switch does with the port's traffic (which flows match its in_port or MAC, which flow maps
 * its local VLAN to a VNI or a provider VLAN, which meters it passes); ofproto/trace says which
 * tables a packet from it actually passes. Table numbers are never assumed: flows are found by
 * what they match and judged by what they do.
 */
import type { InterfaceState } from '../../common/model.js';
import { describeError } from '../../common/errors.js';
import { UNKNOWN } from '../../common/model.js';
import type { FlowStats, Match, MeterConfig } from '../openflow/index.js';
import { TunnelVlanMap } from '../openflow/index.js';
import { actionsOf } from '../openflow/flow-actions.js';
import { VlanTranslations } from '../openflow/vlan-translation.js';
import type { Row } from '../ovsdb/datum.js';
import { getSet, getString, getStringMap } from '../ovsdb/row.js';
import type { TableView } from '../ovs/model.js';
import type { InterfaceRates } from '../ovs/rates.js';
import { byPipelineOrder, summarize } from './flows.js';
import { metersOf, policingOf, portQosOf, recordedMeters } from './qos.js';
import { resolvePort, type PortIdentity, type PortMatch } from './resolve.js';
import { broadcastFrom, parseTrace, type Trace } from './trace.js';
import type { ExplainedTenant, Explanation, FlowSummary, MatchedBy, PathStep, ProviderFlow, ProviderStep, TunnelPort, TunnelStep } from './types.js';

/** OpenFlow reads explain makes on a bridge (through `<rundir>/<bridge>.mgmt`). */
export interface FlowReader {
  /** Flows whose match includes every field of `match` (OFPMP_FLOW's non-strict selection); every flow with []. */
  flows(bridge: string, match: Match): Promise<FlowStats[]>;
  meters(bridge: string): Promise<MeterConfig[]>;
}

export interface RatesReading {
  readonly rates: InterfaceRates | null;
  /** Why there are none (e.g. "two statistics updates needed"). */
  readonly note: string | null;
}

export interface ExplainSources {
  /** The Open_vSwitch replica (Bridge, Port, Interface, QoS, Queue). */
  readonly tables: TableView;
  /** The interface model with tenancy (VswitchModel.interfaces()). */
  readonly interfaces: () => readonly InterfaceState[];
  /** Absent: no OpenFlow (the explanation says so). */
  readonly openflow?: FlowReader;
  /** ofproto/trace BRIDGE FLOW through unixctl; absent: no trace. */
  readonly trace?: (bridge: string, flow: string) => Promise<string>;
  readonly rates?: (iface: InterfaceState) => Promise<RatesReading> | RatesReading;
  readonly now?: () => Date;
}

/** Interface types that carry tunnels (ovs-vswitchd.conf.db(5), Interface type). */
const TUNNEL_TYPES = new Set(['vxlan', 'gre', 'geneve', 'stt', 'ip6gre', 'erspan', 'ip6erspan', 'gtpu', 'bareudp', 'lisp']);

interface IfaceRow {
  readonly state: InterfaceState;
  readonly row: Row;
}

/** Bridge → Port → Interface rows, looked up by name. */
class Wiring {
  readonly byName = new Map<string, IfaceRow>();
  readonly ports = new Map<string, Row>();

  constructor(readonly tables: TableView, interfaces: readonly InterfaceState[]) {
    const rows = tables.table('Interface');
    for (const state of interfaces) {
      const row = rows.get(state.uuid);
      if (row !== undefined) this.byName.set(state.name, { state, row });
    }
    for (const row of tables.table('Port').values()) this.ports.set(getString(row, 'name') ?? '', row);
  }

  identities(): PortIdentity[] {
    return [...this.byName.values()].map(({ state, row }) => ({ iface: state, externalIds: getStringMap(row, 'external_ids'), macInUse: getString(row, 'mac_in_use') ?? '' }));
  }

  onBridge(bridge: string): IfaceRow[] {
    return [...this.byName.values()].filter((i) => i.state.bridge === bridge);
  }

  /** The patch ports of `bridge` with the interface at the other end (options:peer). */
  patches(bridge: string): { local: IfaceRow; peer: IfaceRow }[] {
    const out: { local: IfaceRow; peer: IfaceRow }[] = [];
    for (const local of this.onBridge(bridge)) {
      if (local.state.type !== 'patch') continue;
      const peer = this.byName.get(getStringMap(local.row, 'options').get('peer') ?? '');
      if (peer !== undefined) out.push({ local, peer });
    }
    return out.sort((a, b) => a.local.state.name.localeCompare(b.local.state.name));
  }
}

/** Collects what could not be read instead of failing the whole explanation. */
class Attempts {
  readonly warnings: string[] = [];

  async run<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      this.warnings.push(`${what}: ${describeError(err)}`);
      return undefined;
    }
  }
}

export function findPort(query: string, sources: Pick<ExplainSources, 'tables' | 'interfaces'>): PortMatch {
  return resolvePort(query, new Wiring(sources.tables, sources.interfaces()).identities());
}

/** The explanation of the interface `findPort` found. */
export async function explainPort(query: string, found: PortIdentity, by: MatchedBy, sources: ExplainSources): Promise<Explanation> {
  const at = (sources.now ?? (() => new Date()))();
  const wiring = new Wiring(sources.tables, sources.interfaces());
  const attempts = new Attempts();
  const iface = found.iface;
  const ifaceRow = wiring.byName.get(iface.name)?.row ?? {};
  const portRow = wiring.ports.get(iface.port) ?? {};
  const ids = found.externalIds;
  const reader = sources.openflow;
  if (reader === undefined) attempts.warnings.push('OpenFlow: not available (no run directory): flows, meters and VLAN/VNI maps not read');

  // The port's own flows on its bridge: by ingress port (what it sends) and by MAC (both ways).
  const egress: FlowStats[] = [];
  const ingress: FlowStats[] = [];
  if (reader !== undefined) {
    const read = (match: Match) => attempts.run(`OpenFlow ${iface.bridge}`, () => reader.flows(iface.bridge, match));
    if (iface.ofport !== null) egress.push(...((await read([{ field: 'in_port', value: iface.ofport }])) ?? []));
    if (iface.mac !== '') {
      egress.push(...((await read([{ field: 'eth_src', value: iface.mac }])) ?? []));
      ingress.push(...((await read([{ field: 'eth_dst', value: iface.mac }])) ?? []));
    }
  }
  const portFlows = dedupe([...egress, ...ingress]);
  const summaries = portFlows.map(summarize).sort(byPipelineOrder);

  let trace: Trace | null = null;
  if (sources.trace !== undefined && iface.ofport !== null) {
    const text = await attempts.run('ofproto/trace', () => sources.trace!(iface.bridge, broadcastFrom(iface.ofport!, iface.mac)));
    if (text !== undefined) trace = parseTrace(text).value;
  } else if (sources.trace === undefined) {
    attempts.warnings.push('ofproto/trace: not available (no ovs-vswitchd control socket)');
  }
  const tracedHere = trace?.bridges.find((b) => b.bridge === iface.bridge);
  const tablesOf = (role: FlowSummary['role']) => [...new Set(summaries.filter((f) => f.role === role).map((f) => f.table))];

  const path: PathStep[] = [{
    kind: 'integration',
    bridge: iface.bridge,
    port: iface.port,
    ofport: iface.ofport,
    localVlan: iface.localVlan,
    flows: summaries,
    antiSpoofingTables: tablesOf('anti-spoofing'),
    securityGroupTables: tablesOf('security-group'),
    tracedTables: tracedHere ? tracedHere.flows.map((f) => f.table) : null,
  }];

  // Each patch port leads to a bridge: br-tun (tunnel ports) or a provider bridge.
  const branches: { patch: PathStep; step: TunnelStep | ProviderStep; maps: boolean }[] = [];
  for (const { local, peer } of wiring.patches(iface.bridge)) {
    const patch: PathStep = { kind: 'patch', fromBridge: iface.bridge, fromPort: local.state.port, toBridge: peer.state.bridge, toPort: peer.state.port };
    const bridgeFlows = reader === undefined ? undefined : await attempts.run(`OpenFlow ${peer.state.bridge}`, () => reader.flows(peer.state.bridge, []));
    const tunnels = wiring.onBridge(peer.state.bridge).filter((i) => TUNNEL_TYPES.has(i.state.type));
    if (tunnels.length > 0) {
      const step = tunnelStep(peer.state.bridge, iface.localVlan, bridgeFlows ?? [], tunnels);
      branches.push({ patch, step, maps: step.vni !== null });
    } else {
      const inbound = reader === undefined || local.state.ofport === null ? [] : (await attempts.run(`OpenFlow ${iface.bridge}`, () => reader.flows(iface.bridge, [{ field: 'in_port', value: local.state.ofport! }]))) ?? [];
      const step = providerStep(wiring, peer.state.bridge, iface.localVlan, bridgeFlows ?? [], { bridge: iface.bridge, flows: inbound });
      branches.push({ patch, step, maps: step.providerVlan !== null });
    }
  }
  const carrying = branches.filter((b) => b.maps);
  if (carrying.length === 0 && branches.length > 0 && reader !== undefined) {
    attempts.warnings.push(`no flow on ${branches.map((b) => b.step.bridge).join(', ')} maps local VLAN ${iface.localVlan ?? '(none)'}: the path beyond ${iface.bridge} is not known`);
  }
  for (const b of carrying.length > 0 ? carrying : branches) path.push(b.patch, b.step);

  // Meters and queues: the port's flows that meter or queue its traffic.
  const meterConfigs = reader !== undefined && portFlows.length > 0 ? (await attempts.run(`OpenFlow meters ${iface.bridge}`, () => reader.meters(iface.bridge))) ?? [] : [];
  const directed = [...egress.map((flow) => ({ flow, direction: 'egress' as const })), ...ingress.map((flow) => ({ flow, direction: 'ingress' as const }))];

  const reading = sources.rates === undefined ? { rates: null, note: 'no rate source' } : await sources.rates(iface);
  return {
    query,
    matchedBy: by,
    port: {
      interface: iface.name,
      port: iface.port,
      bridge: iface.bridge,
      type: iface.type,
      ofport: iface.ofport,
      mac: iface.mac,
      neutronPortId: ids.get('iface-id') ?? null,
      vmUuid: ids.get('vm-uuid') ?? null,
      ifaceStatus: ids.get('iface-status') ?? null,
      linkUp: iface.linkUp,
      adminUp: iface.adminUp,
      mtu: iface.mtu,
      localVlan: iface.localVlan,
      trunks: getSet(portRow, 'trunks').filter((t): t is number => typeof t === 'number'),
    },
    path,
    tenant: tenantOf(iface, getStringMap(portRow, 'other_config'), carrying.map((b) => b.step)),
    qos: {
      policing: policingOf(ifaceRow),
      portQos: portQosOf(portRow, sources.tables),
      meters: metersOf(iface.bridge, directed, meterConfigs, recordedMeters(sources.tables, iface.bridge)),
      queueFlows: summaries.filter((f) => f.actions.some((a) => a.startsWith('set_queue:'))),
    },
    rates: reading.rates,
    ratesNote: reading.note,
    counters: iface.counters,
    trace,
    warnings: attempts.warnings,
    at: at.toISOString(),
  };
}

function flowKey(f: FlowStats): string {
  return `${f.tableId}/${f.priority}/${f.cookie}/${JSON.stringify(f.match, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
}

function dedupe(flows: readonly FlowStats[]): FlowStats[] {
  const seen = new Map<string, FlowStats>();
  for (const f of flows) if (!seen.has(flowKey(f))) seen.set(flowKey(f), f);
  return [...seen.values()];
}

/** br-tun: the flows that map `localVlan` to a VNI and back, and which tunnel ports they send to. */
function tunnelStep(bridge: string, localVlan: number | null, flows: readonly FlowStats[], tunnels: readonly IfaceRow[]): TunnelStep {
  const all = TunnelVlanMap.from(flows);
  const vni = localVlan === null ? undefined : all.vlanToVni.get(localVlan);
  const inboundVlan = vni === undefined ? undefined : all.vniToVlan.get(vni);
  const mapping: FlowStats[] = [];
  const outputs = new Set<number>();
  for (const f of flows) {
    const one = TunnelVlanMap.from([f]);
    const outbound = localVlan !== null && vni !== undefined && one.vlanToVni.get(localVlan) === vni;
    if (!outbound && !(vni !== undefined && one.vniToVlan.has(vni))) continue;
    mapping.push(f);
    if (outbound) for (const a of actionsOf(f.instructions)) if (a.type === 'output') outputs.add(a.port);
  }
  const tunnelPorts: TunnelPort[] = tunnels.map(({ state, row }) => {
    const options = getStringMap(row, 'options');
    return {
      port: state.port,
      interface: state.name,
      type: state.type,
      ofport: state.ofport,
      remoteIp: options.get('remote_ip') ?? null,
      localIp: options.get('local_ip') ?? null,
      key: options.get('key') ?? options.get('out_key') ?? null,
      carriesThisNetwork: state.ofport !== null && outputs.has(state.ofport),
    };
  });
  return {
    kind: 'tunnel',
    bridge,
    localVlan,
    vni: vni ?? null,
    inboundVlan: inboundVlan ?? null,
    flows: mapping.map(summarize).sort(byPipelineOrder),
    tunnels: tunnelPorts,
  };
}

/** A bridge's flows, summarised with the bridge's name, in pipeline order. */
function onBridge(bridge: string, flows: readonly FlowStats[]): ProviderFlow[] {
  return flows.map((f) => ({ ...summarize(f), bridge })).sort(byPipelineOrder);
}

/**
 * A provider bridge: outbound, its own flow `dl_vlan=local → mod_vlan_vid:provider`; inbound, the
 * integration bridge's flow from the patch port `dl_vlan=provider → mod_vlan_vid:local`.
 */
function providerStep(
  wiring: Wiring,
  bridge: string,
  localVlan: number | null,
  flows: readonly FlowStats[],
  inbound: { readonly bridge: string; readonly flows: readonly FlowStats[] },
): ProviderStep {
  let providerVlan: number | null = null;
  const outboundMapping: FlowStats[] = [];
  const inboundMapping: FlowStats[] = [];
  if (localVlan !== null) {
    for (const f of flows) {
      const t = new VlanTranslations();
      t.add(f);
      const to = t.pairs.get(localVlan);
      if (to === undefined) continue;
      providerVlan ??= to;
      outboundMapping.push(f);
    }
    for (const f of inbound.flows) {
      const t = new VlanTranslations();
      t.add(f);
      const from = [...t.pairs].find(([, to]) => to === localVlan)?.[0];
      if (from === undefined) continue;
      providerVlan ??= from;
      inboundMapping.push(f);
    }
  }
  const uplinks = wiring.onBridge(bridge)
    .filter((i) => i.state.type !== 'patch' && i.state.type !== 'internal')
    .map((i) => i.state.port);
  return {
    kind: 'provider',
    bridge,
    localVlan,
    providerVlan,
    flows: [...onBridge(bridge, outboundMapping), ...onBridge(inbound.bridge, inboundMapping)],
    uplinks: [...new Set(uplinks)].sort(),
  };
}

/** Neutron writes the string `None` (Python's) into other_config for what a tunnel network lacks. */
function known(value: string | undefined): string | null {
  return value === undefined || value === '' || value === UNKNOWN || value === 'None' ? null : value;
}

function tenantOf(iface: InterfaceState, portOtherConfig: ReadonlyMap<string, string>, carrying: readonly (TunnelStep | ProviderStep)[]): ExplainedTenant {
  const t = iface.tenant;
  const fromFlows = carrying.map((s) => (s.kind === 'tunnel' ? s.vni : s.providerVlan)).find((v) => v !== null) ?? null;
  const tunnelType = carrying.flatMap((s) => (s.kind === 'tunnel' ? s.tunnels.filter((p) => p.carriesThisNetwork).map((p) => p.type) : [])).at(0);
  const flowType = tunnelType ?? (carrying.some((s) => s.kind === 'provider') ? 'vlan' : undefined);
  const tenancySeg = t.segmentationId ?? null;
  return {
    neutronPortId: t.neutronPortId,
    networkId: t.networkId,
    projectId: t.projectId,
    networkName: known(t.networkName),
    networkType: known(t.networkType) ?? flowType ?? null,
    segmentationId: fromFlows ?? tenancySeg,
    segmentationFrom: fromFlows !== null ? 'flows' : tenancySeg !== null ? 'tenancy' : null,
    tenancySegmentationId: fromFlows !== null && tenancySeg !== null && tenancySeg !== fromFlows ? tenancySeg : null,
    physicalNetwork: known(t.physicalNetwork) ?? known(portOtherConfig.get('physical_network')),
  };
}

