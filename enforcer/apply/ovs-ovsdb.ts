/**
 * The OVSDB half of the OVS backend, done the way neutron-openvswitch-agent does it so operators
 * see the state they know (neutron/agent/common/ovs_lib.py):
 *  - VM egress: Interface.ingress_policing_rate = max_kbps, ingress_policing_burst = max_burst_kbps;
 *  - VM ingress: Port.qos → QoS {type linux-htb, other_config max-rate 2^35-1, queues {0: Queue}},
 *    Queue other_config {max-rate: max_kbps × 1000, burst: max_burst_kbps × 1000} (bit/s, bits);
 *    on DPDK ports (vhost-user) Port.qos → QoS {type egress-policer, other_config {cir: max_kbps ×
 *    1000 / 8, cbs: max_burst_kbps × 1000 / 8}} (bytes/s, bytes, rounded down), no queues
 *    (ovs_lib _update_ingress_bw_limit_for_dpdk_port); VM egress stays ingress policing there too.
 * Neutron also installs a br-int table-0 flow `reg3=0 → set_queue:0` for the htb queue. On the
 * userspace datapath it makes no difference: traffic sent to no queue goes to htb's default class,
 * which OVS makes queue 0 (measured with iperf3: a 20 Mbit/s queue held TCP at 19.1 Mbit/s with
 * or without the flow), so the enforcer does not install it.
 * Each change is a list of transact operations guarded by `wait` operations on what was read,
 * so a row someone changed in between fails the transaction instead of being overwritten.
 * Rows Neutron (or anyone) made are never changed: a port whose QoS or policing the enforcer
 * does not own is reported instead.
 */
import type { TransactOperation } from '../../collector/ovsdb/transact.js';
import type { Json } from '../../collector/ovsdb/json.js';
import { OWNER_VALUE, POLICING_OWNER_KEY } from '../../common/ownership.js';
import type { BandwidthLimit, EgressMechanism, IngressMechanism } from '../policy/limits.js';
import type { Resolution } from '../policy/resolve.js';
import {
  byUuid,
  deleteMapKeys,
  emptySet,
  namedUuid,
  ownedCondition,
  ownerIds,
  ovsMap,
  setMapKeys,
  uuidRef,
  waitFor,
} from './ovsdb-json.js';
import { policingOf, portQos, qosRow, queueRow, type OvsPort, type Ownership, type QosState, type TableView } from './ovs-rows.js';
import { changeKey, fingerprint, type Change, type Finding, type StateJson } from './types.js';

/** Neutron's QoS other_config max-rate for the htb root (ovs_lib.OVS_MAX_RATE). */
export const OVS_MAX_RATE = String(2 ** 35 - 1);
/** Neutron's QOS_DEFAULT_QUEUE: traffic not sent to another queue goes through queue 0. */
const DEFAULT_QUEUE = 0;
const HTB = 'linux-htb';
const POLICER = 'egress-policer';

export interface OvsdbChange extends Change {
  readonly ovsdb: readonly TransactOperation[];
}

export interface OvsdbPlanPart {
  readonly changes: OvsdbChange[];
  readonly inSync: Map<string, string>;
  readonly findings: Finding[];
}

interface Planner {
  readonly view: TableView;
  /** The owned rows and the references to them (computed when first needed). */
  owned(): Ownership;
  readonly part: OvsdbPlanPart;
  /** uuid-names are unique per transaction, and changes may be batched into one. */
  nextName(prefix: string): string;
  /** Owned QoS rows claimed by a port this round (not garbage). */
  readonly claimed: Set<string>;
}

function policingState(limit: BandwidthLimit<EgressMechanism>): StateJson {
  return { ingress_policing_rate: limit.kbps, ingress_policing_burst: limit.burstKb };
}

function queueConfig(limit: BandwidthLimit<IngressMechanism>): Map<string, string> {
  return new Map([['max-rate', String(limit.kbps * 1000)], ['burst', String(limit.burstKb * 1000)]]);
}

