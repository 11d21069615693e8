/** Ethernet II with 802.1Q / 802.1ad (QinQ) tags, and ARP. */
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  LAYER_ARP,
  LAYER_IPV4,
  LAYER_IPV6,
  LAYER_NONE,
  type Layer,
  type PacketInfo,
} from './fields.js';
import { formatIpv4, formatMac } from './format.js';

const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ TPID some switches still send. */
const ETHERTYPE_QINQ_OLD = 0x9100;
const MAX_VLAN_TAGS = 4;

/** The layer an ethertype announces, LAYER_NONE for anything we do not look into. */
export function layerOfEthertype(etype: number): Layer {
  if (etype === ETHERTYPE_IPV4) return LAYER_IPV4;
  if (etype === ETHERTYPE_IPV6) return LAYER_IPV6;
  if (etype === ETHERTYPE_ARP) return LAYER_ARP;
  return LAYER_NONE;
}

export function parseEthernet(buf: Uint8Array, pos: number, end: number, info: PacketInfo): Layer {
  const f = info.current;
  if (end - pos < 14) {
    // Even a cut header gives its MACs.
    if (end - pos >= 6) f.dstMac = formatMac(buf, pos);
    if (end - pos >= 12) f.srcMac = formatMac(buf, pos + 6);
    info.truncated = true;
    return LAYER_NONE;
  }
  f.dstMac = formatMac(buf, pos);
  f.srcMac = formatMac(buf, pos + 6);
  let etype = (buf[pos + 12] << 8) | buf[pos + 13];
  pos += 14;
  while (etype === ETHERTYPE_VLAN || etype === ETHERTYPE_QINQ || etype === ETHERTYPE_QINQ_OLD) {
    if (f.vlanTags >= MAX_VLAN_TAGS) return LAYER_NONE;
    if (end - pos < 4) {
      info.truncated = true;
      return LAYER_NONE;
    }
    const vid = ((buf[pos] & 0x0f) << 8) | buf[pos + 1];
    // First tag seen is the outermost: with two or more, it is the service tag.
    if (f.vlanTags === 1) f.outerVlanId = f.vlanId;
    f.vlanId = vid;
    f.vlanTags++;
    etype = (buf[pos + 2] << 8) | buf[pos + 3];
    pos += 4;
  }
  // Values up to 1500 are an 802.3 length (LLC frame), not an ethertype.
  if (etype <= 1500) return LAYER_NONE;
  f.etype = etype;
  info.offset = pos;
  return layerOfEthertype(etype);
}

/** ARP for IPv4 over Ethernet (RFC 826): sender and target protocol addresses. */
export function parseArp(buf: Uint8Array, pos: number, end: number, info: PacketInfo): Layer {
  if (end - pos < 8) {
    info.truncated = true;
    return LAYER_NONE;
  }
  const f = info.current;
  f.arpOp = (buf[pos + 6] << 8) | buf[pos + 7];
  const hlen = buf[pos + 4];
  const plen = buf[pos + 5];
  const ptype = (buf[pos + 2] << 8) | buf[pos + 3];
  if (ptype !== ETHERTYPE_IPV4 || plen !== 4) return LAYER_NONE;
  const spa = pos + 8 + hlen;
  const tpa = spa + 4 + hlen;
  if (tpa + 4 > end) {
    info.truncated = true;
    if (spa + 4 <= end) f.srcAddr = formatIpv4(buf, spa);
    return LAYER_NONE;
  }
  f.srcAddr = formatIpv4(buf, spa);
  f.dstAddr = formatIpv4(buf, tpa);
  return LAYER_NONE;
}
