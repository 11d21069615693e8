/**
 * Tunnel headers whose inner packet we attribute by VNI / key: VXLAN (RFC 7348), Geneve
 * (RFC 8926) and GRE (RFC 2784 with the RFC 2890 key and sequence extensions).
 */
import {
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_TEB,
  LAYER_ETHERNET,
  LAYER_IPV4,
  LAYER_IPV6,
  LAYER_NONE,
  TUNNEL_GENEVE,
  TUNNEL_GRE,
  TUNNEL_VXLAN,
  type Layer,
  type PacketInfo,
} from './fields.js';
import { enterTunnel } from './ip.js';

function layerOfTunnelPayload(protocol: number): Layer {
  if (protocol === ETHERTYPE_TEB) return LAYER_ETHERNET;
  if (protocol === ETHERTYPE_IPV4) return LAYER_IPV4;
  if (protocol === ETHERTYPE_IPV6) return LAYER_IPV6;
  return LAYER_NONE;
}

function vni(buf: Uint8Array, pos: number): number {
  return (buf[pos] << 16) | (buf[pos + 1] << 8) | buf[pos + 2];
}

export function parseVxlan(buf: Uint8Array, pos: number, end: number, info: PacketInfo): Layer {
  if (end - pos < 8) {
    info.truncated = true;
    return LAYER_NONE;
  }
  // The I flag says the VNI is valid; without it this is not VXLAN as RFC 7348 defines it.
  if ((buf[pos] & 0x08) === 0) return LAYER_NONE;
  info.tunnelId = vni(buf, pos + 4);
  info.hasTunnelId = true;
  if (!enterTunnel(info, TUNNEL_VXLAN)) return LAYER_NONE;
  info.offset = pos + 8;
  return LAYER_ETHERNET;
}

export function parseGeneve(buf: Uint8Array, pos: number, end: number, info: PacketInfo): Layer {
  if (end - pos < 8) {
    info.truncated = true;
    return LAYER_NONE;
  }
  if (buf[pos] >> 6 !== 0) return LAYER_NONE; // only version 0 exists
  const optionsLength = (buf[pos] & 0x3f) * 4;
  const protocol = (buf[pos + 2] << 8) | buf[pos + 3];
  info.tunnelId = vni(buf, pos + 4);
  info.hasTunnelId = true;
  if (!enterTunnel(info, TUNNEL_GENEVE)) return LAYER_NONE;
  if (end - pos < 8 + optionsLength) {
    info.truncated = true;
    return LAYER_NONE;
  }
  info.offset = pos + 8 + optionsLength;
  return layerOfTunnelPayload(protocol);
}

export function parseGre(buf: Uint8Array, pos: number, end: number, info: PacketInfo): Layer {
  // GRE inside a tunnel is not followed (see enterTunnel): keep the outer tunnel's key.
  if (info.current !== info.outer) return LAYER_NONE;
  if (end - pos < 4) {
    info.truncated = true;
    return LAYER_NONE;
  }
  const flags = buf[pos];
  // Version 1 is PPTP's enhanced GRE: its "key" is a payload length and call id, not a tenant key.
  if ((buf[pos + 1] & 0x07) !== 0) return LAYER_NONE;
  const protocol = (buf[pos + 2] << 8) | buf[pos + 3];
  let next = pos + 4;
  if (flags & 0x80) next += 4; // checksum + reserved
  if (flags & 0x20) {
    if (end - next < 4) {
      info.truncated = true;
      return LAYER_NONE;
    }
    info.tunnelId = ((buf[next] << 24) | (buf[next + 1] << 16) | (buf[next + 2] << 8) | buf[next + 3]) >>> 0;
    info.hasTunnelId = true;
    next += 4;
  }
  if (flags & 0x10) next += 4; // sequence number
  if (!enterTunnel(info, TUNNEL_GRE)) return LAYER_NONE;
  if (next > end) {
    info.truncated = true;
    return LAYER_NONE;
  }
  info.offset = next;
  return layerOfTunnelPayload(protocol);
}
