/**
 * OXM TLVs (OF1.3 §7.2.3): the match fields of flows and the field of set_field actions.
 * header = class(16) | field(7) | hasmask(1) | length(8); class 0xffff adds a 32-bit
 * experimenter id counted in `length`. OVS 3.1 mixes OpenFlow-basic fields (class 0x8000) with
 * its NXM classes 0x0000/0x0001 for fields OpenFlow lacks (registers, ct_*, tun_src, ...),
 * names per OVS's meta-flow (include/openvswitch/meta-flow.h).
 */
import { TelemetryError } from '../../common/errors.js';
import { NX_VENDOR_ID, ONF_VENDOR_ID } from './constants.js';
import {
  formatHex,
  formatIpv4,
  formatIpv6,
  formatMac,
  need,
  pad8,
  protocolError,
  writeIpv4,
  writeIpv6,
  writeMac,
  writeU64,
} from './wire.js';

/** number for fields up to 32 bits, bigint for 64-bit ones, text for MAC/IP, `0x…` hex otherwise. */
export type OxmValue = number | bigint | string;

export interface MatchField {
  /** OVS field name (`in_port`, `eth_dst`, `vlan_vid`, `tun_id`, `reg0`, `ct_state`, …). */
  readonly field: string;
  readonly value: OxmValue;
  /** Present only for masked (wildcarded) fields. */
  readonly mask?: OxmValue;
}

export type Match = readonly MatchField[];

type Format = 'uint' | 'mac' | 'ipv4' | 'ipv6' | 'hex';

interface FieldSpec {
  readonly name: string;
  readonly oxmClass: number;
  readonly field: number;
  readonly width: number;
  readonly format: Format;
  readonly experimenter?: number;
}

const OXM_BASIC = 0x8000;
const OXM_PACKET_REGS = 0x8001;
const NXM_OF = 0x0000;
const NXM_NX = 0x0001;
const OXM_EXPERIMENTER = 0xffff;

function spec(name: string, oxmClass: number, field: number, width: number, format: Format = 'uint'): FieldSpec {
  return { name, oxmClass, field, width, format };
}

/**
 * Known fields, in the order an encoder prefers them when a name has several encodings
 * (OpenFlow-basic first, as OVS sends in OF1.3+).
 */