function htbState(limit: BandwidthLimit<IngressMechanism>): StateJson {
  return { qos_type: 'linux-htb', queue: DEFAULT_QUEUE, 'max-rate': String(limit.kbps * 1000), burst: String(limit.burstKb * 1000) };
}

/** egress-policer's other_config: committed rate and burst in bytes (Neutron: kbit × 1000 // 8). */
function policerConfig(limit: BandwidthLimit<IngressMechanism>): Map<string, string> {
  return new Map([['cir', String(Math.floor((limit.kbps * 1000) / 8))], ['cbs', String(Math.floor((limit.burstKb * 1000) / 8))]]);
}

function policerState(limit: BandwidthLimit<IngressMechanism>): StateJson {
  return { qos_type: POLICER, ...Object.fromEntries(policerConfig(limit)) };
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

const mapJson = (m: ReadonlyMap<string, string>): Json => ovsMap(m);

function describeQos(view: TableView, qos: QosState): StateJson {
  const base = { qos: qos.uuid, qos_type: qos.type, external_ids: Object.fromEntries(qos.externalIds) };
  if (qos.type === POLICER) return { ...base, cir: qos.otherConfig.get('cir') ?? null, cbs: qos.otherConfig.get('cbs') ?? null };
  const queue = qos.queues.get(DEFAULT_QUEUE);
  const q = queue === undefined ? null : queueRow(view, queue);
  return { ...base, queue: DEFAULT_QUEUE, 'max-rate': q?.otherConfig.get('max-rate') ?? null, burst: q?.otherConfig.get('burst') ?? null };
}

function planPolicing(p: Planner, port: OvsPort, want: BandwidthLimit<EgressMechanism> | undefined, resolution: Resolution): void {
  const actual = policingOf(p.view, port.interfaceUuid);
  if (!actual) return;
  const wanted = want !== undefined && want.mechanism === 'policing' ? want : undefined;
  if (wanted === undefined && !actual.owned) return;
  const key = changeKey(port.key, 'ingress_policing');
  if (wanted && actual.owned && actual.rate === wanted.kbps && actual.burst === wanted.burstKb) {
    p.part.inSync.set(key, fingerprint(policingState(wanted)));
    return;
  }
  const before: StateJson = actual.rate === 0 && actual.burst === 0 ? null : { ingress_policing_rate: actual.rate, ingress_policing_burst: actual.burst };
  if (wanted && !actual.owned && actual.rate !== 0) {
    p.part.findings.push({ key, target: port, mechanism: 'ingress_policing', reason: 'ingress policing set by someone else (no enforcer marker): not changed', state: before });
    return;
  }
  const guard = waitFor('Interface', [byUuid(port.interfaceUuid)], { ingress_policing_rate: actual.rate, ingress_policing_burst: actual.burst });
  if (wanted === undefined) {
    p.part.changes.push({
      key, target: port, mechanism: 'ingress_policing', action: 'remove', before, after: null, resolution,
      ovsdb: [
        guard,
        { op: 'update', table: 'Interface', where: [byUuid(port.interfaceUuid)], row: { ingress_policing_rate: 0, ingress_policing_burst: 0 } },
        deleteMapKeys('Interface', port.interfaceUuid, 'external_ids', [POLICING_OWNER_KEY]),
      ],
    });
    return;
  }
  p.part.changes.push({
    key, target: port, mechanism: 'ingress_policing', action: actual.owned ? 'update' : 'apply', before, after: policingState(wanted), rates: { kbps: wanted.kbps }, resolution,
    ovsdb: [
      guard,
      { op: 'update', table: 'Interface', where: [byUuid(port.interfaceUuid)], row: { ingress_policing_rate: wanted.kbps, ingress_policing_burst: wanted.burstKb } },
      ...setMapKeys('Interface', port.interfaceUuid, 'external_ids', [[POLICING_OWNER_KEY, OWNER_VALUE]]),
    ],
  });
}

/** Operations that make owned QoS `qos` a linux-htb holding exactly one owned queue 0 with `config`. */
function fixHtb(p: Planner, port: OvsPort, qos: QosState, config: Map<string, string>): TransactOperation[] {
  const ops: TransactOperation[] = [];
  if (qos.type !== HTB || qos.otherConfig.get('max-rate') !== OVS_MAX_RATE || qos.otherConfig.size !== 1) {
    ops.push(
      waitFor('QoS', [byUuid(qos.uuid), ownedCondition], { type: qos.type, other_config: mapJson(qos.otherConfig) }),
      { op: 'update', table: 'QoS', where: [byUuid(qos.uuid)], row: { type: HTB, other_config: ovsMap([['max-rate', OVS_MAX_RATE]]) } },
    );
  }
  const queueUuid = qos.queues.get(DEFAULT_QUEUE);
  const queue = queueUuid === undefined ? null : queueRow(p.view, queueUuid);
  if (queue?.owned && qos.queues.size === 1) {
    if (!sameMap(queue.otherConfig, config)) {
      ops.push(
        waitFor('Queue', [byUuid(queue.uuid), ownedCondition], { other_config: mapJson(queue.otherConfig) }),
        { op: 'update', table: 'Queue', where: [byUuid(queue.uuid)], row: { other_config: mapJson(config) } },
      );
    }
    return ops;
  }
  // Queue 0 gone, not ours, or extra queues: give the QoS a fresh queue of its own.
  const name = p.nextName('queue');
  ops.push(
    waitFor('QoS', [byUuid(qos.uuid), ownedCondition], { queues: ovsMap([...qos.queues].map(([n, u]) => [n, uuidRef(u)])) }),
    { op: 'insert', table: 'Queue', 'uuid-name': name, row: { other_config: mapJson(config), external_ids: ownerIds(port.port) } },
    { op: 'update', table: 'QoS', where: [byUuid(qos.uuid)], row: { queues: ovsMap([[DEFAULT_QUEUE, namedUuid(name)]]) } },
  );
  return ops;
}

/**
 * Operations that make owned QoS `qos` an egress-policer with `config` and no queues (an owned
 * queue it held is collected as garbage by the next full reconcile).
 */
function fixPolicer(qos: QosState, config: Map<string, string>): TransactOperation[] {
  if (qos.type === POLICER && sameMap(qos.otherConfig, config) && qos.queues.size === 0) return [];
  return [
    waitFor('QoS', [byUuid(qos.uuid), ownedCondition], { type: qos.type, other_config: mapJson(qos.otherConfig), queues: ovsMap([...qos.queues].map(([n, u]) => [n, uuidRef(u)])) }),
    { op: 'update', table: 'QoS', where: [byUuid(qos.uuid)], row: { type: POLICER, other_config: mapJson(config), queues: ovsMap([]) } },
  ];
}

/** The QoS a port should carry: what to compare, how to fix an owned one, how to make one. */
interface QosDesire {
  readonly after: StateJson;
  fix(qos: QosState): TransactOperation[];
  create(qosName: string): TransactOperation[];
}

function htbDesire(p: Planner, port: OvsPort, limit: BandwidthLimit<IngressMechanism>): QosDesire {
  const config = queueConfig(limit);
  return {
    after: htbState(limit),
    fix: (qos) => fixHtb(p, port, qos, config),
    create(qosName): TransactOperation[] {
      const queueName = p.nextName('queue');
      return [
        { op: 'insert', table: 'Queue', 'uuid-name': queueName, row: { other_config: mapJson(config), external_ids: ownerIds(port.port) } },
        {
          op: 'insert', table: 'QoS', 'uuid-name': qosName,
          row: { type: HTB, other_config: ovsMap([['max-rate', OVS_MAX_RATE]]), queues: ovsMap([[DEFAULT_QUEUE, namedUuid(queueName)]]), external_ids: ownerIds(port.port) },
        },
      ];
    },
  };
}

function policerDesire(port: OvsPort, limit: BandwidthLimit<IngressMechanism>): QosDesire {
  const config = policerConfig(limit);
  return {
    after: policerState(limit),
    fix: (qos) => fixPolicer(qos, config),
    create: (qosName) => [{ op: 'insert', table: 'QoS', 'uuid-name': qosName, row: { type: POLICER, other_config: mapJson(config), external_ids: ownerIds(port.port) } }],
  };
}

/** VM ingress through Port.qos: linux-htb with queue 0, or egress-policer on a DPDK port. */
function planPortQos(p: Planner, port: OvsPort, want: BandwidthLimit<IngressMechanism> | undefined, resolution: Resolution): void {
  const mechanism = port.dpdk ? 'egress_policer' : 'htb';
  const key = changeKey(port.key, mechanism);
  const current = portQos(p.view, port.portUuid);
  const qos = current === null ? null : qosRow(p.view, current);
  const wanted = want !== undefined && want.mechanism === 'htb' ? want : undefined;
  const portGuard = (): TransactOperation => waitFor('Port', [byUuid(port.portUuid)], { qos: current === null ? emptySet : uuidRef(current) });
  if (qos && !qos.owned) {
    if (wanted) p.part.findings.push({ key, target: port, mechanism, reason: 'the port has a QoS the enforcer does not own (Neutron marks its own with external_ids id): not changed', state: describeQos(p.view, qos) });
    return;
  }
  if (qos) p.claimed.add(qos.uuid);
  if (!wanted) {
    if (!qos) return;
    p.part.changes.push({
      key, target: port, mechanism, action: 'remove', before: describeQos(p.view, qos), after: null, resolution,
      ovsdb: [
        portGuard(),
        { op: 'update', table: 'Port', where: [byUuid(port.portUuid)], row: { qos: emptySet } },
        { op: 'delete', table: 'QoS', where: [byUuid(qos.uuid), ownedCondition] },
        ...[...qos.queues.values()].map((q): TransactOperation => ({ op: 'delete', table: 'Queue', where: [byUuid(q), ownedCondition] })),
      ],
    });
    return;
  }
  const desire = port.dpdk ? policerDesire(port, wanted) : htbDesire(p, port, wanted);
  const { after } = desire;
  const rates = { kbps: wanted.kbps };
  if (qos) {
    const ops = desire.fix(qos);
    if (ops.length === 0) p.part.inSync.set(key, fingerprint(after));
    else p.part.changes.push({ key, target: port, mechanism, action: 'update', before: describeQos(p.view, qos), after, rates, resolution, ovsdb: ops });
    return;
  }
  // No QoS on the port: re-attach the one the enforcer made for it (someone cleared Port.qos), or make one.
  const owned = p.owned();
  const orphan = (owned.qosByPort.get(port.port) ?? []).map((u) => qosRow(p.view, u)).find((q) => q !== null && !owned.referencedQos.has(q.uuid));
  if (orphan) {
    p.claimed.add(orphan.uuid);
    p.part.changes.push({
      key, target: port, mechanism, action: 'update', before: null, after, rates, resolution,
      ovsdb: [portGuard(), ...desire.fix(orphan), { op: 'update', table: 'Port', where: [byUuid(port.portUuid)], row: { qos: uuidRef(orphan.uuid) } }],
    });
    return;
  }
  const qosName = p.nextName('qos');
  p.part.changes.push({
    key, target: port, mechanism, action: 'apply', before: null, after, rates, resolution,
    ovsdb: [portGuard(), ...desire.create(qosName), { op: 'update', table: 'Port', where: [byUuid(port.portUuid)], row: { qos: namedUuid(qosName) } }],
  });
}

/** Owned rows nothing uses any more (their port is gone, or someone detached and replaced them). */
function planGarbage(p: Planner): void {
  const ops: TransactOperation[] = [];
  const dropped: string[] = [];
  const freedQueues = new Set<string>();
  const owned = p.owned();
  for (const uuid of owned.ownedQos) {
    if (owned.referencedQos.has(uuid) || p.claimed.has(uuid)) continue;
    const qos = qosRow(p.view, uuid);
    ops.push({ op: 'delete', table: 'QoS', where: [byUuid(uuid), ownedCondition] });
    dropped.push(`QoS ${uuid}`);
    for (const q of qos?.queues.values() ?? []) freedQueues.add(q);
  }
  for (const uuid of owned.ownedQueues) {
    const inUse = owned.referencedQueues.has(uuid) && !freedQueues.has(uuid);
    if (inUse) continue;
    ops.push({ op: 'delete', table: 'Queue', where: [byUuid(uuid), ownedCondition] });
    dropped.push(`Queue ${uuid}`);
  }
  if (ops.length === 0) return;
  p.part.changes.push({ key: 'ovsdb#garbage', target: null, mechanism: 'garbage', action: 'remove', before: { rows: dropped }, after: null, ovsdb: ops });
}

export interface OvsdbDesire {
  readonly port: OvsPort;
  readonly resolution: Resolution;
}

/**
 * What a port's OVSDB plan depended on, when it found everything in place: the rows it read
 * and the limits it was asked for. While none of those rows changed (the backend tracks the
 * uuids of changed rows) and the same limits are wanted, the answer is the same: the steady
 * state costs a lookup and two identity checks per port.
 */
interface InSyncMemo {
  readonly rows: readonly string[];
  readonly egress: unknown;
  readonly ingress: unknown;
  readonly qos: string | null;
  readonly inSync: readonly (readonly [string, string])[];
}

/** The rows a port's plan reads: its Interface and Port, and the QoS and queue 0 on it. */
function dependencies(view: TableView, port: OvsPort): { rows: string[]; qos: string | null } {
  const rows = [port.interfaceUuid, port.portUuid];
  const qos = portQos(view, port.portUuid);
  if (qos !== null) {
    rows.push(qos);
    const queues = view.table('QoS').get(qos)?.queues;
    const queue = queues instanceof Map ? queues.get(DEFAULT_QUEUE) : undefined;
    if (typeof queue === 'string') rows.push(queue);
  }
  return { rows, qos };
}

/** The per-port mechanisms the OVSDB half plans, whose in-sync state a memo keeps. */
const PORT_MECHANISMS = ['ingress_policing', 'htb', 'egress_policer'] as const;

/**
 * Plans policing and the port's QoS for each port given, then (when they are every port) the
 * garbage collection of orphaned owned rows.
 */
export class OvsdbPlanner {
  private memo = new Map<string, InSyncMemo>();

  /** Forgets every memo (the replica was replaced wholesale). */
  forget(): void {
    this.memo = new Map();
  }

  /**
   * `owned`: the ownership of `view` (the backend caches it between changes of the tables it
   * reads); `changed`: whether a row changed since the last complete plan.
   */
  plan(view: TableView, desired: readonly OvsdbDesire[], complete: boolean, owned: () => Ownership, changed: (uuid: string) => boolean): OvsdbPlanPart {
    let counter = 0;
    const p: Planner = {
      view,
      owned,
      part: { changes: [], inSync: new Map(), findings: [] },
      nextName: (prefix) => `${prefix}${counter++}`,
      claimed: new Set(),
    };
    // A complete plan starts a new memo (ports that are gone drop out); a partial one updates its ports'.
    const memo = complete ? new Map<string, InSyncMemo>() : this.memo;
    for (const { port, resolution } of desired) {
      const egress = resolution.limits?.egress;
      const ingress = resolution.limits?.ingress;
      const known = this.memo.get(port.key);
      if (known && known.egress === egress && known.ingress === ingress && !known.rows.some(changed)) {
        for (const [k, v] of known.inSync) p.part.inSync.set(k, v);
        if (known.qos !== null) p.claimed.add(known.qos);
        memo.set(port.key, known);
        continue;
      }
      const [changes, findings] = [p.part.changes.length, p.part.findings.length];
      const deps = dependencies(view, port);
      planPolicing(p, port, egress, resolution);
      planPortQos(p, port, ingress, resolution);
      if (p.part.changes.length === changes && p.part.findings.length === findings) {
        const inSync = PORT_MECHANISMS.flatMap((m) => {
          const k = changeKey(port.key, m);
          const fp = p.part.inSync.get(k);
          return fp === undefined ? [] : [[k, fp] as const];
        });
        memo.set(port.key, { rows: deps.rows, egress, ingress, qos: deps.qos, inSync });
      } else {
        memo.delete(port.key);
      }
    }
    this.memo = memo;
    if (complete) planGarbage(p);
    return p.part;
  }
}
