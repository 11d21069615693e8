/** IPv4 (RFC 791: options, fragments) and IPv6 (RFC 8200: extension headers). */
import {
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  IPPROTO_GRE,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IPIP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  LAYER_GRE,
  LAYER_ICMP,
  LAYER_ICMPV6,
  LAYER_IPV4,
  LAYER_IPV6,
  LAYER_NONE,
  LAYER_TCP,
  LAYER_UDP,
  TUNNEL_IPIP,
  type Layer,
  type PacketInfo,
} from './fields.js';
import { formatIpv4, formatIpv6 } from './format.js';

const MAX_IPV6_EXTENSION_HEADERS = 8;

/** The layer after an IP header; IP-in-IP switches the parser to the inner headers. */
function layerOfProtocol(proto: number, info: PacketInfo): Layer {
  switch (proto) {
    case IPPROTO_TCP:
      return LAYER_TCP;
    case IPPROTO_UDP:
      return LAYER_UDP;
    case IPPROTO_ICMP:
      return LAYER_ICMP;
    case IPPROTO_ICMPV6:
      return LAYER_ICMPV6;
    case IPPROTO_GRE:
      return LAYER_GRE;
    case IPPROTO_IPIP:
    case IPPROTO_IPV6:
      if (!enterTunnel(info, TUNNEL_IPIP)) return LAYER_NONE;
      return proto === IPPROTO_IPIP ? LAYER_IPV4 : LAYER_IPV6;
    default:
      return LAYER_NONE;
  }
}

/**
 * Switch to the inner headers once; a tunnel inside a tunnel is not followed (the first
 * tunnel's id is the one that attributes the traffic).
 */
export function enterTunnel(info: PacketInfo, type: number): boolean {
  if (info.current !== info.outer) return false;
  info.tunnelType = type;
  info.current = info.inner;
  return true;
}

export function parseIpv4(buf: Uint8Array, pos: number, end: number, info: PacketInfo): Layer {
  const f = info.current;
  f.etype = ETHERTYPE_IPV4;
  if (end - pos < 20) {
    info.truncated = true;
    return LAYER_NONE;
  }
  if (buf[pos] >> 4 !== 4) return LAYER_NONE;
  const headerLength = (buf[pos] & 0x0f) * 4;
  if (headerLength < 20) return LAYER_NONE;
  f.tos = buf[pos + 1];
  f.ipLength = (buf[pos + 2] << 8) | buf[pos + 3];
  f.fragmentId = (buf[pos + 4] << 8) | buf[pos + 5];
  f.fragmentOffset = ((buf[pos + 6] & 0x1f) << 8) | buf[pos + 7];
  f.moreFragments = (buf[pos + 6] & 0x20) !== 0;
  f.ttl = buf[pos + 8];
  f.proto = buf[pos + 9];
  f.srcAddr = formatIpv4(buf, pos + 12);
  f.dstAddr = formatIpv4(buf, pos + 16);
  // Later fragments carry no transport header.
  if (f.fragmentOffset !== 0) return LAYER_NONE;
  if (end - pos < headerLength) {
    info.truncated = true;
    return LAYER_NONE;
  }
  info.offset = pos + headerLength;
  return layerOfProtocol(f.proto, info);
}

export function parseIpv6(buf: Uint8Array, pos: number, end: number, info: PacketInfo): Layer {
  const f = info.current;
  f.etype = ETHERTYPE_IPV6;
  if (end - pos < 40) {
    info.truncated = true;
    return LAYER_NONE;
  }
  if (buf[pos] >> 4 !== 6) return LAYER_NONE;
  f.tos = ((buf[pos] & 0x0f) << 4) | (buf[pos + 1] >> 4);
  f.ipLength = ((buf[pos + 4] << 8) | buf[pos + 5]) + 40;
  f.ttl = buf[pos + 7];
  f.srcAddr = formatIpv6(buf, pos + 8);
  f.dstAddr = formatIpv6(buf, pos + 24);
  let next = buf[pos + 6];
  pos += 40;
  for (let i = 0; i < MAX_IPV6_EXTENSION_HEADERS; i++) {
    let length: number;
    switch (next) {
      case 0: // hop-by-hop options
      case 43: // routing
      case 60: // destination options
      case 135: // mobility
      case 139: // HIP
      case 140: // shim6
        if (end - pos < 2) return truncatedAt(next, info);
        length = (buf[pos + 1] + 1) * 8;
        break;
      case 51: // authentication header: length in 4-byte units, minus 2 (RFC 4302 section 2.2)
        if (end - pos < 2) return truncatedAt(next, info);
        length = (buf[pos + 1] + 2) * 4;
        break;
      case 44: // fragment
        if (end - pos < 8) return truncatedAt(next, info);
        f.fragmentOffset = ((buf[pos + 2] << 8) | buf[pos + 3]) >> 3;
        f.moreFragments = (buf[pos + 3] & 1) !== 0;
        f.fragmentId = ((buf[pos + 4] << 24) | (buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]) >>> 0;
        length = 8;
        break;
      default:
        f.proto = next;
        if (f.fragmentOffset !== 0) return LAYER_NONE;
        info.offset = pos;
        return layerOfProtocol(next, info);
    }
    if (end - pos < length) return truncatedAt(buf[pos], info);
    next = buf[pos];
    pos += length;
  }
  f.proto = next;
  return LAYER_NONE;
}

function truncatedAt(next: number, info: PacketInfo): Layer {
  info.current.proto = next;
  info.truncated = true;
  return LAYER_NONE;
}
