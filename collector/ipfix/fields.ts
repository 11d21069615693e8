/**
 * What each information element means for a FlowRecord, compiled once per template into one
 * action code per field, and the record loop that applies them.
 *
 * Where several elements can fill the same record field (octetDeltaCount or
 * layer2OctetDeltaCount or octetTotalCount for `bytes`, ...), the template decides once which
 * one wins (the lowest rank present), so records of one template always take the same source.
 * Times and sampling rates go through scratch slots and are settled per record by
 * finishRecord, because they combine several fields and the message header.
 */
import type { FlowRecord } from '../../common/model.js';
import { BytesTextCache, formatIpv4, formatIpv6, formatMac } from '../packet/format.js';
import { informationElement, PEN_VMWARE, typeSize } from './iana.js';
import { VARIABLE_LENGTH } from './template.js';
import { VERSION_NETFLOW_V9, type MessageHeader, type RecordInfo } from './types.js';
import { allZero, uint } from './wire.js';

const ACTION_SKIP = 0;
const ACTION_BYTES = 1;
const ACTION_PACKETS = 2;
const ACTION_PROTO = 3;
const ACTION_TOS = 4;
const ACTION_TCP_FLAGS = 5;
const ACTION_SRC_PORT = 6;
const ACTION_DST_PORT = 7;
const ACTION_SRC_V4 = 8;
const ACTION_DST_V4 = 9;
const ACTION_SRC_V6 = 10;
const ACTION_DST_V6 = 11;
const ACTION_IN_IF = 12;
const ACTION_OUT_IF = 13;
const ACTION_SRC_MAC = 14;
const ACTION_DST_MAC = 15;
const ACTION_VLAN = 16;
const ACTION_ETYPE = 17;
const ACTION_IP_VERSION = 18;
const ACTION_ICMP_TYPE_CODE = 19;
const ACTION_ICMP_TYPE = 20;
const ACTION_ICMP_CODE = 21;
const ACTION_TTL = 22;
const ACTION_FRAGMENT_ID = 23;
const ACTION_FRAGMENT_OFFSET = 24;
const ACTION_START_SECONDS = 25;
const ACTION_END_SECONDS = 26;
const ACTION_START_MS = 27;
const ACTION_END_MS = 28;
const ACTION_START_NTP_US = 29;
const ACTION_END_NTP_US = 30;
const ACTION_START_NTP_NS = 31;
const ACTION_END_NTP_NS = 32;
const ACTION_START_DELTA_US = 33;
const ACTION_END_DELTA_US = 34;
const ACTION_START_UPTIME = 35;
const ACTION_END_UPTIME = 36;
const ACTION_SYSTEM_INIT_MS = 37;
const ACTION_SAMPLING_INTERVAL = 38;
const ACTION_SAMPLER_RANDOM_INTERVAL = 39;
const ACTION_SAMPLING_PACKET_INTERVAL = 40;
const ACTION_SAMPLING_PACKET_SPACE = 41;
const ACTION_SAMPLING_PROBABILITY = 42;
const ACTION_SAMPLING_SIZE = 43;
const ACTION_SAMPLING_POPULATION = 44;
const ACTION_SAMPLER_ID = 45;
const ACTION_FLOW_DIRECTION = 46;
const ACTION_OBSERVATION_POINT = 47;
const ACTION_FLOW_END_REASON = 48;
const ACTION_IN_IF_NAME = 49;
const ACTION_OUT_IF_NAME = 50;
const ACTION_L2_BYTES = 51;
const ACTION_TUNNEL_TYPE = 52;
const ACTION_TUNNEL_KEY = 53;
const ACTION_TUNNEL_SRC_V4 = 54;
const ACTION_TUNNEL_DST_V4 = 55;
const ACTION_TUNNEL_PROTO = 56;
const ACTION_TUNNEL_SRC_PORT = 57;
const ACTION_TUNNEL_DST_PORT = 58;
const ACTION_L2_SEGMENT = 59;
const ACTION_INNER_PROTO = 60;
const ACTION_INNER_SRC_V4 = 61;
const ACTION_INNER_DST_V4 = 62;
const ACTION_INNER_SRC_V6 = 63;
const ACTION_INNER_DST_V6 = 64;
const ACTION_INNER_SRC_PORT = 65;
const ACTION_INNER_DST_PORT = 66;
const ACTION_EXPORTING_PROCESS = 67;
const ACTION_NOT_SENT_FLOWS = 68;
const ACTION_NOT_SENT_PACKETS = 69;
const ACTION_NOT_SENT_OCTETS = 70;
const ACTION_EXPORTED_MESSAGES = 71;
const ACTION_EXPORTED_FLOWS = 72;
const ACTION_EXPORTED_OCTETS = 73;
const ACTION_TCP_FLAG_COUNT = 74;
const ACTION_SRC_V4_ALT = 75;
const ACTION_DST_V4_ALT = 76;
const ACTION_SRC_V6_ALT = 77;
const ACTION_DST_V6_ALT = 78;

