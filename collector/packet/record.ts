/** Copy parsed headers into a flow record (outer into the main fields, inner into inner_*). */
import type { FlowRecord } from '../../common/model.js';
import { TUNNEL_NONE, type PacketInfo } from './fields.js';

export function applyPacketToRecord(info: PacketInfo, rec: FlowRecord): void {
  const o = info.outer;
  rec.dst_mac = o.dstMac;
  rec.src_mac = o.srcMac;
  rec.etype = o.etype;
  rec.vlan_id = o.vlanId;
  rec.outer_vlan_id = o.outerVlanId;
  rec.src_addr = o.srcAddr;
  rec.dst_addr = o.dstAddr;
  rec.proto = o.proto;
  rec.ip_tos = o.tos;
  rec.ip_ttl = o.ttl;
  rec.fragment_id = o.fragmentId;
  rec.fragment_offset = o.fragmentOffset;
  rec.src_port = o.srcPort;
  rec.dst_port = o.dstPort;
  rec.tcp_flags = o.tcpFlags;
  rec.icmp_type = o.icmpType;
  rec.icmp_code = o.icmpCode;
  if (info.tunnelType === TUNNEL_NONE) return;
  if (info.hasTunnelId) rec.tunnel_id = info.tunnelId;
  // In a sampled header the outer IP addresses are the tunnel endpoints.
  rec.tunnel_src_addr = o.srcAddr;
  rec.tunnel_dst_addr = o.dstAddr;
  const i = info.inner;
  rec.inner_etype = i.etype;
  rec.inner_proto = i.proto;
  rec.inner_src_addr = i.srcAddr;
  rec.inner_dst_addr = i.dstAddr;
  rec.inner_src_port = i.srcPort;
  rec.inner_dst_port = i.dstPort;
  rec.inner_src_mac = i.srcMac;
  rec.inner_dst_mac = i.dstMac;
}
