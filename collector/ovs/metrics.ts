/**
 * Interface and tenant-network series from the OVSDB model: ovs_interface_info with tenancy,
 * interface counters and link state, and per-network sums of the exact interface counters.
 */
import { METRICS, type MetricCollector, type MetricSink, type MetricSpec } from '../../common/metrics.js';
import { isTenantInterface, type InterfaceCounters, type InterfaceState } from '../../common/model.js';
import type { VswitchModel } from './model.js';

const COUNTER_SERIES: readonly (readonly [keyof InterfaceCounters, MetricSpec])[] = [
  ['rx_bytes', METRICS.interfaceReceiveBytes],
  ['tx_bytes', METRICS.interfaceTransmitBytes],
  ['rx_packets', METRICS.interfaceReceivePackets],
  ['tx_packets', METRICS.interfaceTransmitPackets],
  ['rx_dropped', METRICS.interfaceReceiveDropped],
  ['tx_dropped', METRICS.interfaceTransmitDropped],
  ['rx_errors', METRICS.interfaceReceiveErrors],
  ['tx_errors', METRICS.interfaceTransmitErrors],
];

type SummedCounter = 'rx_bytes' | 'tx_bytes' | 'rx_packets' | 'tx_packets';

const NETWORK_SERIES: readonly (readonly [SummedCounter, MetricSpec])[] = [
  ['rx_bytes', METRICS.networkReceiveBytes],
  ['tx_bytes', METRICS.networkTransmitBytes],
  ['rx_packets', METRICS.networkReceivePackets],
  ['tx_packets', METRICS.networkTransmitPackets],
];


interface NetworkSum extends Record<SummedCounter, number> {
  readonly labels: readonly [string, string];
  interfaces: number;
}

/** An interface's label arrays, kept across scrapes while its labels stay the same. */
interface LabelSets {
  readonly key: string;
  readonly series: readonly string[];
  readonly info: readonly string[];
}

function infoLabels(iface: InterfaceState): string[] {
  const t = iface.tenant;
  return [iface.bridge, iface.port, iface.name, iface.ofport === null ? '' : String(iface.ofport), iface.type, iface.mac, t.neutronPortId, t.networkId, t.projectId];
}

export class InterfaceMetrics implements MetricCollector {
  readonly name = 'interfaces';
  // Stable arrays let the exporter reuse each interface's formatted labels (see LabelCache).
  private labelSets = new Map<string, LabelSets>();

  constructor(
    private readonly model: VswitchModel,
    private readonly isUp: () => boolean,
    private readonly perInterface: boolean,
  ) {}

  collect(sink: MetricSink): void {
    // While OVSDB is unreachable the last known state is not reported as current.
    if (!this.isUp()) return;
    const interfaces = this.model.interfaces();
    const perBridge = new Map<string, number>();
    const networks = new Map<string, NetworkSum>();
    const labelSets = new Map<string, LabelSets>();
    for (const iface of interfaces) {
      perBridge.set(iface.bridge, (perBridge.get(iface.bridge) ?? 0) + 1);
      if (this.perInterface) this.collectInterface(sink, iface, this.labelsOf(iface, labelSets));
      if (isTenantInterface(iface)) {
        const key = `${iface.tenant.networkId}\u0000${iface.tenant.projectId}`;
        let sum = networks.get(key);
        if (sum === undefined) {
          sum = { labels: [iface.tenant.networkId, iface.tenant.projectId], interfaces: 0, rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0 };
          networks.set(key, sum);
        }
        sum.interfaces++;
        for (const [key] of NETWORK_SERIES) sum[key] += iface.counters[key] ?? 0;
      }
    }
    this.labelSets = labelSets;
    sink.add(METRICS.bridges, [], this.model.bridgeNames().length);
    for (const [bridge, n] of perBridge) sink.add(METRICS.interfaces, [bridge], n);
    for (const sum of networks.values()) {
      sink.add(METRICS.networkInterfaces, sum.labels, sum.interfaces);
      for (const [key, spec] of NETWORK_SERIES) sink.add(spec, sum.labels, sum[key]);
    }
  }

  private labelsOf(iface: InterfaceState, next: Map<string, LabelSets>): LabelSets {
    const info = infoLabels(iface);
    const key = info.join('\u0000');
    let sets = this.labelSets.get(iface.uuid);
    if (sets === undefined || sets.key !== key) sets = { key, series: info.slice(0, 3), info };
    next.set(iface.uuid, sets);
    return sets;
  }

  private collectInterface(sink: MetricSink, iface: InterfaceState, sets: LabelSets): void {
    sink.add(METRICS.interfaceInfo, sets.info, 1);
    const labels = sets.series;
    for (const [key, spec] of COUNTER_SERIES) {
      const value = iface.counters[key];
      if (value !== undefined) sink.add(spec, labels, value);
    }
    if (iface.linkUp !== null) sink.add(METRICS.interfaceLinkUp, labels, iface.linkUp ? 1 : 0);
    if (iface.adminUp !== null) sink.add(METRICS.interfaceAdminUp, labels, iface.adminUp ? 1 : 0);
    if (iface.mtu !== null) sink.add(METRICS.interfaceMtu, labels, iface.mtu);
    if (iface.linkSpeedBitsPerSecond !== null) sink.add(METRICS.interfaceLinkSpeed, labels, iface.linkSpeedBitsPerSecond / 8);
  }
}