// Roles: record fields several elements compete for; the lowest rank present in a template wins.
const ROLE_NONE = 0;
const ROLE_BYTES = 1;
const ROLE_PACKETS = 2;
const ROLE_IN_IF = 3;
const ROLE_OUT_IF = 4;
const ROLE_SRC_MAC = 5;
const ROLE_DST_MAC = 6;
const ROLE_VLAN = 7;
const ROLE_START = 8;
const ROLE_END = 9;
const ROLE_SAMPLER = 10;
const ROLE_COUNT = 11;

interface Rule {
  action: number;
  role: number;
  rank: number;
  /** What the element does when another element of its role wins (default: nothing). */
  otherwise: number;
}

/** Key of an element: enterprise * 65536 + id (exact: PENs are 32-bit). */
function key(enterprise: number, id: number): number {
  return enterprise * 65536 + id;
}

const RULES = new Map<number, Rule>();
function rule(id: number, action: number, role = ROLE_NONE, rank = 0, otherwise = ACTION_SKIP, enterprise = 0): void {
  RULES.set(key(enterprise, id), { action, role, rank, otherwise });
}

/**
 * Template.runningTotals bits: the record's bytes / packets are octetTotalCount /
 * packetTotalCount, running totals of the flow since it began (RFC 7012 section 5.10: "since
 * the Metering Process (re-)initialization"), not deltas; see running-totals.ts.
 */
export const TOTAL_BYTES = 1;
export const TOTAL_PACKETS = 2;
const TOTAL_BYTES_RANK = 2;
const TOTAL_PACKETS_RANK = 1;

