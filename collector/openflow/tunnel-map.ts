/**
 * Reads neutron-openvswitch-agent's local-VLAN <-> tunnel VNI mapping out of br-tun's flows:
 *  - inbound (tables 4 VXLAN / 3 GRE / 6 Geneve): `tun_id=0x3e9 actions=mod_vlan_vid:1,...`, which
 *    OVS 3.1 reports in OF1.3+ as push_vlan + set_field vlan_vid (4096|vid), or NX reg_load to
 *    vlan_tci;
 *  - outbound (table 22 flood, table 20 unicast): `dl_vlan=1 actions=strip_vlan,set_tunnel:0x3e9,...`,
 *    reported as pop_vlan + set_field tun_id, or NX set_tunnel(64) / reg_load to tun_id.
 * Table numbers are not assumed: any flow with that shape counts, so other layouts work too.
 * Feed it flows as they stream (`add`) to keep memory flat on big bridges.
 */
import type { Action } from './actions.js';
import { OFPVID_PRESENT } from './constants.js';
import { actionsOf } from './flow-actions.js';
import { findField, type Match } from './oxm.js';
import type { FlowStats } from './stats.js';

const VID_MASK = 0x0fff;

export class TunnelVlanMap {
  /** VNI -> local VLAN (from inbound flows). */
  readonly vniToVlan = new Map<number, number>();
  /** Local VLAN -> VNI (from outbound flows). */
  readonly vlanToVni = new Map<number, number>();

  add(flow: Pick<FlowStats, 'match' | 'instructions'>): void {
    const tunId = exactTunnelId(flow.match);
    const vlan = exactVlan(flow.match);
    if (tunId === undefined && vlan === undefined) return;
    for (const action of actionsOf(flow.instructions)) {
      if (tunId !== undefined) {
        const setVlan = vlanSetBy(action);
        if (setVlan !== undefined) this.vniToVlan.set(tunId, setVlan);
      }
      if (vlan !== undefined) {
        const setVni = tunnelSetBy(action);
        if (setVni !== undefined) this.vlanToVni.set(vlan, setVni);
      }
    }
  }

  static from(flows: Iterable<Pick<FlowStats, 'match' | 'instructions'>>): TunnelVlanMap {
    const map = new TunnelVlanMap();
    for (const f of flows) map.add(f);
    return map;
  }
}

/** A tunnel id small enough to be a VNI / GRE key, as a number. */
function asVni(value: unknown): number | undefined {
  if (typeof value !== 'bigint' || value > 0xffffffffn) return undefined;
  return Number(value);
}

function exactTunnelId(match: Match): number | undefined {
  const f = findField(match, 'tun_id');
  if (f === undefined || (f.mask !== undefined && f.mask !== 0xffffffffffffffffn)) return undefined;
  return asVni(f.value);
}

/** dl_vlan=N: OXM vlan_vid with OFPVID_PRESENT and no partial mask, or NXM vlan_tci with the 0x1fff mask. */
export function exactVlan(match: Match): number | undefined {
  const vid = findField(match, 'vlan_vid');
  if (vid !== undefined && typeof vid.value === 'number' && (vid.value & OFPVID_PRESENT) !== 0) {
    if (vid.mask === undefined || vid.mask === 0x1fff) return vid.value & VID_MASK;
  }
  const tci = findField(match, 'vlan_tci');
  if (tci !== undefined && typeof tci.value === 'number' && tci.mask === 0x1fff && (tci.value & OFPVID_PRESENT) !== 0) {
    return tci.value & VID_MASK;
  }
  return undefined;
}

/** The VLAN id an action sets (set_field vlan_vid / vlan_tci, NX reg_load to vlan_tci), if any. */
export function vlanSetBy(action: Action): number | undefined {
  if (action.type === 'set_field' && (action.field.field === 'vlan_vid' || action.field.field === 'vlan_tci')) {
    return typeof action.field.value === 'number' ? action.field.value & VID_MASK : undefined;
  }
  if (action.type === 'reg_load' && (action.field === 'vlan_tci' || action.field === 'vlan_vid') && action.ofs === 0) {
    return Number(action.value & BigInt(VID_MASK));
  }
  return undefined;
}

function tunnelSetBy(action: Action): number | undefined {
  if (action.type === 'set_tunnel') return asVni(action.tunnelId);
  if (action.type === 'set_field' && action.field.field === 'tun_id') return asVni(action.field.value);
  if (action.type === 'reg_load' && action.field === 'tun_id' && action.ofs === 0) return asVni(action.value);
  return undefined;
}
