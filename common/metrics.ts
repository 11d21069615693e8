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

function counter(name: string, unit: string, labels: readonly string[], help: string): MetricSpec {
  return Object.freeze({ name, help, type: 'counter', unit, labels: Object.isFrozen(labels) ? labels : Object.freeze([...labels]) });
}

function gauge(name: string, unit: string, labels: readonly string[], help: string): MetricSpec {
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
