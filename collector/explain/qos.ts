/**
 * The QoS in force on a port and who set it, from OVSDB (Interface ingress policing, Port.qos
 * with its queues) and the port's OpenFlow flows (meters, set_queue), following the mechanisms
 * neutron-openvswitch-agent and the enforcer use (DESIGN.md, Enforcer). Ownership: the enforcer's
 * marker (common/ownership.ts); Neutron marks its QoS/Queue rows with external_ids id and _type.
 */
import { isOwnedCookie, METERS_KEY, OWNER_KEY, OWNER_VALUE, parseMeterIds, POLICING_OWNER_KEY } from '../../common/ownership.js';
import type { FlowStats, MeterConfig } from '../openflow/index.js';
import type { Row } from '../ovsdb/datum.js';
import { getInt, getString, getStringMap, getUuid } from '../ovsdb/row.js';
import type { TableView } from '../ovs/model.js';
import { meterOf } from '../openflow/flow-actions.js';
import type { MeterInfo, Owner, Policing, PortQos, QueueInfo } from './types.js';

function ownerOf(externalIds: ReadonlyMap<string, string>): Owner {
  if (externalIds.get(OWNER_KEY) === OWNER_VALUE) return 'enforcer';
  return externalIds.has('id') || externalIds.has('_type') ? 'neutron' : 'other';
}

/** Interface.ingress_policing_rate/burst (kbps / kb; burst 0 means OVS's default), null when off. */
export function policingOf(iface: Row): Policing | null {
  const rate = getInt(iface, 'ingress_policing_rate') ?? 0;
  if (rate <= 0) return null;
  const marked = getStringMap(iface, 'external_ids').get(POLICING_OWNER_KEY) === OWNER_VALUE;
  return { rateKbps: rate, burstKb: getInt(iface, 'ingress_policing_burst') ?? 0, owner: marked ? 'enforcer' : 'other' };
}

/** The QoS row on Port.qos with its queues, null when the port has none. */
export function portQosOf(port: Row, tables: TableView): PortQos | null {
  const uuid = getUuid(port, 'qos');
  const row = uuid === null ? undefined : tables.table('QoS').get(uuid);
  if (uuid === null || row === undefined) return null;
  const queues: QueueInfo[] = [];
  const refs = row.queues;
  if (refs instanceof Map) {
    for (const [queueId, queueUuid] of refs) {
      if (typeof queueId !== 'number' || typeof queueUuid !== 'string') continue;
      const queue = tables.table('Queue').get(queueUuid);
      if (queue === undefined) continue;
      queues.push({ queueId, uuid: queueUuid, otherConfig: Object.fromEntries(getStringMap(queue, 'other_config')), owner: ownerOf(getStringMap(queue, 'external_ids')) });
    }
  }
  queues.sort((a, b) => a.queueId - b.queueId);
  const externalIds = getStringMap(row, 'external_ids');
  return {
    uuid,
    type: getString(row, 'type') ?? '',
    otherConfig: Object.fromEntries(getStringMap(row, 'other_config')),
    queues,
    owner: ownerOf(externalIds),
    neutronId: externalIds.get('id') ?? null,
  };
}

/**
 * Meters the port's flows send traffic through: `egress` flows match its in_port, `ingress` ones
 * its MAC as destination. A meter is the enforcer's by the enforcer's own rule: its id is in the
 * bridge's record of the enforcer's meters (`enforcerMeters`, common/ownership.ts METERS_KEY) or
 * the flow carries the enforcer's cookie; an id in the enforcer's range alone is not enough.
 */
export function metersOf(
  bridge: string,
  flows: readonly { readonly flow: FlowStats; readonly direction: 'egress' | 'ingress' }[],
  configs: readonly MeterConfig[],
  enforcerMeters: ReadonlySet<number>,
): MeterInfo[] {
  const byId = new Map(configs.map((m) => [m.meterId, m]));
  const out = new Map<string, MeterInfo>();
  for (const { flow, direction } of flows) {
    const meterId = meterOf(flow.instructions);
    if (meterId === undefined || out.has(`${direction}/${meterId}`)) continue;
    const config = byId.get(meterId);
    out.set(`${direction}/${meterId}`, {
      bridge,
      meterId,
      direction,
      unit: config?.flags.includes('pktps') ? 'pktps' : 'kbps',
      bands: (config?.bands ?? []).map((b) => ({ type: b.type, rate: b.rate, burst: b.burstSize })),
      owner: meterOwner(meterId, flow.cookie, enforcerMeters),
    });
  }
  return [...out.values()];
}

/** The enforcer's rule for a meter (see metersOf): recorded on its bridge, or metered by a flow of its own. */
export function meterOwner(meterId: number, cookie: bigint, enforcerMeters: ReadonlySet<number>): 'enforcer' | 'other' {
  return enforcerMeters.has(meterId) || isOwnedCookie(cookie) ? 'enforcer' : 'other';
}

/** The meter ids the enforcer recorded as its own on `bridge` (Bridge external_ids METERS_KEY). */
export function recordedMeters(tables: TableView, bridge: string): Set<number> {
  for (const row of tables.table('Bridge').values()) {
    if (getString(row, 'name') === bridge) return parseMeterIds(getStringMap(row, 'external_ids').get(METERS_KEY));
  }
  return new Set();
}
