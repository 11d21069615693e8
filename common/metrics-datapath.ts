/**
 * Catalogue entries of the OpenFlow and datapath poller (collector/datapath): per-bridge OpenFlow
 * statistics read over each bridge's management socket, and ovs-vswitchd's own view of its
 * datapaths read over unixctl (dpctl/show, upcall/show, coverage/show, memory/show,
 * dpif-netdev/pmd-stats-show), plus the poller's per-source health.
 * Polled in the background; a scrape reports the last poll.
 */
import { counter, gauge, type MetricSpec } from './metrics.js';

const TABLE: readonly string[] = Object.freeze(['bridge', 'table']);
const FLOW_GROUP: readonly string[] = Object.freeze(['bridge', 'table', 'cookie']);
const PORT: readonly string[] = Object.freeze(['bridge', 'port', 'ofport']);
const QUEUE: readonly string[] = Object.freeze(['bridge', 'port', 'queue']);
const GROUP: readonly string[] = Object.freeze(['bridge', 'group']);
const BUCKET: readonly string[] = Object.freeze(['bridge', 'group', 'bucket']);
const METER: readonly string[] = Object.freeze(['bridge', 'meter']);
const BAND: readonly string[] = Object.freeze(['bridge', 'meter', 'band', 'type']);
const DATAPATH: readonly string[] = Object.freeze(['datapath']);
const PMD: readonly string[] = Object.freeze(['thread', 'numa_id', 'core_id']);
const POLL: readonly string[] = Object.freeze(['source', 'target']);