const FIELDS: readonly FieldSpec[] = [
  spec('in_port', OXM_BASIC, 0, 4),
  spec('in_phy_port', OXM_BASIC, 1, 4),
  spec('metadata', OXM_BASIC, 2, 8),
  spec('eth_dst', OXM_BASIC, 3, 6, 'mac'),
  spec('eth_src', OXM_BASIC, 4, 6, 'mac'),
  spec('eth_type', OXM_BASIC, 5, 2),
  spec('vlan_vid', OXM_BASIC, 6, 2),
  spec('vlan_pcp', OXM_BASIC, 7, 1),
  spec('ip_dscp', OXM_BASIC, 8, 1),
  spec('nw_ecn', OXM_BASIC, 9, 1),
  spec('nw_proto', OXM_BASIC, 10, 1),
  spec('ip_src', OXM_BASIC, 11, 4, 'ipv4'),
  spec('ip_dst', OXM_BASIC, 12, 4, 'ipv4'),
  spec('tcp_src', OXM_BASIC, 13, 2),
  spec('tcp_dst', OXM_BASIC, 14, 2),
  spec('udp_src', OXM_BASIC, 15, 2),
  spec('udp_dst', OXM_BASIC, 16, 2),
  spec('sctp_src', OXM_BASIC, 17, 2),
  spec('sctp_dst', OXM_BASIC, 18, 2),
  spec('icmp_type', OXM_BASIC, 19, 1),
  spec('icmp_code', OXM_BASIC, 20, 1),
  spec('arp_op', OXM_BASIC, 21, 2),
  spec('arp_spa', OXM_BASIC, 22, 4, 'ipv4'),
  spec('arp_tpa', OXM_BASIC, 23, 4, 'ipv4'),
  spec('arp_sha', OXM_BASIC, 24, 6, 'mac'),
  spec('arp_tha', OXM_BASIC, 25, 6, 'mac'),
  spec('ipv6_src', OXM_BASIC, 26, 16, 'ipv6'),
  spec('ipv6_dst', OXM_BASIC, 27, 16, 'ipv6'),
  spec('ipv6_label', OXM_BASIC, 28, 4),
  spec('icmpv6_type', OXM_BASIC, 29, 1),
  spec('icmpv6_code', OXM_BASIC, 30, 1),
  spec('nd_target', OXM_BASIC, 31, 16, 'ipv6'),
  spec('nd_sll', OXM_BASIC, 32, 6, 'mac'),
  spec('nd_tll', OXM_BASIC, 33, 6, 'mac'),
  spec('mpls_label', OXM_BASIC, 34, 4),
  spec('mpls_tc', OXM_BASIC, 35, 1),
  spec('mpls_bos', OXM_BASIC, 36, 1),
  spec('pbb_isid', OXM_BASIC, 37, 3),
  spec('tun_id', OXM_BASIC, 38, 8),
  spec('ipv6_exthdr', OXM_BASIC, 39, 2),
  spec('pbb_uca', OXM_BASIC, 41, 1),
  spec('tcp_flags', OXM_BASIC, 42, 2),
  spec('actset_output', OXM_BASIC, 43, 4),
  spec('packet_type', OXM_BASIC, 44, 4),
  ...Array.from({ length: 8 }, (_, i) => spec(`xreg${i}`, OXM_PACKET_REGS, i, 8)),
  ...Array.from({ length: 16 }, (_, i) => spec(`reg${i}`, NXM_NX, i, 4)),
  spec('tun_id', NXM_NX, 16, 8),
  spec('arp_sha', NXM_NX, 17, 6, 'mac'),
  spec('arp_tha', NXM_NX, 18, 6, 'mac'),
  spec('ipv6_src', NXM_NX, 19, 16, 'ipv6'),
  spec('ipv6_dst', NXM_NX, 20, 16, 'ipv6'),
  spec('icmpv6_type', NXM_NX, 21, 1),
  spec('icmpv6_code', NXM_NX, 22, 1),
  spec('nd_target', NXM_NX, 23, 16, 'ipv6'),
  spec('nd_sll', NXM_NX, 24, 6, 'mac'),
  spec('nd_tll', NXM_NX, 25, 6, 'mac'),
  spec('ip_frag', NXM_NX, 26, 1),
  spec('ipv6_label', NXM_NX, 27, 4),
  spec('nw_ecn', NXM_NX, 28, 1),
  spec('nw_ttl', NXM_NX, 29, 1),
  spec('mpls_ttl', NXM_NX, 30, 1),
  spec('tun_src', NXM_NX, 31, 4, 'ipv4'),
  spec('tun_dst', NXM_NX, 32, 4, 'ipv4'),
  spec('pkt_mark', NXM_NX, 33, 4),
  spec('tcp_flags', NXM_NX, 34, 2),
  spec('dp_hash', NXM_NX, 35, 4),
  spec('recirc_id', NXM_NX, 36, 4),
  spec('conj_id', NXM_NX, 37, 4),
  spec('tun_gbp_id', NXM_NX, 38, 2),
  spec('tun_gbp_flags', NXM_NX, 39, 1),
  spec('tun_flags', NXM_NX, 104, 2),
  spec('ct_state', NXM_NX, 105, 4),
  spec('ct_zone', NXM_NX, 106, 2),
  spec('ct_mark', NXM_NX, 107, 4),
  spec('ct_label', NXM_NX, 108, 16, 'hex'),
  spec('tun_ipv6_src', NXM_NX, 109, 16, 'ipv6'),
  spec('tun_ipv6_dst', NXM_NX, 110, 16, 'ipv6'),
  ...Array.from({ length: 8 }, (_, i) => spec(`xxreg${i}`, NXM_NX, 111 + i, 16, 'hex')),
  spec('ct_nw_proto', NXM_NX, 119, 1),
  spec('ct_nw_src', NXM_NX, 120, 4, 'ipv4'),
  spec('ct_nw_dst', NXM_NX, 121, 4, 'ipv4'),
  spec('ct_ipv6_src', NXM_NX, 122, 16, 'ipv6'),
  spec('ct_ipv6_dst', NXM_NX, 123, 16, 'ipv6'),
  spec('ct_tp_src', NXM_NX, 124, 2),
  spec('ct_tp_dst', NXM_NX, 125, 2),
  spec('in_port', NXM_OF, 0, 2),
  spec('eth_dst', NXM_OF, 1, 6, 'mac'),
  spec('eth_src', NXM_OF, 2, 6, 'mac'),
  spec('eth_type', NXM_OF, 3, 2),
  spec('vlan_tci', NXM_OF, 4, 2),
  spec('nw_tos', NXM_OF, 5, 1),
  spec('nw_proto', NXM_OF, 6, 1),
  spec('ip_src', NXM_OF, 7, 4, 'ipv4'),
  spec('ip_dst', NXM_OF, 8, 4, 'ipv4'),
  spec('tcp_src', NXM_OF, 9, 2),
  spec('tcp_dst', NXM_OF, 10, 2),
  spec('udp_src', NXM_OF, 11, 2),
  spec('udp_dst', NXM_OF, 12, 2),
  spec('icmp_type', NXM_OF, 13, 1),
  spec('icmp_code', NXM_OF, 14, 1),
  spec('arp_op', NXM_OF, 15, 2),
  spec('arp_spa', NXM_OF, 16, 4, 'ipv4'),
  spec('arp_tpa', NXM_OF, 17, 4, 'ipv4'),
  // OF1.3/1.4 carry these two as ONF experimenter OXMs (ONF extension EXT-233/EXT-223).
  { name: 'tcp_flags', oxmClass: OXM_EXPERIMENTER, field: 42, width: 2, format: 'uint', experimenter: ONF_VENDOR_ID },
  { name: 'actset_output', oxmClass: OXM_EXPERIMENTER, field: 43, width: 4, format: 'uint', experimenter: ONF_VENDOR_ID },
  { name: 'dp_hash', oxmClass: OXM_EXPERIMENTER, field: 0, width: 4, format: 'uint', experimenter: NX_VENDOR_ID },
];

