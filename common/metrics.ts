/**
 * The metric catalogue: the single source of truth for every metric's name, help, type and
 * labels. The Prometheus, OTLP and InfluxDB exporters, the dashboards and the rules take names
 * from here, so a rename breaks the build instead of silently emptying a panel.
 * Names follow Prometheus conventions: `ovs_` prefix, base units in the name, `_total` on counters.
 */

export type MetricType = 'counter' | 'gauge';

export interface MetricSpec {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** Base unit (UCUM-ish, for OTLP): 'By', 'bit/s', 's', '{packet}', '1'. */
  readonly unit: string;
  readonly labels: readonly string[];
}

// Shared label lists: exporters may memoise formatted label sets by list identity.
const IFACE: readonly string[] = Object.freeze(['bridge', 'port', 'interface']);
const NETWORK: readonly string[] = Object.freeze(['network_id', 'project_id']);
const FLOW: readonly string[] = Object.freeze(['network_id', 'project_id', 'direction', 'proto', 'source']);
const SFLOW_AGENT: readonly string[] = Object.freeze(['agent', 'sub_agent']);
const SFLOW_SAMPLES: readonly string[] = Object.freeze(['agent', 'sub_agent', 'type']);
const IPFIX_EXPORTER: readonly string[] = Object.freeze(['listener', 'exporter', 'domain', 'version']);

export function counter(name: string, unit: string, labels: readonly string[], help: string): MetricSpec {
  return Object.freeze({ name, help, type: 'counter', unit, labels: Object.isFrozen(labels) ? labels : Object.freeze([...labels]) });
}

export function gauge(name: string, unit: string, labels: readonly string[], help: string): MetricSpec {
  return Object.freeze({ name, help, type: 'gauge', unit, labels: Object.isFrozen(labels) ? labels : Object.freeze([...labels]) });
}

