/**
 * The OpenFlow tables neutron-openvswitch-agent programs (ML2/OVS, VXLAN), as text for
 * `ovs-ofctl add-flows`. Table numbers are the agent's constants:
 * br-int 0 (LOCAL_SWITCHING), 23 (CANARY), 24 (ARP_SPOOF), 25 (MAC_SPOOF), 60 (TRANSIENT);
 * br-tun 0, 2 (PATCH_LV_TO_TUN), 3 (GRE/DVR), 4 (VXLAN_TUN_TO_LV), 6 (DVR), 10 (LEARN_FROM_TUN),
 * 20 (UCAST_TO_TUN), 22 (FLOOD_TO_TUN).
 */
import { slaacAddress } from './ids.js';

/** A port that gets the agent's ARP/ND/MAC anti-spoofing flows on br-int. */
export interface ProtectedPort {
  readonly ofport: number;
  readonly mac: string;
  readonly ip: string;
  readonly ipv6: readonly string[];
}

export interface TunnelNetwork {
  readonly vni: number;
  readonly localVlan: number;
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** IPv6 addresses a port may answer neighbour solicitations for: its link-local and the given ones. */
export function ndTargets(mac: string, ipv6: readonly string[]): string[] {
  return [...ipv6, slaacAddress('fe80', mac)];
}

export function brIntFlows(cookie: string, ports: readonly ProtectedPort[]): string[] {
  const c = `cookie=${cookie}`;
  const flows = [`${c},table=0,priority=65535,vlan_tci=0x0fff/0x1fff,actions=drop`];
  for (const p of ports) {
    flows.push(
      `${c},table=0,priority=10,arp,in_port=${p.ofport},actions=resubmit(,24)`,
      `${c},table=0,priority=10,icmp6,in_port=${p.ofport},icmp_type=136,actions=resubmit(,24)`,
      `${c},table=0,priority=9,in_port=${p.ofport},actions=resubmit(,25)`,
      `${c},table=24,priority=2,arp,in_port=${p.ofport},arp_spa=${p.ip},actions=resubmit(,25)`,
      ...ndTargets(p.mac, p.ipv6).map(
        (target) => `${c},table=24,priority=2,icmp6,in_port=${p.ofport},icmp_type=136,nd_target=${target},actions=resubmit(,60)`,
      ),
      `${c},table=25,priority=2,in_port=${p.ofport},dl_src=${p.mac},actions=resubmit(,60)`,
    );
  }
  flows.push(
    // Everything else (the patch port from br-tun, agent ports without port security).
    `${c},table=0,priority=0,actions=resubmit(,60)`,
    `${c},table=23,priority=0,actions=drop`,
    `${c},table=24,priority=0,actions=drop`,
    // NORMAL switching by Port.tag: access ports are untagged, patch-tun is a trunk.
    `${c},table=60,priority=3,actions=NORMAL`,
  );
  return flows;
}

export function brTunFlows(cookie: string, patchOfport: number, tunnelOfport: number, networks: readonly TunnelNetwork[]): string[] {
  const c = `cookie=${cookie}`;
  const flows = [
    `${c},table=0,priority=1,in_port=${patchOfport},actions=resubmit(,2)`,
    `${c},table=0,priority=1,in_port=${tunnelOfport},actions=resubmit(,4)`,
    `${c},table=0,priority=0,actions=drop`,
    `${c},table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,20)`,
    `${c},table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,22)`,
    `${c},table=3,priority=0,actions=drop`,
    `${c},table=4,priority=0,actions=drop`,
    `${c},table=6,priority=0,actions=drop`,
    // Learn "this MAC on this local VLAN lives behind this tunnel, with this VNI" into table 20.
    `${c},table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=${cookie},` +
      'NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],' +
      `load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:${patchOfport}`,
    `${c},table=20,priority=0,actions=resubmit(,22)`,
    `${c},table=22,priority=0,actions=drop`,
  ];
  for (const n of networks) {
    flows.push(
      `${c},table=4,priority=1,tun_id=${hex(n.vni)},actions=mod_vlan_vid:${n.localVlan},resubmit(,10)`,
      `${c},table=22,priority=1,dl_vlan=${n.localVlan},actions=strip_vlan,set_tunnel:${hex(n.vni)},output:${tunnelOfport}`,
    );
  }
  return flows;
}
