/**
 * The collectors' samples as InfluxDB points, designed for bounded cardinality: tags are the
 * identities that bound a series (bridge, port, interface, and the tenancy an interface belongs
 * to, one value per interface), and every counter and gauge of one identity is a field of one
 * point. Per-interface and per-network series get their own measurements:
 *
 *   ovs_interface  tags bridge, port, interface, neutron_port_id, network_id, project_id
 *                  fields receive_bytes, transmit_bytes, receive_packets, ... , mtu_bytes, link_up
 *   ovs_network    tags network_id, project_id
 *                  fields receive_bytes, transmit_bytes, receive_packets, transmit_packets, interfaces
 *
 * Every other family is one measurement named as the Prometheus family, its labels as tags and
 * its value in the field `counter` or `gauge` (the layout of Telegraf's Prometheus input, v1).
 * `ovs_interface_info` is not written on its own: its labels are the ovs_interface tags.
 */
import type { IPoint } from 'influx';
import { METRICS, type MetricSpec } from '../../common/metrics.js';
import type { Snapshot } from '../snapshot.js';

export const INTERFACE_MEASUREMENT = 'ovs_interface';
export const NETWORK_MEASUREMENT = 'ovs_network';

type Grouping = 'interface' | 'network';

/** Family → (measurement grouping, field). */
const FIELDS: ReadonlyMap<MetricSpec, { readonly group: Grouping; readonly field: string }> = new Map([
  [METRICS.interfaceReceiveBytes, { group: 'interface', field: 'receive_bytes' }],
  [METRICS.interfaceTransmitBytes, { group: 'interface', field: 'transmit_bytes' }],
  [METRICS.interfaceReceivePackets, { group: 'interface', field: 'receive_packets' }],
  [METRICS.interfaceTransmitPackets, { group: 'interface', field: 'transmit_packets' }],
  [METRICS.interfaceReceiveDropped, { group: 'interface', field: 'receive_dropped' }],
  [METRICS.interfaceTransmitDropped, { group: 'interface', field: 'transmit_dropped' }],
  [METRICS.interfaceReceiveErrors, { group: 'interface', field: 'receive_errors' }],
  [METRICS.interfaceTransmitErrors, { group: 'interface', field: 'transmit_errors' }],
  [METRICS.interfaceLinkUp, { group: 'interface', field: 'link_up' }],
  [METRICS.interfaceAdminUp, { group: 'interface', field: 'admin_up' }],
  [METRICS.interfaceMtu, { group: 'interface', field: 'mtu_bytes' }],
  [METRICS.interfaceLinkSpeed, { group: 'interface', field: 'link_speed_bytes_per_second' }],
  [METRICS.networkReceiveBytes, { group: 'network', field: 'receive_bytes' }],
  [METRICS.networkTransmitBytes, { group: 'network', field: 'transmit_bytes' }],
  [METRICS.networkReceivePackets, { group: 'network', field: 'receive_packets' }],
  [METRICS.networkTransmitPackets, { group: 'network', field: 'transmit_packets' }],
  [METRICS.networkInterfaces, { group: 'network', field: 'interfaces' }],
] as const);

/** Families written only as tags of other points. */
const TAG_ONLY: ReadonlySet<MetricSpec> = new Set([METRICS.interfaceInfo]);

type Tags = Record<string, string>;

function setTag(tags: Tags, name: string, value: string | undefined): void {
  // Line protocol has no empty tag values; an empty label is an absent one in Prometheus too.
  if (value !== undefined && value !== '') tags[name] = value;
}

/** The points of one snapshot, all stamped with its time (ms). */
export function snapshotPoints(snapshot: Snapshot): IPoint[] {
  const grouped = new Map<string, IPoint & { tags: Tags; fields: Record<string, number> }>();
  const points: IPoint[] = [];
  for (const { spec, labels, value } of snapshot.samples) {
    // Line protocol has no NaN or infinities.
    if (!Number.isFinite(value) || TAG_ONLY.has(spec)) continue;
    const mapped = FIELDS.get(spec);
    if (mapped === undefined) {
      const tags: Tags = {};
      for (let i = 0; i < spec.labels.length; i++) setTag(tags, spec.labels[i], labels[i]);
      points.push({ measurement: spec.name, tags, fields: { [spec.type]: value }, timestamp: snapshot.time });
      continue;
    }
    const key = `${mapped.group}\u0000${labels.join('\u0000')}`;
    let point = grouped.get(key);
    if (point === undefined) {
      point = { measurement: '', tags: {}, fields: {}, timestamp: snapshot.time };
      if (mapped.group === 'interface') {
        point.measurement = INTERFACE_MEASUREMENT;
        const [bridge, port, iface] = labels;
        const tenancy = snapshot.tenancyOf(labels);
        setTag(point.tags, 'bridge', bridge);
        setTag(point.tags, 'port', port);
        setTag(point.tags, 'interface', iface);
        setTag(point.tags, 'neutron_port_id', tenancy?.neutronPortId);
        setTag(point.tags, 'network_id', tenancy?.networkId);
        setTag(point.tags, 'project_id', tenancy?.projectId);
      } else {
        point.measurement = NETWORK_MEASUREMENT;
        setTag(point.tags, 'network_id', labels[0]);
        setTag(point.tags, 'project_id', labels[1]);
      }
      grouped.set(key, point);
      points.push(point);
    }
    point.fields[mapped.field] = value;
  }
  return points;
}
