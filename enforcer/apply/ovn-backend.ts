/**
 * The ML2/OVN backend: ovn-controller owns the datapath, so limits become OVN northbound QoS
 * rows, laid out the way Neutron's OVN QoS driver writes them (neutron ovn qos extension
 * _ovn_qos_rule): one row per port and direction on the port's Logical_Switch.qos_rules,
 * priority 2002, direction from-lport (VM egress, match `inport == "<port>"`) or to-lport
 * (VM ingress, match `outport == "<port>"`), bandwidth rate/burst in kbps, action dscp for
 * marking. The rows carry the enforcer's marker plus this host's name (several hosts' enforcers
 * share one northbound database), and rows anyone else wrote are never changed.
 */
import { hostname } from 'node:os';
import type { Row } from '../../collector/ovsdb/datum.js';
import type { Json } from '../../collector/ovsdb/json.js';
import { getInt, getSet, getString, getStringMap } from '../../collector/ovsdb/row.js';
import type { TransactOperation } from '../../collector/ovsdb/transact.js';
import { describeError } from '../../common/errors.js';
import { UNKNOWN } from '../../common/model.js';
import type { Resolution } from '../policy/resolve.js';
import type { Target } from '../policy/selector.js';
import { OWNER_KEY, OWNER_VALUE, PORT_KEY } from '../../common/ownership.js';
import { byUuid, namedUuid, ovsMap, uuidRef, waitFor, isPreconditionFailure } from './ovsdb-json.js';
import type { TableView } from './ovs-rows.js';
import type { Transactor } from './ovs-backend.js';
import { changeKey, fingerprint, type ApplyOutcome, type Backend, type Change, type Finding, type Mechanism, type Plan, type PortDesire, type StateJson } from './types.js';

/** The northbound tables and columns the backend monitors. */
export const OVN_NB_MONITOR = {
  Logical_Switch: { columns: ['name', 'ports', 'qos_rules', 'external_ids'] },
  Logical_Switch_Port: { columns: ['name', 'type', 'external_ids'] },
  QoS: { columns: ['priority', 'direction', 'match', 'action', 'bandwidth', 'external_ids'] },
} as const;

/** Neutron's OVN_QOS_DEFAULT_RULE_PRIORITY. */
export const OVN_QOS_PRIORITY = 2002;
/** external_ids key: which host's enforcer wrote the row. */
export const HOST_KEY = 'ovs-telemetry:host';

export interface OvnPort extends Target {
  readonly lsp: string;
  readonly switchUuid: string;
}

export interface OvnChange extends Change {
  readonly ovsdb: readonly TransactOperation[];
}

/** A locally bound port: the Interface whose external_ids:iface-id names the logical port. */
export interface LocalBinding {
  readonly interface: string;
  readonly bridge: string;
}

export interface OvnBackendOptions {
  readonly nb: Transactor;
  readonly view: TableView & { readonly synced: boolean };
  /** iface-id → local interface; null when no local OVSDB is watched. */
  readonly localPorts: () => ReadonlyMap<string, LocalBinding> | null;
  readonly localPortsOnly: boolean;
  /** Defaults to the host name. */
  readonly host?: string;
}

type Direction = 'from-lport' | 'to-lport';
const DIRECTIONS: readonly [Direction, Mechanism][] = [['from-lport', 'ovn_qos_from_lport'], ['to-lport', 'ovn_qos_to_lport']];

interface QosRowState {
  readonly uuid: string;
  readonly priority: number;
  readonly direction: string;
  readonly match: string;
  readonly bandwidth: ReadonlyMap<string, number>;
  readonly action: ReadonlyMap<string, number>;
  readonly externalIds: ReadonlyMap<string, string>;
}

function intMap(row: Row, column: string): Map<string, number> {
  const out = new Map<string, number>();
  const datum = row[column];
  if (datum instanceof Map) for (const [k, v] of datum) if (typeof k === 'string' && typeof v === 'number') out.set(k, v);
  return out;
}

function readQos(uuid: string, row: Row): QosRowState {
  return {
    uuid,
    priority: getInt(row, 'priority') ?? 0,
    direction: getString(row, 'direction') ?? '',
    match: getString(row, 'match') ?? '',
    bandwidth: intMap(row, 'bandwidth'),
    action: intMap(row, 'action'),
    externalIds: getStringMap(row, 'external_ids'),
  };
}

export function matchFor(direction: Direction, port: string): string {
  return `${direction === 'from-lport' ? 'inport' : 'outport'} == "${port}"`;
}

interface WantedRow {
  readonly bandwidth: ReadonlyMap<string, number>;
  readonly action: ReadonlyMap<string, number>;
}

