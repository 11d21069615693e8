/**
 * The host's Open vSwitch as the collector sees it: Bridge → Port → Interface from the OVSDB
 * monitor, joined with tenancy, as the model's InterfaceState list. Rebuilt lazily (on the next
 * read after the replica changed), so a scrape reads memory and OVSDB updates stay cheap.
 */
import type { InterfaceCounters, InterfaceState } from '../../common/model.js';
import type { Row } from '../ovsdb/datum.js';
import { getInt, getIntMap, getSet, getString, getStringMap } from '../ovsdb/row.js';
import { FLOW_EXPORT_MONITOR, flowExportsOf, type FlowExports } from './flow-exports.js';
import type { TenancyResolver } from '../tenancy/resolver.js';

/** The tables and columns of the Open_vSwitch database the collector monitors. */
export const VSWITCH_MONITOR = {
  Open_vSwitch: { columns: ['bridges', 'ovs_version', 'external_ids', 'db_version'] },
  Bridge: { columns: ['name', 'ports', 'datapath_type', 'datapath_id', 'external_ids', 'sflow', 'ipfix', 'netflow'] },
  Port: { columns: ['name', 'interfaces', 'tag', 'trunks', 'other_config', 'external_ids', 'qos'] },
  Interface: {
    columns: [
      'name', 'type', 'ofport', 'mac_in_use', 'ifindex', 'link_state', 'admin_state', 'mtu', 'link_speed',
      'statistics', 'external_ids', 'options', 'ingress_policing_rate', 'ingress_policing_burst', 'error',
    ],
  },
  QoS: { columns: ['type', 'other_config', 'queues', 'external_ids'] },
  Queue: { columns: ['other_config', 'dscp', 'external_ids'] },
  ...FLOW_EXPORT_MONITOR,
} as const;

/** What the model reads rows from (an OVSDB Replica). */
export interface TableView {
  table(name: string): ReadonlyMap<string, Row>;
}

/** The Interface.statistics keys the model keeps (InterfaceCounters). */
export const STAT_KEYS = ['rx_bytes', 'rx_packets', 'rx_dropped', 'rx_errors', 'tx_bytes', 'tx_packets', 'tx_dropped', 'tx_errors'] as const;

export function countersOf(stats: ReadonlyMap<string, number>): InterfaceCounters {
  const counters: InterfaceCounters = {};
  for (const key of STAT_KEYS) {
    const v = stats.get(key);
    if (v !== undefined && v >= 0) counters[key] = v;
  }
  return counters;
}

function upDown(value: string | null): boolean | null {
  return value === 'up' ? true : value === 'down' ? false : null;
}

export class VswitchModel {
  private cached: readonly InterfaceState[] | null = null;
  private cachedExports: FlowExports | null = null;

  constructor(
    readonly view: TableView,
    private readonly tenancy: TenancyResolver,
  ) {}

  /** Marks the derived state stale: call on every replica change and tenancy change. */
  invalidate(): void {
    this.cached = null;
    this.cachedExports = null;
  }

  get ovsVersion(): string {
    for (const row of this.view.table('Open_vSwitch').values()) return getString(row, 'ovs_version') ?? '';
    return '';
  }

  get systemId(): string {
    for (const row of this.view.table('Open_vSwitch').values()) return getStringMap(row, 'external_ids').get('system-id') ?? '';
    return '';
  }

  bridgeNames(): string[] {
    return [...this.view.table('Bridge').values()].map((b) => getString(b, 'name') ?? '').sort();
  }

  interfaces(): readonly InterfaceState[] {
    this.cached ??= this.build();
    return this.cached;
  }

  /** The host's NetFlow / IPFIX / sFlow exports (a new object after each change, like interfaces()). */
  flowExports(): FlowExports {
    this.cachedExports ??= flowExportsOf(this.view);
    return this.cachedExports;
  }

  private build(): InterfaceState[] {
    const ports = this.view.table('Port');
    const interfaces = this.view.table('Interface');
    const result: InterfaceState[] = [];
    for (const bridgeRow of this.view.table('Bridge').values()) {
      const bridge = getString(bridgeRow, 'name') ?? '';
      for (const portUuid of getSet(bridgeRow, 'ports')) {
        const portRow = ports.get(String(portUuid));
        if (portRow === undefined) continue;
        const port = getString(portRow, 'name') ?? '';
        const portOtherConfig = getStringMap(portRow, 'other_config');
        const localVlan = getInt(portRow, 'tag');
        for (const ifaceUuid of getSet(portRow, 'interfaces')) {
          const row = interfaces.get(String(ifaceUuid));
          if (row === undefined) continue;
          const name = getString(row, 'name') ?? '';
          const externalIds = getStringMap(row, 'external_ids');
          // The VM's MAC (what its packets carry) when Neutron recorded it, else the device's own.
          const mac = (externalIds.get('attached-mac') ?? getString(row, 'mac_in_use') ?? '').toLowerCase();
          const ofport = getInt(row, 'ofport');
          result.push({
            uuid: String(ifaceUuid),
            name,
            bridge,
            port,
            type: getString(row, 'type') || 'system',
            ofport: ofport === null || ofport < 0 ? null : ofport,
            mac,
            ifindex: getInt(row, 'ifindex'),
            linkUp: upDown(getString(row, 'link_state')),
            adminUp: upDown(getString(row, 'admin_state')),
            mtu: getInt(row, 'mtu'),
            linkSpeedBitsPerSecond: getInt(row, 'link_speed'),
            counters: countersOf(getIntMap(row, 'statistics')),
            localVlan,
            tenant: this.tenancy.resolve({ name, bridge, mac, externalIds, portOtherConfig }),
          });
        }
      }
    }
    return result;
  }
}
