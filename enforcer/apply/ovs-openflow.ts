/**
 * The OpenFlow half of the OVS backend: meters (kbps or pktps, one drop band) and the br-int
 * table-0 flows that send a port's traffic through them, plus DSCP marking, all through the
 * native OpenFlow client. Neutron's pattern (ovs_lib set_queue_for_ingress_bandwidth_limit): a
 * high-priority table-0 flow does its work, notes in a register that it ran, and resubmits to
 * table 0, where the packet then meets the agent's own flows exactly as before.
 *
 * Ownership: every flow carries the enforcer's cookie prefix; meters use the id range from
 * METER_BASE (OVS maps OpenFlow meter ids onto datapath meters, so high ids cost nothing), each
 * id derived from the port's ofport, so no allocation state is needed. Meters carry no marker,
 * so the id range alone proves nothing: a meter is the enforcer's only if the bridge's record
 * (Bridge external_ids METERS_KEY, written before the meter is added and cleared after it is
 * deleted) lists its id, or one of the enforcer's own flows uses it (only the enforcer adds
 * those, and only after adding the meter: this also adopts meters made before the record
 * existed). Any other meter, in the range or not, is never modified or deleted: a port whose
 * meter id is taken by one is reported, and its meter flows wait.
 */
import type { FlowMod, FlowStats, MatchField, MeterConfig, MeterMod, OxmValue } from '../../collector/openflow/index.js';
import type { Action, Instruction } from '../../collector/openflow/index.js';
import type { Resolution } from '../policy/resolve.js';
import { changeKey, fingerprint, type Change, type Finding, type Mechanism, type StateJson } from './types.js';
import type { OvsPort } from './ovs-rows.js';
import { COOKIE_PREFIX, METER_BASE } from '../../common/ownership.js';

export { COOKIE_MASK, COOKIE_PREFIX, isOwnedMeter, METER_BASE } from '../../common/ownership.js';

/**
 * Registers that record "this table-0 pass already ran": Neutron's agent uses reg2 (DSCP),
 * reg3 (ingress bandwidth queue), reg4 (minimum bandwidth) and reg5-reg7 (OVS firewall); these
 * two are free. Set whole (an unmasked set_field works in every OpenFlow version).
 */
const EGRESS_REG = 'reg13';
const INGRESS_REG = 'reg14';
const PRIORITY_METER = 230;
/** DSCP flows match IPv4/IPv6 and must win over the port's plain meter flow. */
const PRIORITY_DSCP = 231;
const OFPP_IN_PORT = 0xfffffff8;
const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;

const enum Kind {
  EgressMeter = 1,
  DscpV4 = 2,
  DscpV6 = 3,
  IngressMeter = 4,
}

export function cookieOf(ofport: number, kind: number): bigint {
  return COOKIE_PREFIX | (BigInt(ofport) << 8n) | BigInt(kind);
}

export function meterIdOf(ofport: number, direction: 'egress' | 'ingress'): number {
  return METER_BASE + ofport * 2 + (direction === 'ingress' ? 1 : 0);
}


export interface MeterSpec {
  readonly unit: 'kbps' | 'pktps';
  readonly rate: number;
  readonly burst: number;
}

interface FlowSpec {
  readonly cookie: bigint;
  readonly priority: number;
  readonly match: readonly MatchField[];
  readonly instructions: readonly Instruction[];
}

/** What one change does on one bridge, in the order the phases run across a batch. */
export interface OpenFlowOps {
  readonly bridge: string;
  readonly meters: readonly MeterMod[];
  readonly flows: readonly FlowMod[];
  readonly deleteFlows: readonly FlowMod[];
  readonly deleteMeters: readonly MeterMod[];
}

export interface OpenFlowChange extends Change {
  readonly openflow: OpenFlowOps;
}

/** The bridge's owned flows and meters as read back from the switch. */
export interface BridgeFlows {
  readonly bridge: string;
  readonly flows: ReadonlyMap<bigint, FlowStats>;
  /** The enforcer's meters (see the ownership rule above). */
  readonly meters: ReadonlyMap<number, MeterConfig>;
  /** Meters in the enforcer's id range that are not its own: never touched. */
  readonly foreignMeters: ReadonlySet<number>;
}

export interface OpenFlowPlanPart {
  readonly changes: OpenFlowChange[];
  readonly inSync: Map<string, string>;
  readonly findings: Finding[];
}