function wanted(direction: Direction, resolution: Resolution): WantedRow | null {
  const l = resolution.limits;
  const bw = direction === 'from-lport' ? l?.egress : l?.ingress;
  const dscp = direction === 'from-lport' ? l?.dscpMark : undefined;
  if (!bw && dscp === undefined) return null;
  return {
    bandwidth: new Map(bw ? [['rate', bw.kbps], ['burst', bw.burstKb]] : []),
    action: new Map(dscp === undefined ? [] : [['dscp', dscp]]),
  };
}

function rowState(r: { readonly bandwidth: ReadonlyMap<string, number>; readonly action: ReadonlyMap<string, number> } | null, direction: Direction, port: string): StateJson {
  if (r === null) return null;
  return { direction, priority: OVN_QOS_PRIORITY, match: matchFor(direction, port), bandwidth: Object.fromEntries(r.bandwidth), action: Object.fromEntries(r.action) };
}

function sameInts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

const intMapJson = (m: ReadonlyMap<string, number>): Json => ovsMap(m);

export class OvnBackend implements Backend<OvnPort, OvnChange> {
  readonly name = 'ovn';
  private readonly host: string;

  constructor(private readonly opts: OvnBackendOptions) {
    this.host = opts.host ?? hostname();
  }

  ready(): boolean {
    return this.opts.view.synced;
  }

  private mine(q: QosRowState): boolean {
    return q.externalIds.get(OWNER_KEY) === OWNER_VALUE && q.externalIds.get(HOST_KEY) === this.host;
  }

  targets(): readonly OvnPort[] {
    const local = this.opts.localPorts();
    const ports = this.opts.view.table('Logical_Switch_Port');
    const out: OvnPort[] = [];
    for (const [switchUuid, ls] of this.opts.view.table('Logical_Switch')) {
      const switchName = getString(ls, 'name') ?? '';
      for (const portUuid of getSet(ls, 'ports')) {
        const lsp = ports.get(String(portUuid));
        if (!lsp || (getString(lsp, 'type') ?? '') !== '') continue;
        const name = getString(lsp, 'name') ?? '';
        const binding = local?.get(name);
        if (this.opts.localPortsOnly && binding === undefined) continue;
        const ids = getStringMap(lsp, 'external_ids');
        // On the port, neutron:network_name holds "neutron-<network uuid>" (DESIGN.md, ML2/OVN).
        const network = ids.get('neutron:network_name') ?? switchName;
        out.push({
          key: `lsp/${name}`,
          interface: binding?.interface ?? '',
          bridge: binding?.bridge ?? '',
          neutronPortId: name,
          networkId: network.startsWith('neutron-') ? network.slice('neutron-'.length) : UNKNOWN,
          projectId: ids.get('neutron:project_id') ?? UNKNOWN,
          lsp: name,
          switchUuid,
        });
      }
    }
    return out;
  }

  private ownedIdsFor(port: string): Json {
    return ovsMap([[OWNER_KEY, OWNER_VALUE], [PORT_KEY, port], [HOST_KEY, this.host]]);
  }