export const DATAPATH_METRICS = Object.freeze({
  // ---- OpenFlow tables (OFPMP_TABLE); tables with no flow and no lookup are left out.
  tableActiveFlows: gauge('ovs_openflow_table_active_flows', '1', TABLE, 'Flows in the OpenFlow table (table stats active_count, as ovs-ofctl dump-tables prints "active").'),
  tableLookups: counter('ovs_openflow_table_lookups_total', '{packet}', TABLE, 'Packets looked up in the OpenFlow table.'),
  tableMatches: counter('ovs_openflow_table_matches_total', '{packet}', TABLE, 'Packets that matched a flow of the OpenFlow table.'),

  // ---- Flows (OFPMP_FLOW dump) summed per table and cookie; cookies beyond the cap → cookie="other".
  flows: gauge('ovs_openflow_flows', '1', FLOW_GROUP,
    'Flows per table and cookie (cookie as 0x-hex; "other" = cookies beyond datapath.max_cookies_per_bridge).'),
  flowPackets: counter('ovs_openflow_flow_packets_total', '{packet}', FLOW_GROUP,
    'Packets matched by the flows of a table and cookie (sum of the flows\' counters: drops when flows are removed, which rate() reads as a reset).'),
  flowBytes: counter('ovs_openflow_flow_bytes_total', 'By', FLOW_GROUP,
    'Bytes matched by the flows of a table and cookie (sum of the flows\' counters, see ovs_openflow_flow_packets_total).'),
  flowCookiesOverflow: gauge('ovs_openflow_flow_cookies_overflow', '1', ['bridge'],
    'Distinct flow cookies on the bridge beyond datapath.max_cookies_per_bridge in the last dump, counted under cookie="other".'),

  // ---- Ports (OFPMP_PORT_STATS, names from OFPMP_PORT_DESC): every OpenFlow port, patch ports included.
  portReceiveBytes: counter('ovs_openflow_port_receive_bytes_total', 'By', PORT, 'Bytes received on the OpenFlow port (ofport "LOCAL" = the bridge\'s internal port).'),
  portTransmitBytes: counter('ovs_openflow_port_transmit_bytes_total', 'By', PORT, 'Bytes transmitted on the OpenFlow port.'),
  portReceivePackets: counter('ovs_openflow_port_receive_packets_total', '{packet}', PORT, 'Packets received on the OpenFlow port.'),
  portTransmitPackets: counter('ovs_openflow_port_transmit_packets_total', '{packet}', PORT, 'Packets transmitted on the OpenFlow port.'),
  portReceiveDropped: counter('ovs_openflow_port_receive_dropped_total', '{packet}', PORT, 'Received packets dropped on the OpenFlow port.'),
  portTransmitDropped: counter('ovs_openflow_port_transmit_dropped_total', '{packet}', PORT, 'Packets dropped on transmit on the OpenFlow port.'),
  portReceiveErrors: counter('ovs_openflow_port_receive_errors_total', '{packet}', PORT, 'Receive errors on the OpenFlow port.'),
  portTransmitErrors: counter('ovs_openflow_port_transmit_errors_total', '{packet}', PORT, 'Transmit errors on the OpenFlow port.'),

  // ---- Queues (OFPMP_QUEUE_STATS).
  queueTransmitBytes: counter('ovs_openflow_queue_transmit_bytes_total', 'By', QUEUE, 'Bytes transmitted through the port\'s queue.'),
  queueTransmitPackets: counter('ovs_openflow_queue_transmit_packets_total', '{packet}', QUEUE, 'Packets transmitted through the port\'s queue.'),
  queueTransmitErrors: counter('ovs_openflow_queue_transmit_errors_total', '{packet}', QUEUE, 'Packets dropped by the port\'s queue (overrun).'),

  // ---- Groups (OFPMP_GROUP).
  groupReferences: gauge('ovs_openflow_group_references', '1', GROUP, 'Flows and groups that forward to the group (ref_count).'),
  groupPackets: counter('ovs_openflow_group_packets_total', '{packet}', GROUP, 'Packets processed by the group.'),
  groupBytes: counter('ovs_openflow_group_bytes_total', 'By', GROUP, 'Bytes processed by the group.'),
  groupBucketPackets: counter('ovs_openflow_group_bucket_packets_total', '{packet}', BUCKET, 'Packets processed by the group bucket (bucket = its position, from 0).'),
  groupBucketBytes: counter('ovs_openflow_group_bucket_bytes_total', 'By', BUCKET, 'Bytes processed by the group bucket.'),

  // ---- Meters (OFPMP_METER, band types from OFPMP_METER_CONFIG).
  meterFlows: gauge('ovs_openflow_meter_flows', '1', METER, 'Flows that use the meter.'),
  meterPackets: counter('ovs_openflow_meter_packets_total', '{packet}', METER, 'Packets that entered the meter.'),
  meterBytes: counter('ovs_openflow_meter_bytes_total', 'By', METER, 'Bytes that entered the meter.'),
  meterBandPackets: counter('ovs_openflow_meter_band_packets_total', '{packet}', BAND,
    'Packets over the meter band\'s rate (type="drop": dropped; "dscp_remark": remarked); band = its position, from 0.'),
  meterBandBytes: counter('ovs_openflow_meter_band_bytes_total', 'By', BAND, 'Bytes over the meter band\'s rate (see ovs_openflow_meter_band_packets_total).'),

  // ---- ovs-vswitchd's datapaths (dpctl/show).
  datapathHits: counter('ovs_datapath_lookup_hits_total', '{packet}', DATAPATH, 'Packets that matched a datapath (megaflow) flow.'),
  datapathMisses: counter('ovs_datapath_lookup_misses_total', '{packet}', DATAPATH, 'Packets that matched no datapath flow and went up to ovs-vswitchd (upcalls).'),
  datapathLost: counter('ovs_datapath_lookup_lost_total', '{packet}', DATAPATH, 'Upcalls dropped before ovs-vswitchd handled them (handler queues full).'),
  datapathFlows: gauge('ovs_datapath_flows', '1', DATAPATH, 'Flows in the datapath.'),
  datapathMaskHits: counter('ovs_datapath_mask_hits_total', '1', DATAPATH, 'Megaflow mask lookups (kernel datapath only).'),
  datapathMasks: gauge('ovs_datapath_masks', '1', DATAPATH, 'Megaflow masks in the datapath (kernel datapath only).'),

  // ---- Upcall handling and revalidation (upcall/show).
  upcallFlows: gauge('ovs_vswitchd_upcall_flows', '1', DATAPATH, 'Datapath flows ovs-vswitchd currently tracks.'),
  upcallFlowsAverage: gauge('ovs_vswitchd_upcall_flows_average', '1', DATAPATH, 'Average number of datapath flows (OVS\'s own moving average).'),
  upcallFlowsMax: gauge('ovs_vswitchd_upcall_flows_max', '1', DATAPATH, 'Most datapath flows seen at once since the last flow limit change.'),
  upcallFlowLimit: gauge('ovs_vswitchd_upcall_flow_limit', '1', DATAPATH, 'Datapath flow limit: ovs-vswitchd evicts flows when the count reaches it.'),
  upcallOffloadedFlows: gauge('ovs_vswitchd_upcall_offloaded_flows', '1', DATAPATH, 'Datapath flows offloaded to hardware (only when offload is on).'),
  upcallDumpDuration: gauge('ovs_vswitchd_upcall_dump_duration_seconds', 's', DATAPATH, 'How long the revalidators took for their last datapath flow dump.'),
  revalidatorKeys: gauge('ovs_vswitchd_revalidator_keys', '1', ['datapath', 'revalidator'], 'Datapath flow keys (ukeys) held by each revalidator thread.'),

  // ---- Daemon counters (coverage/show) and memory (memory/show).
  coverageEvents: counter('ovs_vswitchd_coverage_events_total', '1', ['event'],
    'ovs-vswitchd coverage counters by event name (events that never fired are not listed).'),
  memoryObjects: gauge('ovs_vswitchd_memory_objects', '1', ['object'],
    'What ovs-vswitchd reports of its memory use (memory/show): counts of handlers, revalidators, ports, rules, "udpif keys", OVSDB cells, ...'),

  // ---- Userspace datapath threads (dpif-netdev/pmd-stats-show).
  pmdReceivedPackets: counter('ovs_datapath_pmd_received_packets_total', '{packet}', PMD, 'Packets received by the userspace datapath thread (thread="main" or "pmd").'),
  pmdRecirculations: counter('ovs_datapath_pmd_recirculations_total', '{packet}', PMD, 'Packet recirculations in the userspace datapath thread.'),
  pmdLookups: counter('ovs_datapath_pmd_lookups_total', '{packet}', [...PMD, 'result'],
    'Datapath passes by where the packet found its flow: emc, smc, megaflow, phwol, mfex_opt, simple_match, upcall (miss, handled) or upcall_failed.'),
  pmdCycles: counter('ovs_datapath_pmd_cycles_total', '1', [...PMD, 'state'], 'CPU cycles of the userspace datapath thread by state (idle, processing).'),

  // ---- Tenant network segments read from the flows (br-tun VNI ↔ local VLAN, provider VLAN translations).
  segmentInfo: gauge('ovs_network_segment_info', '1', ['segment_type', 'segmentation_id', 'local_vlan', 'network_id', 'project_id'],
    'Segments this host\'s flows map to a tenant network: segment_type="tunnel" (VNI/key on br-tun) or "vlan" (provider VLAN); the value is always 1.'),

  // ---- Poller health, per source (openflow: per bridge; unixctl: per command).
  pollSuccess: gauge('ovs_telemetry_poll_success', '1', POLL, 'Whether the last poll of the target succeeded completely (1) or not (0).'),
  pollDuration: gauge('ovs_telemetry_poll_duration_seconds', 's', POLL, 'How long the last poll of the target took.'),
  pollLastSuccess: gauge('ovs_telemetry_poll_last_success_timestamp_seconds', 's', POLL, 'When the target was last polled successfully (Unix time).'),
  pollErrors: counter('ovs_telemetry_poll_errors_total', '1', POLL, 'Failed polls of the target (unreachable, timed out or rejected; the rest of the metrics are still reported).'),
  openflowReconnects: counter('ovs_telemetry_openflow_reconnects_total', '1', ['bridge'],
    'OpenFlow connections to the bridge made after the first one (ovs-vswitchd restarts, lost connections).'),
} satisfies Record<string, MetricSpec>);