export const METRICS = Object.freeze({
  up: gauge('ovs_up', '1', [], 'Whether the OVSDB server is reachable and its state synchronised (1) or not (0).'),
  buildInfo: gauge('ovs_telemetry_build_info', '1', ['version', 'nodejs_version', 'ovs_version'],
    'Build information of ovs-telemetry and the Open vSwitch it reads; the value is always 1.'),
  scrapeCollectorSuccess: gauge('ovs_telemetry_scrape_collector_success', '1', ['collector'],
    'Whether the named collector succeeded during the last scrape (1) or not (0).'),
  scrapeCollectorDuration: gauge('ovs_telemetry_scrape_collector_duration_seconds', 's', ['collector'],
    'Time the named collector took during the last scrape.'),
  ovsdbReconnects: counter('ovs_telemetry_ovsdb_reconnects_total', '1', ['database'],
    'Connections to an OVSDB server that were established after the first one (resyncs).'),
  bridges: gauge('ovs_bridges', '1', [], 'Number of bridges in the Open_vSwitch database.'),
  interfaces: gauge('ovs_interfaces', '1', ['bridge'], 'Number of interfaces per bridge.'),
  interfaceInfo: gauge('ovs_interface_info', '1',
    ['bridge', 'port', 'interface', 'ofport', 'type', 'mac', 'neutron_port_id', 'network_id', 'project_id'],
    'Interface metadata and its Neutron port, network and project; the value is always 1.'),
  interfaceReceiveBytes: counter('ovs_interface_receive_bytes_total', 'By', IFACE, 'Bytes received by the interface.'),
  interfaceTransmitBytes: counter('ovs_interface_transmit_bytes_total', 'By', IFACE, 'Bytes transmitted by the interface.'),
  interfaceReceivePackets: counter('ovs_interface_receive_packets_total', '{packet}', IFACE, 'Packets received by the interface.'),
  interfaceTransmitPackets: counter('ovs_interface_transmit_packets_total', '{packet}', IFACE, 'Packets transmitted by the interface.'),
  interfaceReceiveDropped: counter('ovs_interface_receive_dropped_total', '{packet}', IFACE, 'Received packets dropped by the interface.'),
  interfaceTransmitDropped: counter('ovs_interface_transmit_dropped_total', '{packet}', IFACE, 'Packets dropped by the interface on transmit.'),
  interfaceReceiveErrors: counter('ovs_interface_receive_errors_total', '{packet}', IFACE, 'Receive errors on the interface.'),
  interfaceTransmitErrors: counter('ovs_interface_transmit_errors_total', '{packet}', IFACE, 'Transmit errors on the interface.'),
  interfaceLinkUp: gauge('ovs_interface_link_up', '1', IFACE, 'Whether the interface link is up (1) or down (0).'),
  interfaceAdminUp: gauge('ovs_interface_admin_up', '1', IFACE, 'Whether the interface is administratively up (1) or down (0).'),
  interfaceMtu: gauge('ovs_interface_mtu_bytes', 'By', IFACE, 'MTU of the interface.'),
  // Bytes, not bits: Prometheus base units (promtool rejects *_bits*), as node_network_speed_bytes.
  interfaceLinkSpeed: gauge('ovs_interface_link_speed_bytes_per_second', 'By/s', IFACE, 'Negotiated link speed of the interface (OVSDB link_speed / 8).'),
  networkReceiveBytes: counter('ovs_network_receive_bytes_total', 'By', NETWORK,
    'Bytes received by the interfaces of a tenant network on this host (sum of interface counters).'),
  networkTransmitBytes: counter('ovs_network_transmit_bytes_total', 'By', NETWORK,
    'Bytes transmitted by the interfaces of a tenant network on this host (sum of interface counters).'),
  networkReceivePackets: counter('ovs_network_receive_packets_total', '{packet}', NETWORK,
    'Packets received by the interfaces of a tenant network on this host (sum of interface counters).'),
  networkTransmitPackets: counter('ovs_network_transmit_packets_total', '{packet}', NETWORK,
    'Packets transmitted by the interfaces of a tenant network on this host (sum of interface counters).'),
  networkInterfaces: gauge('ovs_network_interfaces', '1', NETWORK, 'Number of interfaces of a tenant network on this host.'),

  // ---- Sampled flows (sFlow), scaled by the sampling rate; directions are the VM's.
  flowSampledBytes: counter('ovs_flow_sampled_bytes_total', 'By', FLOW,
    'Bytes of sampled packets times the sampling rate (sFlow) or of exported flow records (IPFIX, NetFlow), per tenant network; direction egress = sent by a port of the network on this host, ingress = delivered to one (or arriving from the tunnel/uplink), unknown = not attributable (network_id="unknown"); source = sflow, ipfix or netflow (sum one source: a host exporting several counts its traffic once per source).'),
  flowSampledPackets: counter('ovs_flow_sampled_packets_total', '{packet}', FLOW,
    'Sampled packets times the sampling rate, per tenant network, direction and protocol (see ovs_flow_sampled_bytes_total).'),
  flowTopTalkerBytes: counter('ovs_flow_top_talker_bytes_total', 'By', ['network_id', 'project_id', 'src', 'dst', 'proto', 'source'],
    'Estimated bytes (sampled, scaled; Space-Saving upper bound) of the heaviest src/dst/protocol pairs of each tenant network in the current window, ranked per source (sflow, ipfix, netflow: never add them up); resets when the window restarts. Rank with topk() over rate().'),
  flowAttributions: counter('ovs_flow_attributions_total', '1', ['side', 'method'],
    'Sampled packets by how each side (in = sender, out = receiver) was attributed: ifindex, port_name, ofport (NetFlow v5 input port), mac, vni, vlan, peer_port (the network of the port on the other side), unknown, or not_local (unknown, and the exporter is not this host\'s OVS, so its interface numbers were not used).'),
  flowNetworkOverflow: counter('ovs_flow_network_overflow_samples_total', '1', [],
    'Samples of networks beyond flows.max_networks, counted under network_id="overflow".'),
  flowRecordsWritten: counter('ovs_telemetry_flow_records_written_total', '1', ['output'],
    'Flow records written to the flow-record output (JSON lines).'),
  flowRecordsDropped: counter('ovs_telemetry_flow_records_dropped_total', '1', ['output'],
    'Flow records dropped because the flow-record output could not keep up (its buffer was full).'),

  // ---- sFlow exporter health, per agent address and sub-agent id.
  sflowDatagrams: counter('ovs_sflow_datagrams_total', '1', SFLOW_AGENT, 'sFlow datagrams received and decoded from each agent and sub-agent.'),
  sflowSamples: counter('ovs_sflow_samples_total', '1', SFLOW_SAMPLES, 'sFlow samples received by type (flow, counters, other = formats not decoded); rate() is the samples per second.'),
  sflowLostDatagrams: counter('ovs_sflow_lost_datagrams_total', '1', SFLOW_AGENT, 'Datagrams missing from the sequence numbers of each agent and sub-agent (lost on the way or in a receive buffer).'),
  sflowLostSamples: counter('ovs_sflow_lost_samples_total', '1', SFLOW_SAMPLES, 'Samples missing from the per-source sample sequence numbers.'),
  sflowAgentDroppedSamples: counter('ovs_sflow_agent_dropped_samples_total', '1', SFLOW_AGENT, 'Flow samples the agent itself dropped for lack of resources (the flow samples\' drops field).'),
  sflowOutOfOrder: counter('ovs_sflow_out_of_order_datagrams_total', '1', SFLOW_AGENT, 'Datagrams that arrived late or twice (sequence number not after the last one).'),
  sflowAgentRestarts: counter('ovs_sflow_agent_restarts_total', '1', SFLOW_AGENT, 'Agent restarts seen as a sequence number reset (uptime going backwards or a large backward jump).'),
  sflowDecodeErrors: counter('ovs_sflow_decode_errors_total', '1', ['agent', 'reason'],
    'Datagrams that could not be decoded, by reason; agent is the UDP source address (a broken datagram may not name its agent).'),
  sflowSkipped: counter('ovs_sflow_skipped_structures_total', '1', ['kind'], 'Samples and records of formats the decoder does not decode, skipped by their length (kind: sample, flow_record, counter_record).'),
  sflowAgents: gauge('ovs_sflow_agents', '1', [], 'Agent and sub-agent pairs tracked (capped by sflow.max_agents).'),
  sflowUntracked: counter('ovs_sflow_untracked_total', '1', ['what'],
    'Datagrams (what="datagrams") and samples (what="samples") decoded and aggregated but not sequence-tracked because sflow.max_agents or sflow.max_sources was reached.'),
  sflowPortNames: gauge('ovs_sflow_port_names', '1', [], 'Agent ifIndex to port name entries learned from sFlow counter samples (capped by sflow.max_port_names).'),

  flowRecordsByOrigin: counter('ovs_flow_records_by_origin_total', '1', ['source', 'origin'],
    'Flow samples and records per source by exporter: origin local_ovs (this host\'s Open vSwitch, from OVSDB\'s NetFlow/IPFIX/sFlow rows or flows.local_exporters: its interface numbers are matched to this host\'s ports) or other (attributed by VNI, VLAN or MAC only).'),
  flowRecordsNotAtPort: counter('ovs_flow_records_not_at_port_total', '1', ['source'],
    'Exported flow records observed (IPFIX flowDirection, NetFlow v5 input) at an interface that is not a tenant port of this host: not in ovs_flow_sampled_* (their packets are counted where they leave or reach a VM port).'),
  flowExporterSamplingRate: gauge('ovs_flow_exporter_sampling_rate', '1', ['listener', 'exporter', 'domain'],
    'Sampling rate (1 in N) of the last records of each sFlow agent (domain = sub-agent) or IPFIX/NetFlow exporter (domain = observation domain / source id), as the collector scaled them; 0 = none stated, counts taken as exported (Open vSwitch IPFIX counts are already scaled).'),

  // ---- IPFIX / NetFlow v9 / NetFlow v5 exporter health, per listener, exporter (UDP source address:port), domain and version (10, 9, 5).
  ipfixMessages: counter('ovs_ipfix_messages_total', '1', IPFIX_EXPORTER, 'IPFIX messages and NetFlow v9/v5 export packets decoded from each exporter and observation domain (v9: source id; v5: 0).'),
  ipfixRecords: counter('ovs_ipfix_records_total', '1', [...IPFIX_EXPORTER, 'type'], 'Data records decoded: type flow, or options (exporter statistics, sampler tables); includes records of data held until its template came.'),
  ipfixLostRecords: counter('ovs_ipfix_lost_records_total', '1', IPFIX_EXPORTER,
    'Records missing from the sequence numbers: IPFIX data records (RFC 7011 section 3.1) and NetFlow v5 flows; for NetFlow v9, whose sequence counts packets (RFC 3954 section 5.1), see ovs_ipfix_lost_messages_total.'),
  ipfixLostMessages: counter('ovs_ipfix_lost_messages_total', '1', IPFIX_EXPORTER, 'NetFlow v9 export packets missing from the sequence numbers (RFC 3954 section 5.1).'),
  ipfixOutOfOrder: counter('ovs_ipfix_out_of_order_messages_total', '1', IPFIX_EXPORTER, 'Messages that arrived late or twice (sequence number before the expected one).'),
  ipfixExporterRestarts: counter('ovs_ipfix_exporter_restarts_total', '1', IPFIX_EXPORTER, 'Exporter restarts seen as a sequence number reset (a large backward jump).'),
  ipfixDecodeErrors: counter('ovs_ipfix_decode_errors_total', '1', ['listener', 'exporter', 'reason'],
    'Datagrams that could not be decoded (or whose handling failed: reason internal), by reason; exporter is the UDP source address.'),
  ipfixTemplates: gauge('ovs_ipfix_templates', '1', IPFIX_EXPORTER, 'Templates and options templates cached for each exporter and observation domain.'),
  ipfixTemplatesRemoved: counter('ovs_ipfix_templates_removed_total', '1', ['listener', 'reason'],
    'Templates removed from the cache: evicted (cache limits), expired (not refreshed within the template lifetime) or withdrawn (IPFIX template withdrawal).'),
  ipfixSetsWithoutTemplate: counter('ovs_ipfix_sets_without_template_total', '1', ['listener', 'outcome'],
    'Data sets that came before their template: held (kept until the template comes), dropped (held buffer full) or expired (template never came within the held lifetime).'),
  ipfixHeldSets: gauge('ovs_ipfix_held_sets', '1', ['listener'], 'Data sets held now, waiting for their template.'),
  ipfixExporters: gauge('ovs_ipfix_exporters', '1', ['listener'], 'Exporter/domain/version triples whose sequence numbers are tracked (capped by max_exporters).'),
  ipfixUntracked: counter('ovs_ipfix_untracked_messages_total', '1', ['listener'], 'Messages decoded and aggregated but not sequence-tracked because max_exporters was reached.'),

  // ---- UDP listeners (collector self-metrics).
  udpReceiveBufferDrops: counter('ovs_telemetry_udp_receive_buffer_drops_total', '1', ['listener'],
    'Datagrams the kernel dropped because the listener socket\'s receive buffer was full (/proc/net/udp drops).'),
  udpReceiveQueue: gauge('ovs_telemetry_udp_receive_queue_bytes', 'By', ['listener'], 'Bytes waiting in the listener socket\'s receive queue (/proc/net/udp rx_queue).'),
  udpReceiveBuffer: gauge('ovs_telemetry_udp_receive_buffer_bytes', 'By', ['listener'], 'Receive buffer size the kernel granted the listener socket (SO_RCVBUF).'),
  udpListenerUp: gauge('ovs_telemetry_udp_listener_up', '1', ['listener', 'address'], 'Whether the UDP listener is bound and receiving (1) or not (0).'),
} satisfies Record<string, MetricSpec>);

export type MetricKey = keyof typeof METRICS;

/** Where a collector writes its samples: one call per series, label values in the spec's order. */
export interface MetricSink {
  add(spec: MetricSpec, labelValues: readonly string[], value: number): void;
}

/**
 * A collector reads from memory only (never waits on OVS during a scrape) and reports what it
 * has. Throwing marks the collector failed for this scrape; the other collectors still report.
 */
export interface MetricCollector {
  readonly name: string;
  collect(sink: MetricSink): void;
}
