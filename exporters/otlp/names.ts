/**
 * Our catalogue (Prometheus names and labels, common/metrics.ts) mapped to OpenTelemetry metric
 * names and attributes, following the semantic conventions' network metrics: one metric per
 * quantity with the direction as the `network.io.direction` attribute (receive/transmit) and the
 * interface as `network.interface.name`, as `system.network.io` / `system.network.packet.count`
 * do. The names live under `ovs.` rather than `system.network.*`: these are OVS ports, and a host
 * metrics receiver on the same host already reports `system.network.*` for the kernel's view of
 * the same tap devices; sums across both would count traffic twice.
 *
 * Families not in the table get a derived name (see otelName) and the same attribute mapping.
 */
import type { MetricSpec } from '../../common/metrics.js';
import { METRICS } from '../../common/metrics.js';

/** Attribute names of the semantic conventions used here (incubating in semconv 1.45, so spelled out). */
export const ATTR_NETWORK_IO_DIRECTION = 'network.io.direction';
export const ATTR_NETWORK_INTERFACE_NAME = 'network.interface.name';
/** Resource attribute: the Open vSwitch system-id (Open_vSwitch.external_ids:system-id). */
export const ATTR_OVS_SYSTEM_ID = 'ovs.system.id';

/** Tenancy attributes: the Neutron port, network and project an interface or flow belongs to. */
export const ATTR_OPENSTACK_PORT_ID = 'openstack.port.id';
export const ATTR_OPENSTACK_NETWORK_ID = 'openstack.network.id';
export const ATTR_OPENSTACK_PROJECT_ID = 'openstack.project.id';

/** Prometheus label → OpenTelemetry attribute. Labels not listed become `ovs.<label>`. */
export const LABEL_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({
  interface: ATTR_NETWORK_INTERFACE_NAME,
  bridge: 'ovs.bridge.name',
  port: 'ovs.port.name',
  ofport: 'ovs.interface.ofport',
  type: 'ovs.interface.type',
  mac: 'ovs.interface.mac',
  neutron_port_id: ATTR_OPENSTACK_PORT_ID,
  network_id: ATTR_OPENSTACK_NETWORK_ID,
  project_id: ATTR_OPENSTACK_PROJECT_ID,
  // Flow direction is the VM's (ingress/egress/unknown), not the interface's receive/transmit.
  direction: 'ovs.flow.direction',
  proto: 'ovs.flow.ip_protocol',
  collector: 'ovs.telemetry.collector',
  exporter: 'ovs.telemetry.exporter',
});

export function attributeName(label: string): string {
  return LABEL_ATTRIBUTES[label] ?? `ovs.${label}`;
}

export interface OtelMetricName {
  readonly name: string;
  readonly description: string;
  /** Attributes every point of this Prometheus family carries (the direction of a split family). */
  readonly fixed: Readonly<Record<string, string>>;
}

const RECEIVE = Object.freeze({ [ATTR_NETWORK_IO_DIRECTION]: 'receive' });
const TRANSMIT = Object.freeze({ [ATTR_NETWORK_IO_DIRECTION]: 'transmit' });

function entry(spec: MetricSpec, name: string, description: string, fixed: Readonly<Record<string, string>> = {}): [string, OtelMetricName] {
  return [spec.name, Object.freeze({ name, description, fixed })];
}

const IFACE_IO = 'Bytes received and transmitted by the OVS interface.';
const IFACE_PACKETS = 'Packets received and transmitted by the OVS interface.';
const IFACE_DROPPED = 'Packets dropped by the OVS interface, by direction.';
const IFACE_ERRORS = 'Receive and transmit errors of the OVS interface.';
const NET_IO = 'Bytes received and transmitted by the interfaces of a tenant network on this host.';
const NET_PACKETS = 'Packets received and transmitted by the interfaces of a tenant network on this host.';

/** The table: Prometheus family → OpenTelemetry metric (+ fixed attributes). */
export const OTEL_NAMES: ReadonlyMap<string, OtelMetricName> = new Map([
  entry(METRICS.up, 'ovs.up', METRICS.up.help),
  entry(METRICS.bridges, 'ovs.bridge.count', METRICS.bridges.help),
  entry(METRICS.interfaces, 'ovs.bridge.interface.count', METRICS.interfaces.help),
  entry(METRICS.interfaceInfo, 'ovs.interface.info', METRICS.interfaceInfo.help),
  entry(METRICS.interfaceReceiveBytes, 'ovs.interface.io', IFACE_IO, RECEIVE),
  entry(METRICS.interfaceTransmitBytes, 'ovs.interface.io', IFACE_IO, TRANSMIT),
  entry(METRICS.interfaceReceivePackets, 'ovs.interface.packet.count', IFACE_PACKETS, RECEIVE),
  entry(METRICS.interfaceTransmitPackets, 'ovs.interface.packet.count', IFACE_PACKETS, TRANSMIT),
  entry(METRICS.interfaceReceiveDropped, 'ovs.interface.packet.dropped', IFACE_DROPPED, RECEIVE),
  entry(METRICS.interfaceTransmitDropped, 'ovs.interface.packet.dropped', IFACE_DROPPED, TRANSMIT),
  entry(METRICS.interfaceReceiveErrors, 'ovs.interface.errors', IFACE_ERRORS, RECEIVE),
  entry(METRICS.interfaceTransmitErrors, 'ovs.interface.errors', IFACE_ERRORS, TRANSMIT),
  entry(METRICS.interfaceLinkUp, 'ovs.interface.link.up', METRICS.interfaceLinkUp.help),
  entry(METRICS.interfaceAdminUp, 'ovs.interface.admin.up', METRICS.interfaceAdminUp.help),
  entry(METRICS.interfaceMtu, 'ovs.interface.mtu', METRICS.interfaceMtu.help),
  entry(METRICS.interfaceLinkSpeed, 'ovs.interface.link.speed', METRICS.interfaceLinkSpeed.help),
  entry(METRICS.networkReceiveBytes, 'ovs.network.io', NET_IO, RECEIVE),
  entry(METRICS.networkTransmitBytes, 'ovs.network.io', NET_IO, TRANSMIT),
  entry(METRICS.networkReceivePackets, 'ovs.network.packet.count', NET_PACKETS, RECEIVE),
  entry(METRICS.networkTransmitPackets, 'ovs.network.packet.count', NET_PACKETS, TRANSMIT),
  entry(METRICS.networkInterfaces, 'ovs.network.interface.count', METRICS.networkInterfaces.help),
  entry(METRICS.flowSampledBytes, 'ovs.flow.sampled.io', METRICS.flowSampledBytes.help),
  entry(METRICS.flowSampledPackets, 'ovs.flow.sampled.packet.count', METRICS.flowSampledPackets.help),
]);

// Unit words at the end of a Prometheus name; OTLP carries the unit in its own field.
const UNIT_SUFFIX = /_(seconds|bytes|bytes_per_second)$/;

/**
 * The OpenTelemetry name of a family: from the table, else derived: `_total` and a trailing
 * unit word dropped, underscores to dots (ovs_sflow_datagrams_total → ovs.sflow.datagrams).
 */
export function otelName(spec: MetricSpec): OtelMetricName {
  const known = OTEL_NAMES.get(spec.name);
  if (known !== undefined) return known;
  let base = spec.type === 'counter' ? spec.name.replace(/_total$/, '') : spec.name;
  base = base.replace(UNIT_SUFFIX, '');
  return { name: base.replace(/_/g, '.'), description: spec.help, fixed: {} };
}
