/** TCP, UDP, ICMP and ICMPv6: ports, flags, type and code. */
import {
  LAYER_GENEVE,
  LAYER_NONE,
  LAYER_VXLAN,
  UDP_PORT_GENEVE,
  UDP_PORT_VXLAN,
  type Layer,
  type PacketInfo,
} from './fields.js';

export function parseTcp(buf: Uint8Array, pos: number, end: number, info: PacketInfo): Layer {
  const f = info.current;
  if (end - pos < 4) {
    info.truncated = true;
    return LAYER_NONE;
  }
  f.srcPort = (buf[pos] << 8) | buf[pos + 1];
  f.dstPort = (buf[pos + 2] << 8) | buf[pos + 3];
  // The classic 8 flag bits (CWR..FIN), as goflow2 reports tcp_flags.
  if (end - pos < 14) info.truncated = true;
  else f.tcpFlags = buf[pos + 13];
  return LAYER_NONE;
}

/** UDP; a VXLAN or Geneve port on the outer header leads into the tunnel. */
export function parseUdp(buf: Uint8Array, pos: number, end: number, info: PacketInfo, followTunnels: boolean): Layer {
  const f = info.current;
  if (end - pos < 4) {
    info.truncated = true;
    return LAYER_NONE;
  }
  f.srcPort = (buf[pos] << 8) | buf[pos + 1];
  f.dstPort = (buf[pos + 2] << 8) | buf[pos + 3];
  if (end - pos < 8) {
    info.truncated = true;
    return LAYER_NONE;
  }
  const length = (buf[pos + 4] << 8) | buf[pos + 5];
  f.udpPayloadStart = pos + 8;
  // A UDP length below 8 is invalid (or 0 for IPv6 jumbograms): trust the bytes we have then.
  f.udpPayloadEnd = length >= 8 && pos + length <= end ? pos + length : end;
  info.offset = pos + 8;
  if (!followTunnels || f !== info.outer) return LAYER_NONE;
  if (f.dstPort === UDP_PORT_VXLAN) return LAYER_VXLAN;
  if (f.dstPort === UDP_PORT_GENEVE) return LAYER_GENEVE;
  return LAYER_NONE;
}

/** ICMP and ICMPv6 share the type/code layout (RFC 792, RFC 4443). */
export function parseIcmp(buf: Uint8Array, pos: number, end: number, info: PacketInfo): Layer {
  const f = info.current;
  if (end - pos < 2) {
    info.truncated = true;
    return LAYER_NONE;
  }
  f.icmpType = buf[pos];
  f.icmpCode = buf[pos + 1];
  return LAYER_NONE;
}
