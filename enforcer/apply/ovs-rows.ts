/**
 * The VM ports of the managed bridges and what OVSDB holds for them, read from the monitored
 * replica: the Interface's ingress policing, the Port's QoS and its queues, and the QoS/Queue rows
 * the enforcer owns (found by their external_ids marker, wherever they hang).
 */
import type { InterfaceState } from '../../common/model.js';
import type { Row } from '../../collector/ovsdb/datum.js';
import type { RowChange } from '../../collector/ovsdb/replica.js';
import { getInt, getSet, getString } from '../../collector/ovsdb/row.js';
import type { Target } from '../policy/selector.js';
import { METERS_KEY, OWNER_KEY, OWNER_VALUE, parseMeterIds, POLICING_OWNER_KEY, PORT_KEY } from '../../common/ownership.js';

/**
 * What the enforcer monitors of the Open_vSwitch database: what the interface model needs for
 * tenancy and what the mechanisms read, without the columns ovs-vswitchd rewrites every few
 * seconds (statistics, link state), which would only wake the reconciler for nothing.
 */
export const OVS_ENFORCER_MONITOR = {
  Open_vSwitch: { columns: ['bridges', 'external_ids'] },
  Bridge: { columns: ['name', 'ports', 'external_ids'] },
  Port: { columns: ['name', 'interfaces', 'tag', 'other_config', 'external_ids', 'qos'] },
  Interface: { columns: ['name', 'type', 'ofport', 'mac_in_use', 'external_ids', 'ingress_policing_rate', 'ingress_policing_burst'] },
  QoS: { columns: ['type', 'other_config', 'queues', 'external_ids'] },
  Queue: { columns: ['other_config', 'external_ids'] },
} as const;

/** Columns the enforcer writes and the port list does not depend on. */
const LIMIT_COLUMNS: Readonly<Record<string, ReadonlySet<string>>> = {
  Interface: new Set(['ingress_policing_rate', 'ingress_policing_burst']),
  Port: new Set(['qos']),
  // The meter record; the interface model reads the bridge's name and ports only.
  Bridge: new Set(['external_ids']),
};

/**
 * Whether a change can alter the VM ports or their tenancy (and so the interface model must be
 * rebuilt): not a change of QoS or Queue rows, nor one of the limit columns or the meter record
 * alone, which is what applying limits writes. Unchanged columns keep their decoded value (the replica copies the row
 * and replaces only what a "modify" carries), so identity tells what changed.
 */
export function changesPorts(change: RowChange): boolean {
  if (change.table === 'QoS' || change.table === 'Queue') return false;
  const limits = LIMIT_COLUMNS[change.table];
  if (limits === undefined || change.old === null || change.new === null) return true;
  for (const column in change.new) if (!limits.has(column) && change.new[column] !== change.old[column]) return true;
  return false;
}

/** The tables and columns the OVS backend reads. */
export interface TableView {
  table(name: string): ReadonlyMap<string, Row>;
}

export interface OvsPort extends Target {
  readonly port: string;
  readonly portUuid: string;
  readonly interfaceUuid: string;
  /** OpenFlow port number (null until ovs-vswitchd assigns one). */
  readonly ofport: number | null;
  /** The VM's MAC (external_ids attached-mac, else the device's own). */
  readonly mac: string;
  /** A DPDK port (vhost-user): limited towards the VM by an egress-policer QoS instead of linux-htb. */
  readonly dpdk: boolean;
}

/**
 * Interface types of ports ovs-vswitchd's DPDK datapath drives (netdev-dpdk), on which linux-htb
 * does nothing and OVS's own QoS type egress-policer limits what the port sends (ovs-vswitchd.conf.db(5),
 * QoS type egress-policer). Neutron's agent switches on the vhost-user pair
 * (ovs_constants.OVS_DPDK_PORT_TYPES); `dpdk` (a physical DPDK port) works the same way.
 */
export const DPDK_TYPES: ReadonlySet<string> = new Set(['dpdk', 'dpdkvhostuser', 'dpdkvhostuserclient']);

/** Interface types that are not VM ports: tunnels, patch ports, the bridge's own port. */
const NOT_VM_PORTS = new Set(['internal', 'patch', 'vxlan', 'geneve', 'gre', 'ip6gre', 'erspan', 'ip6erspan', 'stt', 'lisp', 'gtpu', 'bareudp', 'srv6']);

/** VM ports of the managed bridges, from the collector's interface model and the Port table. */
export function vmPorts(interfaces: readonly InterfaceState[], view: TableView, bridges: ReadonlySet<string>): OvsPort[] {
  const portUuids = new Map<string, string>();
  for (const [uuid, row] of view.table('Port')) portUuids.set(getString(row, 'name') ?? '', uuid);
  const out: OvsPort[] = [];
  for (const iface of interfaces) {
    if (!bridges.has(iface.bridge) || NOT_VM_PORTS.has(iface.type)) continue;
    const portUuid = portUuids.get(iface.port);
    if (portUuid === undefined) continue;
    out.push({
      key: `${iface.bridge}/${iface.port}`,
      interface: iface.name,
      bridge: iface.bridge,
      neutronPortId: iface.tenant.neutronPortId,
      networkId: iface.tenant.networkId,
      projectId: iface.tenant.projectId,
      port: iface.port,
      portUuid,
      interfaceUuid: iface.uuid,
      ofport: iface.ofport,
      mac: iface.mac,
      dpdk: DPDK_TYPES.has(iface.type),
    });
  }
  return out;
}

