/**
 * What the packet parser extracts, in two reusable objects of one shape each: the outer
 * headers and, for VXLAN / Geneve / GRE / IP-in-IP traffic, the inner ones.
 */

/** Layer ids the parser steps through (plain numbers: no enums, so Node can strip types). */
export const LAYER_NONE = 0;
export const LAYER_ETHERNET = 1;
export const LAYER_ARP = 2;
export const LAYER_IPV4 = 3;
export const LAYER_IPV6 = 4;
export const LAYER_TCP = 5;
export const LAYER_UDP = 6;
export const LAYER_ICMP = 7;
export const LAYER_ICMPV6 = 8;
export const LAYER_GRE = 9;
export const LAYER_VXLAN = 10;
export const LAYER_GENEVE = 11;
export type Layer = number;

export const TUNNEL_NONE = 0;
export const TUNNEL_VXLAN = 1;
export const TUNNEL_GENEVE = 2;
export const TUNNEL_GRE = 3;
/** IPv4/IPv6 carried directly in IP (protocols 4 and 41): no key. */
export const TUNNEL_IPIP = 4;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Transparent Ethernet bridging: Ethernet inside GRE / Geneve. */
export const ETHERTYPE_TEB = 0x6558;

export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_GRE = 47;
export const IPPROTO_ICMPV6 = 58;

/** Well-known UDP destination ports of the tunnels we look into. */
export const UDP_PORT_VXLAN = 4789;
export const UDP_PORT_GENEVE = 6081;

/** One level of headers. Unknown numbers stay 0 and strings ''. */
export class HeaderFields {
  dstMac = '';
  srcMac = '';
  /** Ethertype after any VLAN tags (0x0800 / 0x86dd are also set for bare IP headers). */
  etype = 0;
  /** Innermost 802.1Q VLAN id; with QinQ the outer (service) tag is `outerVlanId`. */
  vlanId = 0;
  outerVlanId = 0;
  vlanTags = 0;
  srcAddr = '';
  dstAddr = '';
  /** Upper-layer protocol (after IPv6 extension headers). */
  proto = 0;
  tos = 0;
  ttl = 0;
  fragmentId = 0;
  /** Fragment offset in 8-byte units, as the IPv4 / IPv6 fragment header carries it. */
  fragmentOffset = 0;
  /** More-fragments flag: this is not the last fragment. */
  moreFragments = false;
  /** IP total length as the header claims it (IPv6: payload length + 40). */
  ipLength = 0;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  icmpType = 0;
  icmpCode = 0;
  arpOp = 0;
  /** Start and end of the UDP payload (both 0 when no UDP header was read). */
  udpPayloadStart = 0;
  udpPayloadEnd = 0;

  reset(): void {
    this.dstMac = '';
    this.srcMac = '';
    this.etype = 0;
    this.vlanId = 0;
    this.outerVlanId = 0;
    this.vlanTags = 0;
    this.srcAddr = '';
    this.dstAddr = '';
    this.proto = 0;
    this.tos = 0;
    this.ttl = 0;
    this.fragmentId = 0;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.ipLength = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
    this.arpOp = 0;
    this.udpPayloadStart = 0;
    this.udpPayloadEnd = 0;
  }
}

/** The result of parsing one frame; reuse one instance (parsePacket resets it). */
export class PacketInfo {
  readonly outer = new HeaderFields();
  readonly inner = new HeaderFields();
  tunnelType = TUNNEL_NONE;
  /** VXLAN / Geneve VNI or GRE key; meaningful when `hasTunnelId`. */
  tunnelId = 0;
  hasTunnelId = false;
  /** The bytes ended inside a header the previous one announced (a cut sampled header). */
  truncated = false;
  /** Parser cursor: where the next layer starts. */
  offset = 0;
  /** Headers that are being filled (outer, then inner after a tunnel header). */
  current: HeaderFields = this.outer;

  reset(): void {
    this.outer.reset();
    this.inner.reset();
    this.tunnelType = TUNNEL_NONE;
    this.tunnelId = 0;
    this.hasTunnelId = false;
    this.truncated = false;
    this.offset = 0;
    this.current = this.outer;
  }
}
