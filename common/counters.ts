/**
 * One sFlow counters sample (sFlow v5 counters_sample / expanded_counters_sample) as a record:
 * `type` SFLOW_5_COUNTERS, the sample's source, and the counter structures it carried. Like
 * FlowRecord, decoders fill one caller-owned instance in place and hand it on; every field is
 * assigned in the constructor so V8 keeps one shape. Each group of fields has a `has_…` flag
 * saying whether its structure was in the sample; absent groups stay 0 / ''.
 *
 * 64-bit counters are JavaScript numbers: exact up to 2^53 (8 PiB of octets), which no
 * interface counter reaches between agent restarts.
 */
import { compileReset } from './compile-reset.js';
export class CounterRecord {
  type = 'SFLOW_5_COUNTERS' as const;
  time_received_ns = 0n;
  /** Agent (sampler) address, canonical text. */
  sampler_address = '';
  sub_agent_id = 0;
  /** Datagram sequence number (as FlowRecord.sequence_num). */
  sequence_num = 0;
  /** Agent uptime in ms when the datagram was sent: counters reset when it goes backwards. */
  agent_uptime_ms = 0;
  /** Counters-sample sequence number, per source: gaps are lost samples. */
  sample_sequence_num = 0;
  /** Data source: type 0 = ifIndex, 1 = smonVlanDataSource, 2 = entPhysicalEntry (OVS bridge). */
  source_id_type = 0;
  source_id = 0;

  /** Generic interface counters (counter record 1, RFC 2233 names). */
  has_generic = false;
  if_index = 0;
  if_type = 0;
  if_speed = 0;
  /** 0 unknown, 1 full-duplex, 2 half-duplex, 3 in, 4 out. */
  if_direction = 0;
  if_admin_up = false;
  if_oper_up = false;
  if_in_octets = 0;
  if_in_ucast_pkts = 0;
  if_in_multicast_pkts = 0;
  if_in_broadcast_pkts = 0;
  if_in_discards = 0;
  if_in_errors = 0;
  if_in_unknown_protos = 0;
  if_out_octets = 0;
  if_out_ucast_pkts = 0;
  if_out_multicast_pkts = 0;
  if_out_broadcast_pkts = 0;
  if_out_discards = 0;
  if_out_errors = 0;
  if_promiscuous_mode = 0;

  /** Ethernet interface counters (counter record 2, RFC 2358 dot3Stats). */
  has_ethernet = false;
  dot3_stats_alignment_errors = 0;
  dot3_stats_fcs_errors = 0;
  dot3_stats_single_collision_frames = 0;
  dot3_stats_multiple_collision_frames = 0;
  dot3_stats_sqe_test_errors = 0;
  dot3_stats_deferred_transmissions = 0;
  dot3_stats_late_collisions = 0;
  dot3_stats_excessive_collisions = 0;
  dot3_stats_internal_mac_transmit_errors = 0;
  dot3_stats_carrier_sense_errors = 0;
  dot3_stats_frame_too_longs = 0;
  dot3_stats_internal_mac_receive_errors = 0;
  dot3_stats_symbol_errors = 0;

  /** VLAN counters (counter record 5). */
  has_vlan = false;
  vlan_id = 0;
  vlan_octets = 0;
  vlan_ucast_pkts = 0;
  vlan_multicast_pkts = 0;
  vlan_broadcast_pkts = 0;
  vlan_discards = 0;

  /** Processor (counter record 1001); CPU in hundredths of a percent, memory in bytes. */
  has_processor = false;
  cpu_5s_percent_x100 = 0;
  cpu_1m_percent_x100 = 0;
  cpu_5m_percent_x100 = 0;
  total_memory_bytes = 0;
  free_memory_bytes = 0;

  /** OpenFlow port (counter record 1004, sflow.org sflow_openflow.txt): OVS reports it per port. */
  has_openflow_port = false;
  /** Datapath id as 16 hex digits, as OVSDB Bridge.datapath_id shows it. */
  of_datapath_id = '';
  of_port = 0;

  /** Port name (counter record 1005): the OVS interface name. */
  has_port_name = false;
  port_name = '';

  /** LAG / LACP (counter record 7, sflow.org sflow_lag.txt; OVS bonds). */
  has_lacp = false;
  lacp_actor_system_id = '';
  lacp_partner_system_id = '';
  lacp_attached_agg_id = 0;
  lacp_actor_admin_state = 0;
  lacp_actor_oper_state = 0;
  lacp_partner_admin_state = 0;
  lacp_partner_oper_state = 0;
  lacp_pdus_rx = 0;
  lacp_marker_pdus_rx = 0;
  lacp_marker_response_pdus_rx = 0;
  lacp_unknown_rx = 0;
  lacp_illegal_rx = 0;
  lacp_pdus_tx = 0;
  lacp_marker_pdus_tx = 0;
  lacp_marker_response_pdus_tx = 0;

  /** Counter records of formats this model does not carry (skipped by their length). */
  unknown_records = 0;

  /** Back to the freshly constructed state, for reuse of one instance across samples. */
  reset(): void {
    resetCounters(this);
  }
}

const resetCounters = compileReset(new CounterRecord());

/** Field groups by their presence flag, for output that leaves absent structures out. */
const GROUPS: ReadonlyArray<readonly [keyof CounterRecord, readonly (keyof CounterRecord)[]]> = (() => {
  const keys = Object.keys(new CounterRecord()) as (keyof CounterRecord)[];
  const groups: [keyof CounterRecord, (keyof CounterRecord)[]][] = [];
  let current: (keyof CounterRecord)[] | null = null;
  for (const key of keys) {
    if (key.startsWith('has_')) {
      current = [];
      groups.push([key, current]);
    } else if (key === 'unknown_records') {
      current = null;
    } else if (current) {
      current.push(key);
    }
  }
  return groups;
})();
const COMMON_KEYS = (Object.keys(new CounterRecord()) as (keyof CounterRecord)[]).filter(
  (key) => !GROUPS.some(([flag, fields]) => flag === key || fields.includes(key)),
);

/**
 * The record as a plain object with only the structures the sample carried (what `decode`
 * prints): the common fields, then each present group's fields without its has_ flag.
 */
export function counterRecordToObject(rec: CounterRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of COMMON_KEYS) out[key] = rec[key];
  for (const [flag, fields] of GROUPS) {
    if (!rec[flag]) continue;
    for (const key of fields) out[key] = rec[key];
  }
  return out;
}

// JSON.rawJSON (V8, Node >= 21) writes a bigint as an exact JSON number; lib.es2024 lacks its type.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** One counters record as a JSON line (present structures only; bigints as exact numbers). */
export function counterRecordToJson(rec: CounterRecord): string {
  return JSON.stringify(counterRecordToObject(rec), (_key, value: unknown) =>
    typeof value === 'bigint' ? rawJSON(value.toString()) : value,
  );
}