  async plan(desired: readonly PortDesire<OvnPort>[], complete: boolean): Promise<Plan<OvnChange>> {
    const changes: OvnChange[] = [];
    const inSync = new Map<string, string>();
    const findings: Finding[] = [];
    const qosTable = this.opts.view.table('QoS');
    const switches = this.opts.view.table('Logical_Switch');
    const claimed = new Set<string>();
    let names = 0;
    for (const { port, resolution } of desired) {
      const ls = switches.get(port.switchUuid);
      if (!ls) continue;
      const rules = getSet(ls, 'qos_rules').map(String);
      const onSwitch = rules.map((u) => qosTable.get(u)).flatMap((r, i) => (r ? [readQos(rules[i], r)] : []));
      for (const [direction, mechanism] of DIRECTIONS) {
        const key = changeKey(port.key, mechanism);
        const want = wanted(direction, resolution);
        const match = matchFor(direction, port.lsp);
        const ours = onSwitch.filter((q) => this.mine(q) && q.externalIds.get(PORT_KEY) === port.lsp && q.direction === direction);
        for (const q of ours) claimed.add(q.uuid);
        const foreign = onSwitch.find((q) => !this.mine(q) && q.direction === direction && (q.match === match || q.externalIds.get('neutron:port_id') === port.lsp));
        const [current, ...extra] = ours;
        const after = rowState(want, direction, port.lsp);
        const removeOps = (rows: readonly QosRowState[]): TransactOperation[] => rows.flatMap((q) => [
          waitFor('QoS', [byUuid(q.uuid)], { external_ids: ovsMap(q.externalIds) }),
          { op: 'mutate', table: 'Logical_Switch', where: [byUuid(port.switchUuid)], mutations: [['qos_rules', 'delete', ['set', [uuidRef(q.uuid)]]]] } as const,
        ]);
        if (want === null || (foreign && !current)) {
          if (want !== null) findings.push({ key, target: port, mechanism, reason: 'the logical port has a QoS row the enforcer did not write (Neutron\'s carries neutron:port_id): not changed', state: { qos: foreign!.uuid, match: foreign!.match, external_ids: Object.fromEntries(foreign!.externalIds) } });
          if (ours.length > 0) changes.push({ key, target: port, mechanism, action: 'remove', before: rowState(current, direction, port.lsp), after: null, resolution, ovsdb: removeOps(ours) });
          continue;
        }
        const rates = want.bandwidth.has('rate') ? { kbps: want.bandwidth.get('rate') } : undefined;
        if (current) {
          const same = current.priority === OVN_QOS_PRIORITY && current.match === match && sameInts(current.bandwidth, want.bandwidth) && sameInts(current.action, want.action);
          if (same && extra.length === 0) {
            inSync.set(key, fingerprint(after));
            continue;
          }
          changes.push({
            key, target: port, mechanism, action: 'update', before: rowState(current, direction, port.lsp), after, rates, resolution,
            ovsdb: [
              waitFor('QoS', [byUuid(current.uuid)], { external_ids: ovsMap(current.externalIds), bandwidth: intMapJson(current.bandwidth), action: intMapJson(current.action), match: current.match }),
              { op: 'update', table: 'QoS', where: [byUuid(current.uuid)], row: { priority: OVN_QOS_PRIORITY, match, bandwidth: intMapJson(want.bandwidth), action: intMapJson(want.action) } },
              ...removeOps(extra),
            ],
          });
          continue;
        }
        const name = `qos${names++}`;
        changes.push({
          key, target: port, mechanism, action: 'apply', before: null, after, rates, resolution,
          ovsdb: [
            // Precondition: still no row of ours for this port and direction (another writer raced us).
            { op: 'wait', table: 'QoS', where: [['external_ids', 'includes', this.ownedIdsFor(port.lsp)], ['direction', '==', direction]], columns: ['_uuid'], until: '==', rows: [], timeout: 0 },
            {
              op: 'insert', table: 'QoS', 'uuid-name': name,
              row: {
                priority: OVN_QOS_PRIORITY, direction, match, bandwidth: intMapJson(want.bandwidth), action: intMapJson(want.action),
                external_ids: this.ownedIdsFor(port.lsp),
              },
            },
            { op: 'mutate', table: 'Logical_Switch', where: [byUuid(port.switchUuid)], mutations: [['qos_rules', 'insert', ['set', [namedUuid(name)]]]] },
          ],
        });
      }
    }
    if (complete) changes.push(...this.garbage(claimed));
    return { changes, inSync, findings };
  }

  /** This host's rows whose port is gone or no longer a target here. */
  private garbage(claimed: ReadonlySet<string>): OvnChange[] {
    const out: OvnChange[] = [];
    for (const [switchUuid, ls] of this.opts.view.table('Logical_Switch')) {
      const stray = getSet(ls, 'qos_rules').map(String).filter((u) => {
        const row = this.opts.view.table('QoS').get(u);
        return row !== undefined && !claimed.has(u) && this.mine(readQos(u, row));
      });
      if (stray.length === 0) continue;
      out.push({
        key: `lswitch/${getString(ls, 'name') ?? switchUuid}#garbage`, target: null, mechanism: 'garbage', action: 'remove',
        before: { qos: stray }, after: null,
        ovsdb: [{ op: 'mutate', table: 'Logical_Switch', where: [byUuid(switchUuid)], mutations: [['qos_rules', 'delete', ['set', stray.map(uuidRef)]]] }],
      });
    }
    return out;
  }

  async apply(changes: readonly OvnChange[]): Promise<ApplyOutcome[]> {
    const outcomes: ApplyOutcome[] = [];
    // One transaction per change: the northbound DB is shared and busy, conflicts stay local.
    for (const change of changes) {
      try {
        await this.opts.nb.transact('OVN_Northbound', [{ op: 'comment', comment: `ovs-telemetry enforcer: ${change.mechanism} ${change.action} ${change.target?.key ?? ''}` }, ...change.ovsdb]);
        outcomes.push({ key: change.key, ok: true, conflict: false });
      } catch (err) {
        outcomes.push({ key: change.key, ok: false, conflict: isPreconditionFailure(err), error: describeError(err) });
      }
    }
    return outcomes;
  }
}