// RFC 7012 / IANA element ids (NetFlow v9 field types 1-127 are the same numbers).
rule(1, ACTION_BYTES, ROLE_BYTES, 0); // octetDeltaCount
rule(352, ACTION_BYTES, ROLE_BYTES, 1, ACTION_L2_BYTES); // layer2OctetDeltaCount (OVS: also for non-IP)
rule(85, ACTION_BYTES, ROLE_BYTES, TOTAL_BYTES_RANK); // octetTotalCount (v9 IN_PERMANENT_BYTES)
rule(23, ACTION_BYTES, ROLE_BYTES, 3); // postOctetDeltaCount (v9 OUT_BYTES)
rule(2, ACTION_PACKETS, ROLE_PACKETS, 0); // packetDeltaCount
rule(86, ACTION_PACKETS, ROLE_PACKETS, TOTAL_PACKETS_RANK); // packetTotalCount (v9 IN_PERMANENT_PKTS)
rule(24, ACTION_PACKETS, ROLE_PACKETS, 2); // postPacketDeltaCount (v9 OUT_PKTS)
rule(4, ACTION_PROTO);
rule(5, ACTION_TOS);
rule(6, ACTION_TCP_FLAGS);
rule(7, ACTION_SRC_PORT);
rule(11, ACTION_DST_PORT);
rule(8, ACTION_SRC_V4);
rule(12, ACTION_DST_V4);
rule(27, ACTION_SRC_V6);
rule(28, ACTION_DST_V6);
rule(10, ACTION_IN_IF, ROLE_IN_IF, 0); // ingressInterface
rule(252, ACTION_IN_IF, ROLE_IN_IF, 1); // ingressPhysicalInterface
rule(14, ACTION_OUT_IF, ROLE_OUT_IF, 0); // egressInterface
rule(253, ACTION_OUT_IF, ROLE_OUT_IF, 1); // egressPhysicalInterface
rule(56, ACTION_SRC_MAC, ROLE_SRC_MAC, 0); // sourceMacAddress (v9 IN_SRC_MAC)
rule(81, ACTION_SRC_MAC, ROLE_SRC_MAC, 1); // postSourceMacAddress (v9 OUT_SRC_MAC)
rule(80, ACTION_DST_MAC, ROLE_DST_MAC, 0); // destinationMacAddress (v9 IN_DST_MAC)
rule(57, ACTION_DST_MAC, ROLE_DST_MAC, 1); // postDestinationMacAddress (v9 OUT_DST_MAC)
rule(58, ACTION_VLAN, ROLE_VLAN, 0); // vlanId
rule(243, ACTION_VLAN, ROLE_VLAN, 1); // dot1qVlanId
rule(256, ACTION_ETYPE);
rule(60, ACTION_IP_VERSION);
rule(32, ACTION_ICMP_TYPE_CODE); // icmpTypeCodeIPv4: type * 256 + code
rule(139, ACTION_ICMP_TYPE_CODE); // icmpTypeCodeIPv6
rule(176, ACTION_ICMP_TYPE);
rule(177, ACTION_ICMP_CODE);
rule(178, ACTION_ICMP_TYPE);
rule(179, ACTION_ICMP_CODE);
// tcpSyn/Fin/Rst/Psh/Ack/UrgTotalCount (218-223): Open vSwitch sends these instead of
// tcpControlBits; a flag is set when its count is not zero (TCP_FLAG_BITS below).
for (let id = 218; id <= 223; id++) rule(id, ACTION_TCP_FLAG_COUNT);
rule(192, ACTION_TTL); // ipTTL
rule(54, ACTION_FRAGMENT_ID);
rule(88, ACTION_FRAGMENT_OFFSET);
rule(156, ACTION_START_NTP_NS, ROLE_START, 0);
rule(154, ACTION_START_NTP_US, ROLE_START, 1);
rule(152, ACTION_START_MS, ROLE_START, 2);
rule(150, ACTION_START_SECONDS, ROLE_START, 3);
rule(158, ACTION_START_DELTA_US, ROLE_START, 4);
rule(22, ACTION_START_UPTIME, ROLE_START, 5); // flowStartSysUpTime (v9 FIRST_SWITCHED)
rule(157, ACTION_END_NTP_NS, ROLE_END, 0);
rule(155, ACTION_END_NTP_US, ROLE_END, 1);
rule(153, ACTION_END_MS, ROLE_END, 2);
rule(151, ACTION_END_SECONDS, ROLE_END, 3);
rule(159, ACTION_END_DELTA_US, ROLE_END, 4);
rule(21, ACTION_END_UPTIME, ROLE_END, 5); // flowEndSysUpTime (v9 LAST_SWITCHED)
rule(160, ACTION_SYSTEM_INIT_MS);
rule(34, ACTION_SAMPLING_INTERVAL);
rule(50, ACTION_SAMPLER_RANDOM_INTERVAL);
rule(305, ACTION_SAMPLING_PACKET_INTERVAL);
rule(306, ACTION_SAMPLING_PACKET_SPACE);
rule(311, ACTION_SAMPLING_PROBABILITY);
rule(309, ACTION_SAMPLING_SIZE);
rule(310, ACTION_SAMPLING_POPULATION);
rule(48, ACTION_SAMPLER_ID, ROLE_SAMPLER, 0); // samplerId (v9 FLOW_SAMPLER_ID)
rule(302, ACTION_SAMPLER_ID, ROLE_SAMPLER, 1); // selectorId
rule(61, ACTION_FLOW_DIRECTION);
rule(138, ACTION_OBSERVATION_POINT);
rule(136, ACTION_FLOW_END_REASON);
rule(82, ACTION_IN_IF_NAME); // interfaceName: egress when it follows egressInterface (see compile)
rule(351, ACTION_L2_SEGMENT);
rule(144, ACTION_EXPORTING_PROCESS);
rule(166, ACTION_NOT_SENT_FLOWS);
rule(167, ACTION_NOT_SENT_PACKETS);
rule(168, ACTION_NOT_SENT_OCTETS);
rule(41, ACTION_EXPORTED_MESSAGES);
rule(42, ACTION_EXPORTED_FLOWS);
rule(40, ACTION_EXPORTED_OCTETS);
// VMware (PEN 6876): Open vSwitch tunnel elements 891-897 and vDS tenant (inner flow) elements.
rule(891, ACTION_TUNNEL_TYPE, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(892, ACTION_TUNNEL_KEY, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(893, ACTION_TUNNEL_SRC_V4, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(894, ACTION_TUNNEL_DST_V4, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(895, ACTION_TUNNEL_PROTO, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(896, ACTION_TUNNEL_SRC_PORT, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(897, ACTION_TUNNEL_DST_PORT, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(880, ACTION_INNER_PROTO, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(881, ACTION_INNER_SRC_V4, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(882, ACTION_INNER_DST_V4, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(883, ACTION_INNER_SRC_V6, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(884, ACTION_INNER_DST_V6, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(886, ACTION_INNER_SRC_PORT, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);
rule(887, ACTION_INNER_DST_PORT, ROLE_NONE, 0, ACTION_SKIP, PEN_VMWARE);

function isZeroAddress(text: string): boolean {
  return text === '' || text === '0.0.0.0' || text === '::';
}

/** TCP flag bit of tcpSynTotalCount .. tcpUrgTotalCount (ids 218-223), in id order. */
const TCP_FLAG_BITS = [0x02, 0x01, 0x04, 0x08, 0x10, 0x20];

/** The largest variable-length value we read into a number (tunnelKey of up to 64 bits). */
const MAX_KEY_OCTETS = 8;

/**
 * True when `length` octets can carry the element's type: its size, a reduced size (RFC 7011
 * section 6.2), or variable for octetArray / string. Integers take any 1-8 octets: NetFlow v9
 * exporters send some wider than their IANA type (samplerId in 2 or 4 octets).
 */
function lengthFits(enterprise: number, id: number, length: number): boolean {
  const ie = informationElement(id, enterprise);
  if (!ie) return false;
  const size = typeSize(ie.type);
  if (size === 0) return length !== 0;
  if (length === size) return true;
  if (ie.type.startsWith('unsigned') || ie.type.startsWith('signed')) return length >= 1 && length <= 8;
  return ie.type === 'float64' && length === 4;
}

/**
 * Compile the action of every field of a template. `scopeFields` is the number of leading
 * scope fields; in NetFlow v9 options templates their ids are scope types, not elements.
 * Returns the actions and how many fields were ignored for a length that misfits their type.
 */
export function compileActions(
  version: number,
  ids: Uint16Array,
  enterprises: Uint32Array,
  lengths: Uint16Array,
  scopeFields: number,
): { actions: Uint8Array; ignored: number; runningTotals: number } {
  const n = ids.length;
  const actions = new Uint8Array(n);
  const ranks = new Int32Array(n).fill(-1);
  const best = new Int32Array(ROLE_COUNT).fill(0x7fffffff);
  let ignored = 0;
  for (let i = 0; i < n; i++) {
    if (version === VERSION_NETFLOW_V9 && i < scopeFields) continue;
    const r = RULES.get(key(enterprises[i], ids[i]));
    if (!r) continue;
    if (!lengthFits(enterprises[i], ids[i], lengths[i]) || (r.action === ACTION_TUNNEL_KEY && lengths[i] > MAX_KEY_OCTETS && lengths[i] !== VARIABLE_LENGTH)) {
      ignored++;
      continue;
    }
    ranks[i] = r.rank;
    if (r.role !== ROLE_NONE && r.rank < best[r.role]) best[r.role] = r.rank;
  }
  // A header element that comes again describes an encapsulated (inner) header, as IOS-XR
  // SRv6 templates send it; a second address of either family fills the source / destination
  // when the first was zero (templates with both IPv4 and IPv6 fields), else the inner one.
  // Other repeated elements: the first one counts. interfaceName: see ACTION_OUT_IF_NAME.
  const seen = new Set<number>();
  let srcAddress = false;
  let dstAddress = false;
  let sawEgress = false;
  for (let i = 0; i < n; i++) {
    if (enterprises[i] === 0 && (ids[i] === 14 || ids[i] === 253)) sawEgress = true;
    if (ranks[i] < 0) continue;
    const k = key(enterprises[i], ids[i]);
    const r = RULES.get(k) as Rule;
    let action = r.role === ROLE_NONE || best[r.role] === ranks[i] ? r.action : r.otherwise;
    if (action === ACTION_IN_IF_NAME) {
      if (sawEgress) action = ACTION_OUT_IF_NAME;
    } else if (action === ACTION_SRC_V4 || action === ACTION_SRC_V6) {
      if (srcAddress) action = action === ACTION_SRC_V4 ? ACTION_SRC_V4_ALT : ACTION_SRC_V6_ALT;
      srcAddress = true;
    } else if (action === ACTION_DST_V4 || action === ACTION_DST_V6) {
      if (dstAddress) action = action === ACTION_DST_V4 ? ACTION_DST_V4_ALT : ACTION_DST_V6_ALT;
      dstAddress = true;
    } else if (seen.has(k)) {
      action = action === ACTION_PROTO ? ACTION_INNER_PROTO : action === ACTION_SRC_PORT ? ACTION_INNER_SRC_PORT : action === ACTION_DST_PORT ? ACTION_INNER_DST_PORT : ACTION_SKIP;
    }
    seen.add(k);
    actions[i] = action;
  }
  // octetTotalCount / packetTotalCount won: no delta element of that role in the template.
  const runningTotals = (best[ROLE_BYTES] === TOTAL_BYTES_RANK ? TOTAL_BYTES : 0) | (best[ROLE_PACKETS] === TOTAL_PACKETS_RANK ? TOTAL_PACKETS : 0);
  return { actions, ignored, runningTotals };
}

/** Per-record values that are settled once the whole record is read (times, sampling). */
export class RecordScratch {
  startKind = 0;
  startA = 0;
  startB = 0;
  endKind = 0;
  endA = 0;
  endB = 0;
  samplingInterval = 0;
  samplerRandomInterval = 0;
  packetInterval = 0;
  packetSpace = 0;
  probability = 0;
  samplingSize = 0;
  samplingPopulation = 0;
  /** An ICMP type / code element was in the record (then the port convention does not apply). */
  icmp = false;

  reset(): void {
    this.icmp = false;
    this.startKind = 0;
    this.endKind = 0;
    this.samplingInterval = 0;
    this.samplerRandomInterval = 0;
    this.packetInterval = 0;
    this.packetSpace = 0;
    this.probability = 0;
    this.samplingSize = 0;
    this.samplingPopulation = 0;
  }
}

// Time kinds in the scratch (A, B = what the kind needs).
const TIME_SECONDS = 1; // A = seconds since the epoch
const TIME_MS = 2; // A = ms since the epoch
const TIME_NTP_US = 3; // A = NTP seconds, B = fraction (microsecond precision)
const TIME_NTP_NS = 4; // A = NTP seconds, B = fraction
const TIME_DELTA_US = 5; // A = µs before the export time
const TIME_UPTIME = 6; // A = ms since the exporter booted

function float(buf: Uint8Array, off: number, len: number): number {
  const view = new DataView(buf.buffer, buf.byteOffset + off, len);
  return len === 4 ? view.getFloat32(0) : view.getFloat64(0);
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });
const names = new BytesTextCache(4096);

/** A string element's text, up to its first NUL (fixed-size v9 strings are NUL-padded). */
function buildText(buf: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && buf[end] !== 0) end++;
  return textDecoder.decode(buf.subarray(off, end));
}

/**
 * Apply one record of `template` at `off` (inside `[off, end)`): fill `rec` and `info`, leave
 * times and sampling in `scratch`. Returns the offset after the record, or -1 when a field
 * runs past `end` (the caller decides whether that is padding or a broken record).
 */
export function readRecord(
  ids: Uint16Array,
  lengths: Uint16Array,
  actions: Uint8Array,
  variable: boolean,
  buf: Uint8Array,
  off: number,
  end: number,
  rec: FlowRecord,
  info: RecordInfo,
  scratch: RecordScratch,
): number {
  const n = actions.length;
  for (let i = 0; i < n; i++) {
    let len = lengths[i];
    if (variable && len === VARIABLE_LENGTH) {
      // RFC 7011 section 7: one length octet, or 255 and a two-octet length.
      if (off >= end) return -1;
      len = buf[off++];
      if (len === 255) {
        if (end - off < 2) return -1;
        len = (buf[off] << 8) | buf[off + 1];
        off += 2;
      }
    }
    if (end - off < len) return -1;
    switch (actions[i]) {
      case ACTION_SKIP:
        break;
      case ACTION_BYTES:
        rec.bytes = uint(buf, off, len);
        break;
      case ACTION_PACKETS:
        rec.packets = uint(buf, off, len);
        break;
      case ACTION_PROTO:
        rec.proto = uint(buf, off, len);
        break;
      case ACTION_TOS:
        rec.ip_tos = uint(buf, off, len);
        break;
      case ACTION_TCP_FLAGS:
        rec.tcp_flags = uint(buf, off, len);
        break;
      case ACTION_TCP_FLAG_COUNT:
        if (uint(buf, off, len) !== 0) rec.tcp_flags |= TCP_FLAG_BITS[ids[i] - 218];
        break;
      case ACTION_SRC_PORT:
        rec.src_port = uint(buf, off, len);
        break;
      case ACTION_DST_PORT:
        rec.dst_port = uint(buf, off, len);
        break;
      case ACTION_SRC_V4:
        rec.src_addr = formatIpv4(buf, off);
        break;
      case ACTION_DST_V4:
        rec.dst_addr = formatIpv4(buf, off);
        break;
      case ACTION_SRC_V6:
        rec.src_addr = formatIpv6(buf, off);
        break;
      case ACTION_DST_V6:
        rec.dst_addr = formatIpv6(buf, off);
        break;
      case ACTION_IN_IF:
        rec.in_if = uint(buf, off, len);
        break;
      case ACTION_OUT_IF:
        rec.out_if = uint(buf, off, len);
        break;
      case ACTION_SRC_V4_ALT:
        if (!allZero(buf, off, off + 4)) {
          if (isZeroAddress(rec.src_addr)) rec.src_addr = formatIpv4(buf, off);
          else rec.inner_src_addr = formatIpv4(buf, off);
        }
        break;
      case ACTION_DST_V4_ALT:
        if (!allZero(buf, off, off + 4)) {
          if (isZeroAddress(rec.dst_addr)) rec.dst_addr = formatIpv4(buf, off);
          else rec.inner_dst_addr = formatIpv4(buf, off);
        }
        break;
      case ACTION_SRC_V6_ALT:
        if (!allZero(buf, off, off + 16)) {
          if (isZeroAddress(rec.src_addr)) rec.src_addr = formatIpv6(buf, off);
          else rec.inner_src_addr = formatIpv6(buf, off);
        }
        break;
      case ACTION_DST_V6_ALT:
        if (!allZero(buf, off, off + 16)) {
          if (isZeroAddress(rec.dst_addr)) rec.dst_addr = formatIpv6(buf, off);
          else rec.inner_dst_addr = formatIpv6(buf, off);
        }
        break;
      case ACTION_SRC_MAC:
        rec.src_mac = formatMac(buf, off);
        break;
      case ACTION_DST_MAC:
        rec.dst_mac = formatMac(buf, off);
        break;
      case ACTION_VLAN:
        rec.vlan_id = uint(buf, off, len);
        break;
      case ACTION_ETYPE:
        rec.etype = uint(buf, off, len);
        break;
      case ACTION_IP_VERSION: {
        const v = uint(buf, off, len);
        if (rec.etype === 0) rec.etype = v === 4 ? 0x0800 : v === 6 ? 0x86dd : 0;
        break;
      }
      case ACTION_ICMP_TYPE_CODE: {
        const v = uint(buf, off, len);
        scratch.icmp = true;
        rec.icmp_type = v >>> 8;
        rec.icmp_code = v & 0xff;
        break;
      }
      case ACTION_ICMP_TYPE:
        rec.icmp_type = uint(buf, off, len);
        scratch.icmp = true;
        break;
      case ACTION_ICMP_CODE:
        rec.icmp_code = uint(buf, off, len);
        scratch.icmp = true;
        break;
      case ACTION_TTL:
        rec.ip_ttl = uint(buf, off, len);
        break;
      case ACTION_FRAGMENT_ID:
        rec.fragment_id = uint(buf, off, len);
        break;
      case ACTION_FRAGMENT_OFFSET:
        rec.fragment_offset = uint(buf, off, len);
        break;
      case ACTION_START_SECONDS:
        scratch.startKind = TIME_SECONDS;
        scratch.startA = uint(buf, off, len);
        break;
      case ACTION_END_SECONDS:
        scratch.endKind = TIME_SECONDS;
        scratch.endA = uint(buf, off, len);
        break;
      case ACTION_START_MS:
        scratch.startKind = TIME_MS;
        scratch.startA = uint(buf, off, len);
        break;
      case ACTION_END_MS:
        scratch.endKind = TIME_MS;
        scratch.endA = uint(buf, off, len);
        break;
      case ACTION_START_NTP_US:
      case ACTION_START_NTP_NS:
        scratch.startKind = actions[i] === ACTION_START_NTP_US ? TIME_NTP_US : TIME_NTP_NS;
        scratch.startA = uint(buf, off, 4);
        scratch.startB = uint(buf, off + 4, 4);
        break;
      case ACTION_END_NTP_US:
      case ACTION_END_NTP_NS:
        scratch.endKind = actions[i] === ACTION_END_NTP_US ? TIME_NTP_US : TIME_NTP_NS;
        scratch.endA = uint(buf, off, 4);
        scratch.endB = uint(buf, off + 4, 4);
        break;
      case ACTION_START_DELTA_US:
        scratch.startKind = TIME_DELTA_US;
        scratch.startA = uint(buf, off, len);
        break;
      case ACTION_END_DELTA_US:
        scratch.endKind = TIME_DELTA_US;
        scratch.endA = uint(buf, off, len);
        break;
      case ACTION_START_UPTIME:
        scratch.startKind = TIME_UPTIME;
        scratch.startA = uint(buf, off, len);
        break;
      case ACTION_END_UPTIME:
        scratch.endKind = TIME_UPTIME;
        scratch.endA = uint(buf, off, len);
        break;
      case ACTION_SYSTEM_INIT_MS:
        info.systemInitTimeMs = uint(buf, off, len);
        break;
      case ACTION_SAMPLING_INTERVAL:
        scratch.samplingInterval = uint(buf, off, len);
        break;
      case ACTION_SAMPLER_RANDOM_INTERVAL:
        scratch.samplerRandomInterval = uint(buf, off, len);
        break;
      case ACTION_SAMPLING_PACKET_INTERVAL:
        scratch.packetInterval = uint(buf, off, len);
        break;
      case ACTION_SAMPLING_PACKET_SPACE:
        scratch.packetSpace = uint(buf, off, len);
        break;
      case ACTION_SAMPLING_PROBABILITY:
        scratch.probability = float(buf, off, len);
        break;
      case ACTION_SAMPLING_SIZE:
        scratch.samplingSize = uint(buf, off, len);
        break;
      case ACTION_SAMPLING_POPULATION:
        scratch.samplingPopulation = uint(buf, off, len);
        break;
      case ACTION_SAMPLER_ID:
        info.samplerId = uint(buf, off, len);
        break;
      case ACTION_FLOW_DIRECTION:
        info.flowDirection = uint(buf, off, len);
        break;
      case ACTION_OBSERVATION_POINT:
        info.observationPointId = uint(buf, off, len);
        break;
      case ACTION_FLOW_END_REASON:
        info.flowEndReason = uint(buf, off, len);
        break;
      case ACTION_IN_IF_NAME:
        info.ingressInterfaceName = len === 0 ? '' : names.get(buf, off, len, buildText);
        break;
      case ACTION_OUT_IF_NAME:
        info.egressInterfaceName = len === 0 ? '' : names.get(buf, off, len, buildText);
        break;
      case ACTION_L2_BYTES:
        info.layer2Bytes = uint(buf, off, len);
        break;
      case ACTION_TUNNEL_TYPE:
        info.tunnelType = uint(buf, off, len);
        break;
      case ACTION_TUNNEL_KEY:
        // OVS: 3 octets for a VXLAN / Geneve VNI, 4 for a GRE key (ofproto-dpif-ipfix.c).
        if (len > 0 && len <= MAX_KEY_OCTETS) rec.tunnel_id = uint(buf, off, len);
        break;
      case ACTION_TUNNEL_SRC_V4:
        rec.tunnel_src_addr = formatIpv4(buf, off);
        break;
      case ACTION_TUNNEL_DST_V4:
        rec.tunnel_dst_addr = formatIpv4(buf, off);
        break;
      case ACTION_TUNNEL_PROTO:
        info.tunnelProtocol = uint(buf, off, len);
        break;
      case ACTION_TUNNEL_SRC_PORT:
        info.tunnelSrcPort = uint(buf, off, len);
        break;
      case ACTION_TUNNEL_DST_PORT:
        info.tunnelDstPort = uint(buf, off, len);
        break;
      case ACTION_L2_SEGMENT:
        // layer2SegmentId: the top octet is the tunnel type, the low 32 bits the VNI / key
        // (comment on layer2SegmentId in OVS ofproto-dpif-ipfix.c).
        if (len === 8) {
          if (info.tunnelType < 0) info.tunnelType = buf[off];
          if (rec.tunnel_id === 0) rec.tunnel_id = uint(buf, off + 4, 4);
        } else if (rec.tunnel_id === 0) {
          rec.tunnel_id = uint(buf, off, len) % 4294967296;
        }
        break;
      case ACTION_INNER_PROTO:
        rec.inner_proto = uint(buf, off, len);
        break;
      case ACTION_INNER_SRC_V4:
        rec.inner_src_addr = formatIpv4(buf, off);
        break;
      case ACTION_INNER_DST_V4:
        rec.inner_dst_addr = formatIpv4(buf, off);
        break;
      case ACTION_INNER_SRC_V6:
        rec.inner_src_addr = formatIpv6(buf, off);
        break;
      case ACTION_INNER_DST_V6:
        rec.inner_dst_addr = formatIpv6(buf, off);
        break;
      case ACTION_INNER_SRC_PORT:
        rec.inner_src_port = uint(buf, off, len);
        break;
      case ACTION_INNER_DST_PORT:
        rec.inner_dst_port = uint(buf, off, len);
        break;
      case ACTION_EXPORTING_PROCESS:
        info.exportingProcessId = uint(buf, off, len);
        break;
      case ACTION_NOT_SENT_FLOWS:
        info.notSentFlows = uint(buf, off, len);
        break;
      case ACTION_NOT_SENT_PACKETS:
        info.notSentPackets = uint(buf, off, len);
        break;
      case ACTION_NOT_SENT_OCTETS:
        info.notSentOctets = uint(buf, off, len);
        break;
      case ACTION_EXPORTED_MESSAGES:
        info.exportedMessages = uint(buf, off, len);
        break;
      case ACTION_EXPORTED_FLOWS:
        info.exportedFlows = uint(buf, off, len);
        break;
      case ACTION_EXPORTED_OCTETS:
        info.exportedOctets = uint(buf, off, len);
        break;
      default:
        break;
    }
    off += len;
  }
  return off;
}

/** Flow start / end as sysUptime milliseconds (NetFlow v5 first / last). */
export function setUptimeTimes(s: RecordScratch, startMs: number, endMs: number): void {
  s.startKind = TIME_UPTIME;
  s.startA = startMs;
  s.endKind = TIME_UPTIME;
  s.endA = endMs;
}

/** The sampling rate a record (or options record) states, 0 when it states none. */
export function statedSamplingRate(s: RecordScratch): number {
  if (s.samplingInterval > 0) return s.samplingInterval;
  if (s.samplerRandomInterval > 0) return s.samplerRandomInterval;
  // RFC 5475 random n-out-of-N (IOS-XR sends samplingSize n and samplingPopulation N).
  if (s.samplingSize > 0 && s.samplingPopulation > 0) return Math.round(s.samplingPopulation / s.samplingSize);
  // RFC 5475 systematic count-based: `interval` packets selected out of every interval + space.
  if (s.packetInterval > 0 && s.packetSpace > 0) return Math.round((s.packetInterval + s.packetSpace) / s.packetInterval);
  if (s.probability > 0 && s.probability <= 1) return Math.round(1 / s.probability);
  return 0;
}

/** Seconds between the NTP epoch (1900) and the Unix epoch (RFC 7011 section 6.1.9). */
const NTP_UNIX_OFFSET = 2208988800;

/**
 * A flow time in ns since the epoch (0n when it cannot be placed). `uptimeBaseMs` is the epoch
 * time of uptime 0 (v5/v9: export time - sysUptime; IPFIX: systemInitTimeMilliseconds), -1 if unknown.
 */
function timeNs(kind: number, a: number, b: number, header: MessageHeader, uptimeBaseMs: number): bigint {
  switch (kind) {
    case TIME_SECONDS:
      return BigInt(a) * 1_000_000_000n;
    case TIME_MS:
      return BigInt(a) * 1_000_000n;
    case TIME_NTP_US:
      // dateTimeMicroseconds: the 11 low bits of the fraction are to be ignored (RFC 7011 6.1.9).
      return BigInt(a - NTP_UNIX_OFFSET) * 1_000_000_000n + BigInt(Math.floor((((b & 0xfffff800) >>> 0) * 1e6) / 4294967296)) * 1000n;
    case TIME_NTP_NS:
      return BigInt(a - NTP_UNIX_OFFSET) * 1_000_000_000n + BigInt(Math.floor((b * 1e9) / 4294967296));
    case TIME_DELTA_US:
      return BigInt(header.exportTimeSeconds * 1_000_000 - a) * 1000n;
    case TIME_UPTIME:
      return uptimeBaseMs < 0 ? 0n : BigInt(uptimeBaseMs + a) * 1_000_000n + BigInt(header.exportTimeNanos);
    default:
      return 0n;
  }
}

/**
 * Settle what needs the whole record: flow times, the ethertype when no element carried it
 * (from the address family), and ICMP type/code from the destination port (the NetFlow
 * convention, type * 256 + code, when no ICMP element is sent).
 */
export function finishRecord(rec: FlowRecord, scratch: RecordScratch, header: MessageHeader, uptimeBaseMs: number): void {
  if (scratch.startKind !== 0) rec.time_flow_start_ns = timeNs(scratch.startKind, scratch.startA, scratch.startB, header, uptimeBaseMs);
  if (scratch.endKind !== 0) {
    // Single-packet flows end when they start: spare the second bigint.
    const same = scratch.endKind === scratch.startKind && scratch.endA === scratch.startA && scratch.endB === scratch.startB;
    rec.time_flow_end_ns = same ? rec.time_flow_start_ns : timeNs(scratch.endKind, scratch.endA, scratch.endB, header, uptimeBaseMs);
  }
  if (rec.etype === 0 && rec.src_addr !== '') rec.etype = rec.src_addr.includes(':') ? 0x86dd : 0x0800;
  if ((rec.proto === 1 || rec.proto === 58) && !scratch.icmp && rec.dst_port !== 0) {
    rec.icmp_type = rec.dst_port >>> 8;
    rec.icmp_code = rec.dst_port & 0xff;
  }
}