const byHeader = new Map<number, FieldSpec>();
const byExperimenter = new Map<string, FieldSpec>();
const byName = new Map<string, FieldSpec>();
for (const f of FIELDS) {
  if (f.experimenter === undefined) byHeader.set(f.oxmClass * 128 + f.field, f);
  else byExperimenter.set(`${f.experimenter}:${f.field}`, f);
  if (!byName.has(f.name)) byName.set(f.name, f);
}

/** Names this codec can encode. */
export function isKnownField(name: string): boolean {
  return byName.has(name);
}

/** Looks up an NXM/OXM header as used by NXAST_REG_LOAD's `dst` (no experimenter form). */
export function fieldNameOf(header: number): string {
  const oxmClass = header >>> 16;
  const field = (header >>> 9) & 0x7f;
  return byHeader.get(oxmClass * 128 + field)?.name ?? `oxm_${oxmClass.toString(16)}_${field}`;
}

function decodeValue(buf: Buffer, offset: number, width: number, format: Format): OxmValue {
  switch (format) {
    case 'mac':
      return formatMac(buf, offset);
    case 'ipv4':
      return formatIpv4(buf, offset);
    case 'ipv6':
      return formatIpv6(buf, offset);
    case 'uint':
      if (width === 1) return buf[offset];
      if (width === 2) return buf.readUInt16BE(offset);
      if (width === 3) return buf.readUIntBE(offset, 3);
      if (width === 4) return buf.readUInt32BE(offset);
      if (width === 8) return buf.readBigUInt64BE(offset);
      return formatHex(buf, offset, width);
    case 'hex':
      return formatHex(buf, offset, width);
  }
}

