/**
 * sFlow v5 counters_sample (2) and expanded_counters_sample (4) with the counter records
 * OVS and hsflowd send for interfaces: generic (1), Ethernet (2), VLAN (5), LAG/LACP (7,
 * sflow_lag.txt), processor (1001), OpenFlow port (1004) and port name (1005) from
 * sflow_openflow.txt. Other formats (host, app, ovs_dp_stats...) are skipped by length.
 */
import type { CounterRecord } from '../../common/counters.js';
import { BytesTextCache, formatHex64, formatMac } from '../packet/format.js';
import { SflowDecodeError } from './errors.js';
import {
  MAX_RECORDS_PER_SAMPLE,
  SAMPLE_COUNTERS,
  SAMPLE_COUNTERS_EXPANDED,
  type SflowContext,
  type SflowSink,
} from './types.js';
import { i32, u32 } from './xdr.js';

const GENERIC_INTERFACE = 1;
const ETHERNET_INTERFACE = 2;
const VLAN = 5;
const LAG = 7;
const PROCESSOR = 1001;
const OPENFLOW_PORT = 1004;
const PORT_NAME = 1005;

const GENERIC_LENGTH = 88;
const ETHERNET_LENGTH = 52;
const VLAN_LENGTH = 28;
const LAG_LENGTH = 56;
const PROCESSOR_LENGTH = 28;
const OPENFLOW_PORT_LENGTH = 12;
/** port_name is `string name<255>`. */
const MAX_PORT_NAME = 255;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeCounterSample(
  buf: Uint8Array,
  pos: number,
  end: number,
  expanded: boolean,
  ctx: SflowContext,
  sink: SflowSink,
): void {
  const s = ctx.sample;
  const h = ctx.header;
  s.reset();
  s.format = expanded ? SAMPLE_COUNTERS_EXPANDED : SAMPLE_COUNTERS;
  const fixed = expanded ? 16 : 12;
  if (end - pos < fixed) throw new SflowDecodeError('bad_length', pos, `counters sample shorter than ${fixed} bytes`);
  s.sequence = u32(buf, pos);
  if (expanded) {
    s.sourceIdType = u32(buf, pos + 4);
    s.sourceIdIndex = u32(buf, pos + 8);
  } else {
    const source = u32(buf, pos + 4);
    s.sourceIdType = source >>> 24;
    s.sourceIdIndex = source & 0xffffff;
  }
  pos += fixed - 4;
  const count = u32(buf, pos);
  pos += 4;
  if (count > MAX_RECORDS_PER_SAMPLE || count * 8 > end - pos) {
    throw new SflowDecodeError('too_many_records', pos - 4, `${count} counter records in ${end - pos} bytes`);
  }

  const rec = ctx.counters;
  rec.reset();
  rec.time_received_ns = ctx.timeReceivedNs;
  rec.sampler_address = h.agentAddress;
  rec.sub_agent_id = h.subAgentId;
  rec.sequence_num = h.sequence;
  rec.agent_uptime_ms = h.uptimeMs;
  rec.sample_sequence_num = s.sequence;
  rec.source_id_type = s.sourceIdType;
  rec.source_id = s.sourceIdIndex;

  for (let i = 0; i < count; i++) {
    if (end - pos < 8) throw new SflowDecodeError('bad_length', pos, 'counter record header cut');
    const tag = u32(buf, pos);
    const length = u32(buf, pos + 4);
    pos += 8;
    if (length > end - pos) throw new SflowDecodeError('bad_length', pos - 4, `counter record of ${length} bytes in ${end - pos}`);
    s.recordTags[s.recordCount++] = tag;
    if (!decodeCounterRecord(buf, pos, length, tag, rec)) {
      rec.unknown_records++;
      s.unknownRecords++;
      h.unknownRecords++;
      sink.skipped?.('counter_record', tag >>> 12, tag & 0xfff, h);
    }
    pos += length;
  }
  h.counterSamples++;
  sink.counters(rec, s, h);
}

