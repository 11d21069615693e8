/**
 * The packet parser: a bounded loop over layers, each parser reading what its header says
 * and naming the next layer. Truncated headers decode as far as they go (sFlow samples only
 * the first bytes of a packet) and set `info.truncated`; nothing here throws or allocates
 * beyond the address strings.
 */
import {
  LAYER_ARP,
  LAYER_ETHERNET,
  LAYER_GENEVE,
  LAYER_GRE,
  LAYER_ICMP,
  LAYER_ICMPV6,
  LAYER_IPV4,
  LAYER_IPV6,
  LAYER_NONE,
  LAYER_TCP,
  LAYER_UDP,
  LAYER_VXLAN,
  type Layer,
  type PacketInfo,
} from './fields.js';
import { parseIpv4, parseIpv6 } from './ip.js';
import { parseArp, parseEthernet } from './link.js';
import { parseIcmp, parseTcp, parseUdp } from './transport.js';
import { parseGeneve, parseGre, parseVxlan } from './tunnel.js';

/** More than any real stack needs (Ethernet, IP, UDP, VXLAN, Ethernet, IP, TCP is 7). */
const MAX_LAYERS = 12;

export interface ParseOptions {
  /** Look into VXLAN / Geneve / GRE / IP-in-IP payloads (default true). */
  followTunnels?: boolean;
}

/**
 * Parse `buf[start, end)` starting with `first` (LAYER_ETHERNET, LAYER_IPV4 or LAYER_IPV6)
 * into `info`, which is reset first.
 */
export function parsePacket(
  buf: Uint8Array,
  start: number,
  end: number,
  first: Layer,
  info: PacketInfo,
  options?: ParseOptions,
): void {
  info.reset();
  const followTunnels = options?.followTunnels ?? true;
  if (end > buf.length) end = buf.length;
  let layer = first;
  info.offset = start;
  for (let i = 0; i < MAX_LAYERS && layer !== LAYER_NONE; i++) {
    const pos = info.offset;
    switch (layer) {
      case LAYER_ETHERNET:
        layer = parseEthernet(buf, pos, end, info);
        break;
      case LAYER_ARP:
        layer = parseArp(buf, pos, end, info);
        break;
      case LAYER_IPV4:
        layer = parseIpv4(buf, pos, end, info);
        break;
      case LAYER_IPV6:
        layer = parseIpv6(buf, pos, end, info);
        break;
      case LAYER_TCP:
        layer = parseTcp(buf, pos, end, info);
        break;
      case LAYER_UDP:
        layer = parseUdp(buf, pos, end, info, followTunnels);
        break;
      case LAYER_ICMP:
      case LAYER_ICMPV6:
        layer = parseIcmp(buf, pos, end, info);
        break;
      case LAYER_GRE:
        layer = followTunnels ? parseGre(buf, pos, end, info) : LAYER_NONE;
        break;
      case LAYER_VXLAN:
        layer = parseVxlan(buf, pos, end, info);
        break;
      case LAYER_GENEVE:
        layer = parseGeneve(buf, pos, end, info);
        break;
      default:
        layer = LAYER_NONE;
    }
  }
}