/**
 * Decodes one OXM TLV at `offset` (bounded by `end`); returns the field and the offset after it.
 * A field this table does not know decodes by its numbers (`oxm_<class>_<field>`, hex value), not
 * as an error: OVS may add fields.
 */
export function decodeOxm(buf: Buffer, offset: number, end: number): { field: MatchField; next: number } {
  need(offset, 4, end, 'OXM header');
  const header = buf.readUInt32BE(offset);
  const oxmClass = header >>> 16;
  const fieldNo = (header >>> 9) & 0x7f;
  const hasMask = (header & 0x100) !== 0;
  const length = header & 0xff;
  need(offset + 4, length, end, 'OXM field');
  let payload = offset + 4;
  let payloadLen = length;
  let known: FieldSpec | undefined;
  let unknownName: string;
  if (oxmClass === OXM_EXPERIMENTER) {
    if (length < 4) throw protocolError(`experimenter OXM with length ${length}`);
    const experimenter = buf.readUInt32BE(payload);
    known = byExperimenter.get(`${experimenter}:${fieldNo}`);
    unknownName = `oxm_exp_${experimenter.toString(16)}_${fieldNo}`;
    payload += 4;
    payloadLen -= 4;
  } else {
    known = byHeader.get(oxmClass * 128 + fieldNo);
    unknownName = `oxm_${oxmClass.toString(16)}_${fieldNo}`;
  }
  if (hasMask && payloadLen % 2 !== 0) throw protocolError(`masked OXM ${known?.name ?? unknownName} has odd length ${payloadLen}`);
  const width = hasMask ? payloadLen / 2 : payloadLen;
  if (oxmClass === OXM_PACKET_REGS && hasMask && width === 8) {
    const half = registerHalf(buf, payload, fieldNo);
    if (half !== undefined) return { field: half, next: offset + 4 + length };
  }
  const usable = known !== undefined && known.width === width ? known : undefined;
  const name = usable?.name ?? known?.name ?? unknownName;
  const format: Format = usable?.format ?? 'hex';
  const value = decodeValue(buf, payload, width, format);
  // One object shape for every field (mask always assigned) keeps the decode loop monomorphic.
  const field: MatchField = { field: name, value, mask: hasMask ? decodeValue(buf, payload + width, width, format) : undefined };
  return { field, next: offset + 4 + length };
}

/**
 * OVS sends a 32-bit register match in OF1.5 as its 64-bit packet register with half a mask
 * (reg5=7 arrives as xreg2=0x7/0xffffffff: xregN = reg(2N) << 32 | reg(2N+1)); report it as the
 * register it is, the way ovs-ofctl prints it.
 */
function registerHalf(buf: Buffer, payload: number, xreg: number): MatchField | undefined {
  const maskHi = buf.readUInt32BE(payload + 8);
  const maskLo = buf.readUInt32BE(payload + 12);
  if (maskHi === 0 && maskLo === 0xffffffff) {
    return { field: `reg${2 * xreg + 1}`, value: buf.readUInt32BE(payload + 4), mask: undefined };
  }
  if (maskHi === 0xffffffff && maskLo === 0) {
    return { field: `reg${2 * xreg}`, value: buf.readUInt32BE(payload), mask: undefined };
  }
  return undefined;
}

const OFPMT_OXM = 1;

/**
 * Decodes an ofp_match (type OXM) at `offset`; returns the fields and the offset after its
 * 8-byte padding.
 */