function need(length: number, want: number, pos: number, what: string): void {
  if (length < want) throw new SflowDecodeError('bad_record', pos, `${what} record of ${length} bytes, needs ${want}`);
}

/** One counter record of `length` bytes at `pos`; false when its format is not one we decode. */
function decodeCounterRecord(buf: Uint8Array, pos: number, length: number, tag: number, rec: CounterRecord): boolean {
  switch (tag) {
    case GENERIC_INTERFACE:
      need(length, GENERIC_LENGTH, pos, 'generic interface');
      genericInterface(buf, pos, rec);
      return true;
    case ETHERNET_INTERFACE:
      need(length, ETHERNET_LENGTH, pos, 'Ethernet interface');
      ethernetInterface(buf, pos, rec);
      return true;
    case VLAN:
      need(length, VLAN_LENGTH, pos, 'VLAN');
      vlan(buf, pos, rec);
      return true;
    case LAG:
      need(length, LAG_LENGTH, pos, 'LAG');
      lag(buf, pos, rec);
      return true;
    case PROCESSOR:
      need(length, PROCESSOR_LENGTH, pos, 'processor');
      processor(buf, pos, rec);
      return true;
    case OPENFLOW_PORT:
      need(length, OPENFLOW_PORT_LENGTH, pos, 'OpenFlow port');
      rec.has_openflow_port = true;
      rec.of_datapath_id = formatHex64(buf, pos);
      rec.of_port = u32(buf, pos + 8);
      return true;
    case PORT_NAME: {
      need(length, 4, pos, 'port name');
      const nameLength = u32(buf, pos);
      if (nameLength > MAX_PORT_NAME || nameLength > length - 4) {
        throw new SflowDecodeError('bad_record', pos, `port name of ${nameLength} bytes in ${length - 4}`);
      }
      rec.has_port_name = true;
      rec.port_name = portName(buf, pos + 4, nameLength);
      return true;
    }
    default:
      return false;
  }
}

/**
 * The words of the counter record being decoded (the longest, generic interface, has 22). The
 * record functions read their fields from here, not through u32 calls: V8 inlined those calls
 * into the counter path in some processes and not in others, and a call left as a call returns
 * each value of 2^31 or more (OVS sends 0xffffffff for every counter it does not know) as a newly
 * allocated heap number, ~1 KB per datagram (BENCHMARKS.md, sflow-ingest: the slow state). An
 * element of a typed array is read unboxed, and i32's result is a small integer, boxed by no call.
 */
const words = new Uint32Array(GENERIC_LENGTH / 4);
/** An XDR unsigned hyper is high word × 2^32 + low word (a number: exact below 2^53, see CounterRecord). */
const HIGH = 2 ** 32;

/** The `count` big-endian words at `pos`, in `words`. */
function loadWords(buf: Uint8Array, pos: number, count: number): Uint32Array {
  for (let i = 0; i < count; i++) words[i] = i32(buf, pos + 4 * i);
  return words;
}

/** The generic interface counters (format 1). */
function genericInterface(buf: Uint8Array, pos: number, rec: CounterRecord): void {
  const w = loadWords(buf, pos, GENERIC_LENGTH / 4);
  rec.has_generic = true;
  rec.if_index = w[0];
  rec.if_type = w[1];
  rec.if_speed = w[2] * HIGH + w[3];
  rec.if_direction = w[4];
  const status = w[5];
  rec.if_admin_up = (status & 1) !== 0;
  rec.if_oper_up = (status & 2) !== 0;
  rec.if_in_octets = w[6] * HIGH + w[7];
  rec.if_in_ucast_pkts = w[8];
  rec.if_in_multicast_pkts = w[9];
  rec.if_in_broadcast_pkts = w[10];
  rec.if_in_discards = w[11];
  rec.if_in_errors = w[12];
  rec.if_in_unknown_protos = w[13];
  rec.if_out_octets = w[14] * HIGH + w[15];
  rec.if_out_ucast_pkts = w[16];
  rec.if_out_multicast_pkts = w[17];
  rec.if_out_broadcast_pkts = w[18];
  rec.if_out_discards = w[19];
  rec.if_out_errors = w[20];
  rec.if_promiscuous_mode = w[21];
}

