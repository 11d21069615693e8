/**
 * ML2/OVN tenancy from the OVN northbound database. ovn-controller binds a chassis port by
 * `Interface.external_ids:iface-id` = logical port name = Neutron port UUID. Neutron's OVN driver
 * writes on the Logical_Switch_Port: neutron:project_id, neutron:device_id, and
 * neutron:network_name = "neutron-<network uuid>"; the Logical_Switch is named
 * "neutron-<network uuid>" and its own neutron:network_name is the human-readable name.
 * (project_id is on the port only, never on the switch.)
 */
import type { Row } from '../ovsdb/datum.js';
import { getSet, getString, getStringMap } from '../ovsdb/row.js';
import type { OvnPortInfo } from './resolver.js';

export const OVN_NB_MONITOR = {
  Logical_Switch: { columns: ['name', 'ports', 'external_ids'] },
  Logical_Switch_Port: { columns: ['name', 'external_ids'] },
} as const;

export interface OvnTables {
  table(name: string): ReadonlyMap<string, Row>;
}

const NEUTRON_PREFIX = 'neutron-';

function networkIdOf(text: string | undefined): string | undefined {
  return text?.startsWith(NEUTRON_PREFIX) ? text.slice(NEUTRON_PREFIX.length) : undefined;
}

/** Logical port name → Neutron network, project and names. */
export function ovnPortsFrom(nb: OvnTables): Map<string, OvnPortInfo> {
  const switchOfPort = new Map<string, Row>();
  for (const ls of nb.table('Logical_Switch').values()) {
    for (const portUuid of getSet(ls, 'ports')) switchOfPort.set(String(portUuid), ls);
  }
  const ports = new Map<string, OvnPortInfo>();
  for (const [uuid, lsp] of nb.table('Logical_Switch_Port')) {
    const name = getString(lsp, 'name');
    if (!name) continue;
    const ids = getStringMap(lsp, 'external_ids');
    const ls = switchOfPort.get(uuid);
    const lsName = ls ? getString(ls, 'name') ?? undefined : undefined;
    ports.set(name, {
      networkId: networkIdOf(ids.get('neutron:network_name')) ?? networkIdOf(lsName),
      projectId: ids.get('neutron:project_id') || undefined,
      networkName: ls ? getStringMap(ls, 'external_ids').get('neutron:network_name') : undefined,
      deviceId: ids.get('neutron:device_id') || undefined,
    });
  }
  return ports;
}