export function decodeMatch(buf: Buffer, offset: number, end: number): { match: MatchField[]; next: number } {
  need(offset, 4, end, 'match header');
  const type = buf.readUInt16BE(offset);
  const length = buf.readUInt16BE(offset + 2);
  if (type !== OFPMT_OXM) throw protocolError(`match type ${type} (only OXM, type 1, exists in OF1.3+)`);
  if (length < 4) throw protocolError(`match length ${length}`);
  need(offset, pad8(length), end, 'match');
  const fieldsEnd = offset + length;
  const match: MatchField[] = [];
  let pos = offset + 4;
  while (pos < fieldsEnd) {
    const decoded = decodeOxm(buf, pos, fieldsEnd);
    match.push(decoded.field);
    pos = decoded.next;
  }
  return { match, next: offset + pad8(length) };
}

function usage(message: string): TelemetryError {
  return new TelemetryError('USAGE', `OpenFlow match: ${message}`);
}

function writeValue(buf: Buffer, offset: number, f: FieldSpec, value: OxmValue): void {
  if (f.format === 'mac' || f.format === 'ipv4' || f.format === 'ipv6') {
    if (typeof value !== 'string') throw usage(`${f.name} needs a text address, got ${typeof value}`);
    if (f.format === 'mac') writeMac(buf, offset, value);
    else if (f.format === 'ipv4') writeIpv4(buf, offset, value);
    else writeIpv6(buf, offset, value);
    return;
  }
  let n: bigint;
  try {
    n = BigInt(value);
  } catch (err) {
    throw new TelemetryError('USAGE', `OpenFlow match: ${f.name} value ${String(value)} is not a number`, { cause: err });
  }
  if (n < 0n || n >= 1n << BigInt(8 * f.width)) throw usage(`${f.name} value ${String(value)} does not fit ${f.width} bytes`);
  if (f.width === 8) writeU64(buf, offset, n);
  else if (f.width <= 6) buf.writeUIntBE(Number(n), offset, f.width);
  else buf.write(n.toString(16).padStart(2 * f.width, '0'), offset, f.width, 'hex');
}

function specFor(name: string): FieldSpec {
  const f = byName.get(name);
  if (f === undefined) throw usage(`unknown field ${name}`);
  return f;
}

/** Encoded size of one OXM TLV. */
export function oxmLength(field: MatchField): number {
  const f = specFor(field.field);
  return 4 + (f.experimenter === undefined ? 0 : 4) + f.width * (field.mask === undefined ? 1 : 2);
}

/** Writes one OXM TLV at `offset`; returns the offset after it. */
export function encodeOxm(buf: Buffer, offset: number, field: MatchField): number {
  const f = specFor(field.field);
  const masked = field.mask !== undefined;
  const extra = f.experimenter === undefined ? 0 : 4;
  const length = extra + f.width * (masked ? 2 : 1);
  buf.writeUInt32BE(((f.oxmClass << 16) | (f.field << 9) | (masked ? 0x100 : 0) | length) >>> 0, offset);
  let pos = offset + 4;
  if (f.experimenter !== undefined) {
    buf.writeUInt32BE(f.experimenter, pos);
    pos += 4;
  }
  writeValue(buf, pos, f, field.value);
  if (field.mask !== undefined) writeValue(buf, pos + f.width, f, field.mask);
  return pos + f.width * (masked ? 2 : 1);
}

/** Encoded size of an ofp_match including its padding. */
export function matchLength(match: Match): number {
  let length = 4;
  for (const field of match) length += oxmLength(field);
  return pad8(length);
}

/** Writes an ofp_match (OXM) with padding at `offset` (buffer must be zero-filled); returns the offset after it. */
export function encodeMatch(buf: Buffer, offset: number, match: Match): number {
  let pos = offset + 4;
  for (const field of match) pos = encodeOxm(buf, pos, field);
  buf.writeUInt16BE(OFPMT_OXM, offset);
  buf.writeUInt16BE(pos - offset, offset + 2);
  return offset + pad8(pos - offset);
}

/** The first field of `match` with this name. */
export function findField(match: Match, name: string): MatchField | undefined {
  for (const f of match) if (f.field === name) return f;
  return undefined;
}
