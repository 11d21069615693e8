/**
 * The flow exports this host's Open vSwitch is configured to send (ovs-vswitchd.conf.db(5),
 * OVS 3.1: the NetFlow, IPFIX and sFlow rows a Bridge points at), with what identifies a
 * datagram from them: NetFlow v5 engine type/id, the IPFIX observation domain, the sFlow agent.
 * Flow-based IPFIX sampling (Flow_Sample_Collector_Set) is not here: its observation domain is
 * an argument of each OpenFlow sample action, not a column (ovs-actions(7) "sample").
 */
import type { Row } from '../ovsdb/datum.js';
import { getBool, getInt, getString, getStringSet } from '../ovsdb/row.js';

export interface NetflowExport {
  readonly bridge: string;
  /** Bridge.datapath_type: OVS's default engine ids depend on it ('' is the kernel datapath, "system"). */
  readonly datapathType: string;
  /** NetFlow.engine_type / engine_id; null = unset, OVS derives them from the datapath. */
  readonly engineType: number | null;
  readonly engineId: number | null;
  /** NetFlow.add_id_to_interface: the interface fields' top 7 bits carry the engine id. */
  readonly addIdToInterface: boolean;
}

export interface IpfixExport {
  readonly bridge: string;
  /** IPFIX.obs_domain_id (unset: 0). */
  readonly observationDomainId: number;
}

export interface SflowExport {
  readonly bridge: string;
  /** sFlow.agent: an IP address or a device name; null = unset (OVS takes the route to the first target). */
  readonly agent: string | null;
}

export interface FlowExports {
  readonly netflow: readonly NetflowExport[];
  readonly ipfix: readonly IpfixExport[];
  readonly sflow: readonly SflowExport[];
}

/** The tables and columns flowExportsOf reads (beside Bridge's name, datapath_type, netflow, ipfix, sflow). */
export const FLOW_EXPORT_MONITOR = {
  NetFlow: { columns: ['engine_type', 'engine_id', 'add_id_to_interface'] },
  IPFIX: { columns: ['obs_domain_id'] },
  sFlow: { columns: ['agent'] },
} as const;

interface Tables {
  table(name: string): ReadonlyMap<string, Row>;
}

/** The row a Bridge's optional reference column points at, if any. */
function referenced(view: Tables, bridge: Row, column: string, table: string): Row | undefined {
  const uuid = getStringSet(bridge, column)[0];
  return uuid === undefined ? undefined : view.table(table).get(uuid);
}

export function flowExportsOf(view: Tables): FlowExports {
  const netflow: NetflowExport[] = [];
  const ipfix: IpfixExport[] = [];
  const sflow: SflowExport[] = [];
  for (const b of view.table('Bridge').values()) {
    const bridge = getString(b, 'name') ?? '';
    const nf = referenced(view, b, 'netflow', 'NetFlow');
    if (nf !== undefined) {
      netflow.push({
        bridge,
        datapathType: getString(b, 'datapath_type') ?? '',
        engineType: getInt(nf, 'engine_type'),
        engineId: getInt(nf, 'engine_id'),
        addIdToInterface: getBool(nf, 'add_id_to_interface') === true,
      });
    }
    const ip = referenced(view, b, 'ipfix', 'IPFIX');
    if (ip !== undefined) ipfix.push({ bridge, observationDomainId: getInt(ip, 'obs_domain_id') ?? 0 });
    const sf = referenced(view, b, 'sflow', 'sFlow');
    if (sf !== undefined) sflow.push({ bridge, agent: getString(sf, 'agent') || null });
  }
  return { netflow, ipfix, sflow };
}