/** The meter ids a flow's instructions use (OF1.3/1.4: meter instruction; OF1.5: meter action). */
export function meterIdsOf(instructions: readonly Instruction[]): number[] {
  const ids: number[] = [];
  for (const inst of instructions) {
    if (inst.type === 'meter') ids.push(inst.meterId);
    else if (inst.type === 'apply_actions') for (const a of inst.actions) if (a.type === 'meter') ids.push(a.meterId);
  }
  return ids;
}

// ---- Canonical text of a flow, to compare what is installed with what should be.

function valueText(v: OxmValue): string {
  return typeof v === 'string' ? v.toLowerCase() : v.toString();
}

function actionText(a: Action): string {
  switch (a.type) {
    case 'set_field':
      return `set_field:${a.field.field}=${valueText(a.field.value)}`;
    case 'resubmit':
      return `resubmit:${a.port}:${a.tableId ?? ''}`;
    default:
      return JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

/**
 * OF1.3/1.4 carry a meter as an instruction, OF1.5 as the first apply action (and OVS answers in
 * whichever version the connection uses): both read the same here.
 */
export function flowSignature(priority: number, match: readonly MatchField[], instructions: readonly Instruction[]): string {
  const fields = match.map((f) => `${f.field}=${valueText(f.value)}${f.mask === undefined ? '' : `/${valueText(f.mask)}`}`).sort();
  const meters: number[] = [];
  const actions: string[] = [];
  const others: string[] = [];
  for (const inst of instructions) {
    if (inst.type === 'meter') meters.push(inst.meterId);
    else if (inst.type === 'apply_actions') {
      for (const a of inst.actions) {
        if (a.type === 'meter') meters.push(a.meterId);
        else actions.push(actionText(a));
      }
    } else others.push(JSON.stringify(inst));
  }
  return `priority=${priority} ${fields.join(',')} meter=${meters.join(',')} actions=${actions.join(',')} ${others.join(',')}`;
}

// ---- Desired state of one port.

function egressMeter(resolution: Resolution): MeterSpec | null {
  const l = resolution.limits;
  if (l?.egress?.mechanism === 'meter') return { unit: 'kbps', rate: l.egress.kbps, burst: l.egress.burstKb };
  if (l?.egressPackets) return { unit: 'pktps', rate: l.egressPackets.pps, burst: l.egressPackets.burstPackets };
  return null;
}

function ingressMeter(resolution: Resolution): MeterSpec | null {
  const l = resolution.limits;
  if (l?.ingress?.mechanism === 'meter') return { unit: 'kbps', rate: l.ingress.kbps, burst: l.ingress.burstKb };
  if (l?.ingressPackets) return { unit: 'pktps', rate: l.ingressPackets.pps, burst: l.ingressPackets.burstPackets };
  return null;
}

function markAndResubmit(register: string): Action[] {
  return [
    { type: 'set_field', field: { field: register, value: 1 } },
    { type: 'resubmit', port: OFPP_IN_PORT, tableId: 0, ct: false },
  ];
}

function meterFlow(cookie: bigint, match: MatchField[], meterId: number, register: string): FlowSpec {
  return {
    cookie,
    priority: PRIORITY_METER,
    match: [...match, { field: register, value: 0 }],
    instructions: [{ type: 'meter', meterId }, { type: 'apply_actions', actions: markAndResubmit(register) }],
  };
}

function dscpFlows(ofport: number, dscp: number, meterId: number | null): FlowSpec[] {
  return ([[Kind.DscpV4, ETH_IPV4], [Kind.DscpV6, ETH_IPV6]] as const).map(([kind, ethType]) => ({
    cookie: cookieOf(ofport, kind),
    priority: PRIORITY_DSCP,
    match: [{ field: 'in_port', value: ofport }, { field: 'eth_type', value: ethType }, { field: EGRESS_REG, value: 0 }],
    instructions: [
      ...(meterId === null ? [] : [{ type: 'meter', meterId } as const]),
      { type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ip_dscp', value: dscp } }, ...markAndResubmit(EGRESS_REG)] },
    ],
  }));
}

function meterState(id: number, m: MeterSpec | MeterConfig | null): StateJson {
  if (m === null) return null;
  if ('unit' in m) return { meter_id: id, unit: m.unit, rate: m.rate, burst: m.burst };
  const band = m.bands[0];
  return { meter_id: id, unit: m.flags.includes('pktps') ? 'pktps' : 'kbps', rate: band?.rate ?? null, burst: band?.burstSize ?? null };
}

function sameMeter(actual: MeterConfig, want: MeterSpec): boolean {
  const band = actual.bands[0];
  return actual.bands.length === 1 && band.type === 'drop' && band.rate === want.rate && band.burstSize === want.burst
    && actual.flags.includes(want.unit) && actual.flags.includes('burst');
}

function meterMod(command: 'add' | 'modify', meterId: number, m: MeterSpec): MeterMod {
  return { command, meterId, flags: [m.unit, 'burst', 'stats'], bands: [{ type: 'drop', rate: m.rate, burstSize: m.burst }] };
}

function addFlow(f: FlowSpec): FlowMod {
  return { command: 'add', tableId: 0, priority: f.priority, cookie: f.cookie, match: f.match, instructions: f.instructions };
}

/** Deletes every flow with exactly this cookie (only the enforcer's cookies are ever passed). */
export function deleteFlow(cookie: bigint): FlowMod {
  return { command: 'delete', tableId: 0, cookie, cookieMask: 0xffffffffffffffffn };
}

interface MechanismDesire {
  readonly mechanism: Mechanism;
  /** The meter this mechanism owns, if any. */
  readonly meter: { readonly id: number; readonly spec: MeterSpec | null } | null;
  readonly flows: readonly FlowSpec[];
  /** Cookies this mechanism may hold on the switch (to remove what is no longer wanted). */
  readonly cookies: readonly bigint[];
  readonly after: StateJson;
  readonly rates?: { readonly kbps?: number; readonly pps?: number };
}

function ratesOfMeter(m: MeterSpec): { kbps?: number; pps?: number } {
  return m.unit === 'kbps' ? { kbps: m.rate } : { pps: m.rate };
}

function portDesires(port: OvsPort & { readonly ofport: number }, resolution: Resolution): MechanismDesire[] {
  const ofport = port.ofport;
  const eg = egressMeter(resolution);
  const ing = ingressMeter(resolution);
  const dscp = resolution.limits?.dscpMark;
  const egId = meterIdOf(ofport, 'egress');
  const ingId = meterIdOf(ofport, 'ingress');
  return [
    {
      mechanism: 'egress_meter',
      meter: { id: egId, spec: eg },
      flows: eg ? [meterFlow(cookieOf(ofport, Kind.EgressMeter), [{ field: 'in_port', value: ofport }], egId, EGRESS_REG)] : [],
      cookies: [cookieOf(ofport, Kind.EgressMeter)],
      after: meterState(egId, eg),
      rates: eg ? ratesOfMeter(eg) : undefined,
    },
    {
      mechanism: 'dscp',
      meter: null,
      flows: dscp === undefined ? [] : dscpFlows(ofport, dscp, eg ? egId : null),
      cookies: [cookieOf(ofport, Kind.DscpV4), cookieOf(ofport, Kind.DscpV6)],
      after: dscp === undefined ? null : { dscp_mark: dscp, ...(eg ? { meter_id: egId } : {}) },
    },
    {
      mechanism: 'ingress_meter',
      meter: { id: ingId, spec: ing },
      flows: ing ? [meterFlow(cookieOf(ofport, Kind.IngressMeter), [{ field: 'eth_dst', value: port.mac }], ingId, INGRESS_REG)] : [],
      cookies: [cookieOf(ofport, Kind.IngressMeter)],
      after: meterState(ingId, ing),
      rates: ing ? ratesOfMeter(ing) : undefined,
    },
  ];
}

function flowsState(flows: readonly FlowStats[]): StateJson {
  return flows.length === 0 ? null : { flows: flows.map((f) => flowSignature(f.priority, f.match, f.instructions)) };
}

export interface OpenFlowDesire {
  readonly port: OvsPort;
  readonly resolution: Resolution;
}

/**
 * Plans the meters and flows of the given ports on one bridge, then, when they are every port
 * (`complete`), removes owned ones nothing wants.
 */
export function planOpenFlow(actual: BridgeFlows, desired: readonly OpenFlowDesire[], complete: boolean): OpenFlowPlanPart {
  const part: OpenFlowPlanPart = { changes: [], inSync: new Map(), findings: [] };
  const wantedCookies = new Set<bigint>();
  const wantedMeters = new Set<number>();
  const empty = { bridge: actual.bridge, meters: [], flows: [], deleteFlows: [], deleteMeters: [] };
  // Ports holding any owned flow or meter: the others need no look unless a policy asks for something.
  const present = new Set<number>();
  for (const cookie of actual.flows.keys()) present.add(Number((cookie >> 8n) & 0xffffn));
  for (const id of actual.meters.keys()) present.add((id - METER_BASE) >> 1);
  for (const { port, resolution } of desired) {
    if (port.bridge !== actual.bridge || port.ofport === null) continue;
    const l = resolution.limits;
    const wantsFlows = l !== null && (l.egress?.mechanism === 'meter' || l.ingress?.mechanism === 'meter' || l.egressPackets !== undefined || l.ingressPackets !== undefined || l.dscpMark !== undefined);
    if (!wantsFlows && !present.has(port.ofport)) continue;
    for (const d of portDesires(port as OvsPort & { ofport: number }, resolution)) {
      const key = changeKey(port.key, d.mechanism);
      for (const c of d.cookies) wantedCookies.add(c);
      if (d.meter) wantedMeters.add(d.meter.id);
      const taken = [...(d.meter?.spec ? [d.meter.id] : []), ...d.flows.flatMap((f) => meterIdsOf(f.instructions))].find((id) => actual.foreignMeters.has(id));
      if (taken !== undefined) {
        part.findings.push({ key, target: port, mechanism: d.mechanism, reason: `meter ${taken} exists and was not created by the enforcer: not changed, its flows not added`, state: { meter_id: taken } });
        continue;
      }
      const meterNow = d.meter ? actual.meters.get(d.meter.id) ?? null : null;
      const flowsNow = d.cookies.map((c) => actual.flows.get(c)).filter((f): f is FlowStats => f !== undefined);
      const meters: MeterMod[] = [];
      const deleteMeters: MeterMod[] = [];
      const flows: FlowMod[] = [];
      const deleteFlows: FlowMod[] = [];
      if (d.meter?.spec && !(meterNow && sameMeter(meterNow, d.meter.spec))) meters.push(meterMod(meterNow ? 'modify' : 'add', d.meter.id, d.meter.spec));
      if (d.meter && !d.meter.spec && meterNow) deleteMeters.push({ command: 'delete', meterId: d.meter.id });
      const wanted = new Map(d.flows.map((f) => [f.cookie, f]));
      for (const f of d.flows) {
        const now = actual.flows.get(f.cookie);
        if (!now || flowSignature(now.priority, now.match, now.instructions) !== flowSignature(f.priority, f.match, f.instructions)) flows.push(addFlow(f));
      }
      // A meter that is re-created takes its flows with it (OVS deletes flows of a deleted meter).
      if (meters.some((m) => m.command === 'add')) for (const f of d.flows) if (!flows.some((x) => x.cookie === f.cookie)) flows.push(addFlow(f));
      for (const now of flowsNow) if (!wanted.has(now.cookie)) deleteFlows.push(deleteFlow(now.cookie));
      if (meters.length + deleteMeters.length + flows.length + deleteFlows.length === 0) {
        if (d.after !== null) part.inSync.set(key, fingerprint(d.after));
        continue;
      }
      const before = d.meter ? meterState(d.meter.id, meterNow) : flowsState(flowsNow);
      const nothingBefore = d.meter ? meterNow === null : flowsNow.length === 0;
      part.changes.push({
        key, target: port, mechanism: d.mechanism, action: d.after === null ? 'remove' : nothingBefore ? 'apply' : 'update',
        before, after: d.after, rates: d.rates, resolution,
        openflow: { ...empty, meters, flows, deleteFlows, deleteMeters },
      });
    }
  }
  if (!complete) return part;
  const strayFlows = [...actual.flows.keys()].filter((c) => !wantedCookies.has(c));
  const strayMeters = [...actual.meters.keys()].filter((id) => !wantedMeters.has(id));
  if (strayFlows.length + strayMeters.length > 0) {
    part.changes.push({
      key: `${actual.bridge}#openflow-garbage`, target: null, mechanism: 'garbage', action: 'remove',
      before: { bridge: actual.bridge, flows: strayFlows.map((c) => `0x${c.toString(16)}`), meters: strayMeters }, after: null,
      openflow: { ...empty, deleteFlows: strayFlows.map(deleteFlow), deleteMeters: strayMeters.map((meterId) => ({ command: 'delete', meterId })) },
    });
  }
  return part;
}
