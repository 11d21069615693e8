/**
 * From a captured frame to its UDP payload: link layers Ethernet, Linux cooked (SLL, SLL2),
 * BSD loopback (NULL, LOOP) and raw IP; then IPv4 / IPv6 and UDP through the packet parser.
 */
import { IPPROTO_UDP, LAYER_ETHERNET, LAYER_IPV4, LAYER_IPV6, LAYER_NONE, type Layer, type PacketInfo } from '../packet/fields.js';
import { layerOfEthertype } from '../packet/link.js';
import { parsePacket } from '../packet/parse.js';
import type { CapturedFrame } from './reader.js';

// LINKTYPE_* values (tcpdump.org link-layer header types).
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export class UdpDatagram {
  srcAddr = '';
  dstAddr = '';
  srcPort = 0;
  dstPort = 0;
  payload: Uint8Array = new Uint8Array(0);
}

/** Why a frame gave no UDP payload (for the decode summary). */
export type NotUdpReason = 'link_type' | 'not_ip' | 'not_udp' | 'fragment' | 'truncated';

/** BSD address families for IPv6 differ per OS (Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30). */
function layerOfAddressFamily(family: number): Layer {
  if (family === 2) return LAYER_IPV4;
  if (family === 10 || family === 24 || family === 28 || family === 30) return LAYER_IPV6;
  return LAYER_NONE;
}

function layerOfIpVersion(data: Uint8Array, off: number): Layer {
  if (data.length <= off) return LAYER_NONE;
  const version = data[off] >> 4;
  return version === 4 ? LAYER_IPV4 : version === 6 ? LAYER_IPV6 : LAYER_NONE;
}

/** The link-layer header length and the layer after it; [-1, LAYER_NONE] for unknown link types. */
function linkLayer(frame: CapturedFrame): [number, Layer] {
  const d = frame.data;
  switch (frame.linkType) {
    case LINKTYPE_ETHERNET:
      return [0, LAYER_ETHERNET];
    case LINKTYPE_LINUX_SLL:
      return d.length < 16 ? [16, LAYER_NONE] : [16, layerOfEthertype((d[14] << 8) | d[15])];
    case LINKTYPE_LINUX_SLL2:
      return d.length < 20 ? [20, LAYER_NONE] : [20, layerOfEthertype((d[0] << 8) | d[1])];
    case LINKTYPE_NULL: {
      if (d.length < 4) return [4, LAYER_NONE];
      // Host byte order of the capturing machine: a small value in either order is the family.
      const little = d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24);
      const big = (d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3];
      return [4, layerOfAddressFamily(little >>> 0 <= 0xffff ? little : big)];
    }
    case LINKTYPE_LOOP:
      return d.length < 4 ? [4, LAYER_NONE] : [4, layerOfAddressFamily(((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0)];
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return [0, layerOfIpVersion(d, 0)];
    default:
      return [-1, LAYER_NONE];
  }
}

/**
 * Fill `out` with the frame's UDP datagram; returns null on success, else why there is none.
 * `info` is scratch space for the packet parser.
 */
export function extractUdp(frame: CapturedFrame, info: PacketInfo, out: UdpDatagram): NotUdpReason | null {
  const [offset, layer] = linkLayer(frame);
  if (offset < 0) return 'link_type';
  if (layer === LAYER_NONE && frame.linkType !== LINKTYPE_ETHERNET) return 'not_ip';
  parsePacket(frame.data, offset, frame.data.length, layer, info, { followTunnels: false });
  const f = info.outer;
  if (f.etype !== 0x0800 && f.etype !== 0x86dd) return 'not_ip';
  if (f.moreFragments || f.fragmentOffset !== 0) return 'fragment';
  if (f.proto !== IPPROTO_UDP) return 'not_udp';
  if (f.udpPayloadStart === 0) return 'truncated';
  out.srcAddr = f.srcAddr;
  out.dstAddr = f.dstAddr;
  out.srcPort = f.srcPort;
  out.dstPort = f.dstPort;
  out.payload = frame.data.subarray(f.udpPayloadStart, f.udpPayloadEnd);
  return null;
}
