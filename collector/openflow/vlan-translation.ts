/**
 * VLAN translations in a bridge's flows: a flow that matches one VLAN exactly and rewrites it to
 * another. neutron-openvswitch-agent writes them for VLAN provider networks
 * (neutron/plugins/ml2/drivers/openvswitch/agent/openflow/native/br_int.py and br_phys.py):
 *  - on br-int, inbound: `in_port=int-br-ex,dl_vlan=100 actions=mod_vlan_vid:1` (provider → local);
 *  - on the physical bridge, outbound: `in_port=phy-br-ex,dl_vlan=1 actions=mod_vlan_vid:100` (local → provider).
 * Which side is local depends on the bridge; this map only records `from → to` per bridge, and
 * collector/tenancy/segments.ts decides. Fed flow by flow, like TunnelVlanMap.
 */
import type { FlowStats } from './stats.js';
import { actionsOf } from './flow-actions.js';
import { exactVlan, vlanSetBy } from './tunnel-map.js';

export class VlanTranslations {
  /** Matched VLAN -> VLAN the flow rewrites it to (the first flow seen wins). */
  readonly pairs = new Map<number, number>();

  add(flow: Pick<FlowStats, 'match' | 'instructions'>): void {
    const from = exactVlan(flow.match);
    if (from === undefined || this.pairs.has(from)) return;
    for (const action of actionsOf(flow.instructions)) {
      const to = vlanSetBy(action);
      if (to !== undefined && to !== from && to !== 0) {
        this.pairs.set(from, to);
        return;
      }
    }
  }
}
