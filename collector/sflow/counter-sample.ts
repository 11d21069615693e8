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
import { u32, u64 } from './xdr.js';

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

/**
 * One counter record of `length` bytes at `pos`; false when its format is not one we decode.
 * One function per format: each stays small enough for V8 to inline all of its field reads
 * (a read left as a call returns values above 2^31 as heap numbers, allocated per field).
 */
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

/** The generic interface counters (format 1). */
function genericInterface(buf: Uint8Array, pos: number, rec: CounterRecord): void {
  rec.has_generic = true;
  rec.if_index = u32(buf, pos);
  rec.if_type = u32(buf, pos + 4);
  rec.if_speed = u64(buf, pos + 8);
  rec.if_direction = u32(buf, pos + 16);
  const status = u32(buf, pos + 20);
  rec.if_admin_up = (status & 1) !== 0;
  rec.if_oper_up = (status & 2) !== 0;
  rec.if_in_octets = u64(buf, pos + 24);
  rec.if_in_ucast_pkts = u32(buf, pos + 32);
  rec.if_in_multicast_pkts = u32(buf, pos + 36);
  rec.if_in_broadcast_pkts = u32(buf, pos + 40);
  rec.if_in_discards = u32(buf, pos + 44);
  rec.if_in_errors = u32(buf, pos + 48);
  rec.if_in_unknown_protos = u32(buf, pos + 52);
  rec.if_out_octets = u64(buf, pos + 56);
  rec.if_out_ucast_pkts = u32(buf, pos + 64);
  rec.if_out_multicast_pkts = u32(buf, pos + 68);
  rec.if_out_broadcast_pkts = u32(buf, pos + 72);
  rec.if_out_discards = u32(buf, pos + 76);
  rec.if_out_errors = u32(buf, pos + 80);
  rec.if_promiscuous_mode = u32(buf, pos + 84);
}

/** The Ethernet interface counters (format 2). */
function ethernetInterface(buf: Uint8Array, pos: number, rec: CounterRecord): void {
  rec.has_ethernet = true;
  rec.dot3_stats_alignment_errors = u32(buf, pos);
  rec.dot3_stats_fcs_errors = u32(buf, pos + 4);
  rec.dot3_stats_single_collision_frames = u32(buf, pos + 8);
  rec.dot3_stats_multiple_collision_frames = u32(buf, pos + 12);
  rec.dot3_stats_sqe_test_errors = u32(buf, pos + 16);
  rec.dot3_stats_deferred_transmissions = u32(buf, pos + 20);
  rec.dot3_stats_late_collisions = u32(buf, pos + 24);
  rec.dot3_stats_excessive_collisions = u32(buf, pos + 28);
  rec.dot3_stats_internal_mac_transmit_errors = u32(buf, pos + 32);
  rec.dot3_stats_carrier_sense_errors = u32(buf, pos + 36);
  rec.dot3_stats_frame_too_longs = u32(buf, pos + 40);
  rec.dot3_stats_internal_mac_receive_errors = u32(buf, pos + 44);
  rec.dot3_stats_symbol_errors = u32(buf, pos + 48);
}

/** The VLAN counters (format 5). */
function vlan(buf: Uint8Array, pos: number, rec: CounterRecord): void {
  rec.has_vlan = true;
  rec.vlan_id = u32(buf, pos);
  rec.vlan_octets = u64(buf, pos + 4);
  rec.vlan_ucast_pkts = u32(buf, pos + 12);
  rec.vlan_multicast_pkts = u32(buf, pos + 16);
  rec.vlan_broadcast_pkts = u32(buf, pos + 20);
  rec.vlan_discards = u32(buf, pos + 24);
}

/** The LAG / LACP counters (format 7, sflow_lag.txt). */
function lag(buf: Uint8Array, pos: number, rec: CounterRecord): void {
  rec.has_lacp = true;
  // MACs are XDR opaque[6], padded to 8 bytes.
  rec.lacp_actor_system_id = formatMac(buf, pos);
  rec.lacp_partner_system_id = formatMac(buf, pos + 8);
  rec.lacp_attached_agg_id = u32(buf, pos + 16);
  rec.lacp_actor_admin_state = buf[pos + 20];
  rec.lacp_actor_oper_state = buf[pos + 21];
  rec.lacp_partner_admin_state = buf[pos + 22];
  rec.lacp_partner_oper_state = buf[pos + 23];
  rec.lacp_pdus_rx = u32(buf, pos + 24);
  rec.lacp_marker_pdus_rx = u32(buf, pos + 28);
  rec.lacp_marker_response_pdus_rx = u32(buf, pos + 32);
  rec.lacp_unknown_rx = u32(buf, pos + 36);
  rec.lacp_illegal_rx = u32(buf, pos + 40);
  rec.lacp_pdus_tx = u32(buf, pos + 44);
  rec.lacp_marker_pdus_tx = u32(buf, pos + 48);
  rec.lacp_marker_response_pdus_tx = u32(buf, pos + 52);
}

/** The processor counters (format 1001). */
function processor(buf: Uint8Array, pos: number, rec: CounterRecord): void {
  rec.has_processor = true;
  rec.cpu_5s_percent_x100 = u32(buf, pos);
  rec.cpu_1m_percent_x100 = u32(buf, pos + 4);
  rec.cpu_5m_percent_x100 = u32(buf, pos + 8);
  rec.total_memory_bytes = u64(buf, pos + 12);
  rec.free_memory_bytes = u64(buf, pos + 20);
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