/** One key of a string map column, without copying or checking the whole map (a hot path: every port, every run). */
export function mapValue(row: Row, column: string, key: string): string | undefined {
  const datum = row[column];
  if (!(datum instanceof Map)) return undefined;
  const value = datum.get(key);
  return typeof value === 'string' ? value : undefined;
}

const NO_ENTRIES: ReadonlyMap<string, string> = new Map();

/**
 * A string-to-string map column as decoded (the replica checked every atom against the schema,
 * whose external_ids/other_config are string maps), without the per-entry check of getStringMap.
 */
export function stringMap(row: Row, column: string): ReadonlyMap<string, string> {
  const datum = row[column];
  return datum instanceof Map ? (datum as ReadonlyMap<string, string>) : NO_ENTRIES;
}

export function isOwned(row: Row): boolean {
  return mapValue(row, 'external_ids', OWNER_KEY) === OWNER_VALUE;
}

export interface PolicingState {
  readonly rate: number;
  readonly burst: number;
  /** Set by the enforcer (the Interface carries its marker). */
  readonly owned: boolean;
}

export function policingOf(view: TableView, interfaceUuid: string): PolicingState | null {
  const row = view.table('Interface').get(interfaceUuid);
  if (!row) return null;
  return {
    rate: getInt(row, 'ingress_policing_rate') ?? 0,
    burst: getInt(row, 'ingress_policing_burst') ?? 0,
    owned: mapValue(row, 'external_ids', POLICING_OWNER_KEY) === OWNER_VALUE,
  };
}

export interface QueueState {
  readonly uuid: string;
  readonly owned: boolean;
  readonly otherConfig: ReadonlyMap<string, string>;
}

export interface QosState {
  readonly uuid: string;
  readonly owned: boolean;
  readonly type: string;
  readonly otherConfig: ReadonlyMap<string, string>;
  /** Queue number → Queue uuid. */
  readonly queues: ReadonlyMap<number, string>;
  /** The external_ids, for reporting rows the enforcer does not own (Neutron's id/_type). */
  readonly externalIds: ReadonlyMap<string, string>;
}

export function qosRow(view: TableView, uuid: string): QosState | null {
  const row = view.table('QoS').get(uuid);
  if (!row) return null;
  const queues = new Map<number, string>();
  const datum = row.queues;
  if (datum instanceof Map) for (const [k, v] of datum) if (typeof k === 'number' && typeof v === 'string') queues.set(k, v);
  return {
    uuid,
    owned: isOwned(row),
    type: getString(row, 'type') ?? '',
    otherConfig: stringMap(row, 'other_config'),
    queues,
    externalIds: stringMap(row, 'external_ids'),
  };
}

export function queueRow(view: TableView, uuid: string): QueueState | null {
  const row = view.table('Queue').get(uuid);
  if (!row) return null;
  return { uuid, owned: isOwned(row), otherConfig: stringMap(row, 'other_config') };
}

/** The QoS uuid on a Port, or null. */
export function portQos(view: TableView, portUuid: string): string | null {
  const row = view.table('Port').get(portUuid);
  if (!row) return null;
  const qos = getSet(row, 'qos');
  return qos.length === 1 && typeof qos[0] === 'string' ? qos[0] : null;
}

/** Owned QoS rows by the port they were made for, and every QoS/Queue reference in use. */
export interface Ownership {
  readonly qosByPort: ReadonlyMap<string, readonly string[]>;
  readonly ownedQos: ReadonlySet<string>;
  readonly ownedQueues: ReadonlySet<string>;
  /** QoS rows some Port points at. */
  readonly referencedQos: ReadonlySet<string>;
  /** Queue rows some QoS holds. */
  readonly referencedQueues: ReadonlySet<string>;
}

export function ownership(view: TableView): Ownership {
  const qosByPort = new Map<string, string[]>();
  const ownedQos = new Set<string>();
  const referencedQueues = new Set<string>();
  for (const [uuid, row] of view.table('QoS')) {
    const datum = row.queues;
    if (datum instanceof Map) for (const v of datum.values()) if (typeof v === 'string') referencedQueues.add(v);
    if (!isOwned(row)) continue;
    ownedQos.add(uuid);
    const port = mapValue(row, 'external_ids', PORT_KEY) ?? '';
    const list = qosByPort.get(port) ?? [];
    list.push(uuid);
    qosByPort.set(port, list);
  }
  const ownedQueues = new Set<string>();
  for (const [uuid, row] of view.table('Queue')) if (isOwned(row)) ownedQueues.add(uuid);
  const referencedQos = new Set<string>();
  for (const row of view.table('Port').values()) for (const q of getSet(row, 'qos')) if (typeof q === 'string') referencedQos.add(q);
  return { qosByPort, ownedQos, ownedQueues, referencedQos, referencedQueues };
}

/** A bridge's row and the meter ids recorded on it as the enforcer's (null: no such bridge). */
export function meterRecord(view: TableView, bridge: string): { readonly uuid: string; readonly ids: Set<number> } | null {
  for (const [uuid, row] of view.table('Bridge')) {
    if (getString(row, 'name') === bridge) return { uuid, ids: parseMeterIds(mapValue(row, 'external_ids', METERS_KEY)) };
  }
  return null;
}