/** The Ethernet interface counters (format 2). */
function ethernetInterface(buf: Uint8Array, pos: number, rec: CounterRecord): void {
  const w = loadWords(buf, pos, ETHERNET_LENGTH / 4);
  rec.has_ethernet = true;
  rec.dot3_stats_alignment_errors = w[0];
  rec.dot3_stats_fcs_errors = w[1];
  rec.dot3_stats_single_collision_frames = w[2];
  rec.dot3_stats_multiple_collision_frames = w[3];
  rec.dot3_stats_sqe_test_errors = w[4];
  rec.dot3_stats_deferred_transmissions = w[5];
  rec.dot3_stats_late_collisions = w[6];
  rec.dot3_stats_excessive_collisions = w[7];
  rec.dot3_stats_internal_mac_transmit_errors = w[8];
  rec.dot3_stats_carrier_sense_errors = w[9];
  rec.dot3_stats_frame_too_longs = w[10];
  rec.dot3_stats_internal_mac_receive_errors = w[11];
  rec.dot3_stats_symbol_errors = w[12];
}

/** The VLAN counters (format 5). */
function vlan(buf: Uint8Array, pos: number, rec: CounterRecord): void {
  const w = loadWords(buf, pos, VLAN_LENGTH / 4);
  rec.has_vlan = true;
  rec.vlan_id = w[0];
  rec.vlan_octets = w[1] * HIGH + w[2];
  rec.vlan_ucast_pkts = w[3];
  rec.vlan_multicast_pkts = w[4];
  rec.vlan_broadcast_pkts = w[5];
  rec.vlan_discards = w[6];
}

/** The LAG / LACP counters (format 7, sflow_lag.txt). */
function lag(buf: Uint8Array, pos: number, rec: CounterRecord): void {
  const w = loadWords(buf, pos, LAG_LENGTH / 4);
  rec.has_lacp = true;
  // MACs are XDR opaque[6], padded to 8 bytes (words 0-3); word 5 is four one-byte states.
  rec.lacp_actor_system_id = formatMac(buf, pos);
  rec.lacp_partner_system_id = formatMac(buf, pos + 8);
  rec.lacp_attached_agg_id = w[4];
  rec.lacp_actor_admin_state = buf[pos + 20];
  rec.lacp_actor_oper_state = buf[pos + 21];
  rec.lacp_partner_admin_state = buf[pos + 22];
  rec.lacp_partner_oper_state = buf[pos + 23];
  rec.lacp_pdus_rx = w[6];
  rec.lacp_marker_pdus_rx = w[7];
  rec.lacp_marker_response_pdus_rx = w[8];
  rec.lacp_unknown_rx = w[9];
  rec.lacp_illegal_rx = w[10];
  rec.lacp_pdus_tx = w[11];
  rec.lacp_marker_pdus_tx = w[12];
  rec.lacp_marker_response_pdus_tx = w[13];
}

/** The processor counters (format 1001). */
function processor(buf: Uint8Array, pos: number, rec: CounterRecord): void {
  const w = loadWords(buf, pos, PROCESSOR_LENGTH / 4);
  rec.has_processor = true;
  rec.cpu_5s_percent_x100 = w[0];
  rec.cpu_1m_percent_x100 = w[1];
  rec.cpu_5m_percent_x100 = w[2];
  rec.total_memory_bytes = w[3] * HIGH + w[4];
  rec.free_memory_bytes = w[5] * HIGH + w[6];
}

/** Port names repeat in every counters sample of a port: decode each distinct name once. */
const nameCache = new BytesTextCache(4096);

function portName(buf: Uint8Array, off: number, length: number): string {
  return nameCache.get(buf, off, length, decodeName);
}

/** Interface names are UTF-8 (ASCII in practice); invalid UTF-8 is kept byte for byte. */
function decodeName(buf: Uint8Array, off: number, length: number): string {
  const bytes = buf.subarray(off, off + length);
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}
