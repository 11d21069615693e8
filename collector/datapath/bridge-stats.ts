/**
 * One poll of one bridge over OpenFlow: tables, flows (summed per table and cookie, and read for
 * the tunnel / VLAN segment maps), ports, queues, groups and meters, requested together on the
 * bridge's connection (replies are matched by xid). A request that fails leaves out its own
 * series only: the reading is partial and names what failed.
 */
import { UNKNOWN } from '../../common/model.js';
import { DATAPATH_METRICS as M } from '../../common/metrics-datapath.js';
import type { OpenFlowClient } from '../openflow/client.js';
import { OFPP_LOCAL } from '../openflow/constants.js';
import type { MeterBand, MeterConfig } from '../openflow/stats.js';
import { PortMeters, type PortMeter } from '../openflow/port-meters.js';
import { TunnelVlanMap } from '../openflow/tunnel-map.js';
import { VlanTranslations } from '../openflow/vlan-translation.js';
import type { BridgeSegments } from '../tenancy/segments.js';
import type { FlowGroups } from './flow-groups.js';
import { SeriesBuffer } from './series.js';

/** The requests a bridge poll makes (an OpenFlowClient; fakes in tests). */
export type OpenFlowStatsClient = Pick<
  OpenFlowClient,
  'portDesc' | 'portStats' | 'tableStats' | 'flowStats' | 'queueStats' | 'groupStats' | 'meterStats' | 'meterConfig'
>;

/** The meters a bridge's flows put on its ports, with the meters' configuration. */
export interface BridgeMeters {
  readonly bridge: string;
  readonly ports: PortMeters;
  readonly configs: ReadonlyMap<number, MeterConfig>;
}

function sameEntries<K, V>(a: ReadonlyMap<K, V>, b: ReadonlyMap<K, V>, same: (x: V, y: V) => boolean): boolean {
  if (a.size !== b.size) return false;
  for (const [key, x] of a) {
    const y = b.get(key);
    if (y === undefined || !same(x, y)) return false;
  }
  return true;
}

const samePortMeter = (a: PortMeter, b: PortMeter): boolean => a.meterId === b.meterId && a.cookie === b.cookie;

/** A band's type-specific field (OpenFlow 1.3 ofp_meter_band_dscp_remark / _experimenter). */
const bandDetail = (b: MeterBand): number | undefined => (b.type === 'dscp_remark' ? b.precLevel : b.type === 'experimenter' ? b.experimenter : undefined);

function sameConfig(a: MeterConfig, b: MeterConfig): boolean {
  return a.flags.length === b.flags.length && a.flags.every((f, i) => f === b.flags[i]) &&
    a.bands.length === b.bands.length &&
    a.bands.every((x, i) => {
      const y = b.bands[i];
      return x.type === y.type && x.rate === y.rate && x.burstSize === y.burstSize && bandDetail(x) === bandDetail(y);
    });
}

/** Whether two readings put the same meters, configured alike, on the same ports (so the older one may stand for both). */
export function sameBridgeMeters(a: BridgeMeters, b: BridgeMeters): boolean {
  return a.bridge === b.bridge &&
    sameEntries(a.ports.byInPort, b.ports.byInPort, samePortMeter) &&
    sameEntries(a.ports.byEthSrc, b.ports.byEthSrc, samePortMeter) &&
    sameEntries(a.ports.byEthDst, b.ports.byEthDst, samePortMeter) &&
    sameEntries(a.configs, b.configs, sameConfig);
}

export interface BridgeReading {
  readonly series: SeriesBuffer;
  /** Every flow was read: a dump was asked for (flowGroups given) and did not fail. */
  readonly flowsDumped: boolean;
  /** Segment maps from the flow dump; undefined unless flowsDumped. */
  readonly segments: BridgeSegments | undefined;
  /** Port meters from the flow dump and the meter configs; undefined unless flowsDumped and the configs were read. */
  readonly meters: BridgeMeters | undefined;
  /** What failed, by request ("flows", "ports", ...). */
  readonly failures: readonly { readonly what: string; readonly error: Error }[];
}

/** ovs-ofctl's name for OFPP_LOCAL; other ports by number. */
export function ofportLabel(portNo: number): string {
  return portNo === OFPP_LOCAL ? 'LOCAL' : String(portNo);
}

const asError = (reason: unknown): Error => (reason instanceof Error ? reason : new Error(String(reason)));

/**
 * Reads every statistic of `bridge`. With `flowGroups` the flows are dumped too (streamed: a
 * 100k-flow bridge is never held in memory).
 */
export async function readBridge(bridge: string, client: OpenFlowStatsClient, flowGroups: FlowGroups | undefined): Promise<BridgeReading> {
  const series = new SeriesBuffer();
  const failures: { what: string; error: Error }[] = [];
  const tunnels = new TunnelVlanMap();
  const vlans = new VlanTranslations();
  const portMeters = new PortMeters();
  flowGroups?.begin();
  const [desc, ports, tables, flows, queues, groups, meters, meterConfig] = await Promise.allSettled([
    client.portDesc(),
    client.portStats(),
    client.tableStats(),
    flowGroups === undefined
      ? Promise.resolve(undefined)
      : client.flowStats({}, (flow) => {
          flowGroups.add(flow);
          tunnels.add(flow);
          vlans.add(flow);
          portMeters.add(flow);
        }),
    client.queueStats(),
    client.groupStats(),
    client.meterStats(),
    client.meterConfig(),
  ]);
  const failed = <T>(what: string, result: PromiseSettledResult<T>): result is PromiseRejectedResult => {
    if (result.status === 'fulfilled') return false;
    failures.push({ what, error: asError(result.reason) });
    return true;
  };

  const names = new Map<number, string>();
  if (!failed('port_desc', desc)) for (const p of desc.value) names.set(p.portNo, p.name);
  if (!failed('ports', ports)) {
    for (const p of ports.value) {
      const labels = [bridge, names.get(p.portNo) ?? '', ofportLabel(p.portNo)];
      series.addKnown(M.portReceiveBytes, labels, p.rxBytes);
      series.addKnown(M.portTransmitBytes, labels, p.txBytes);
      series.addKnown(M.portReceivePackets, labels, p.rxPackets);
      series.addKnown(M.portTransmitPackets, labels, p.txPackets);
      series.addKnown(M.portReceiveDropped, labels, p.rxDropped);
      series.addKnown(M.portTransmitDropped, labels, p.txDropped);
      series.addKnown(M.portReceiveErrors, labels, p.rxErrors);
      series.addKnown(M.portTransmitErrors, labels, p.txErrors);
    }
  }

  if (!failed('tables', tables)) {
    for (const t of tables.value) {
      // 254 tables per bridge, nearly all unused: only tables with a flow or a lookup.
      if (t.activeCount === 0 && t.lookupCount === 0 && t.matchedCount === 0) continue;
      const labels = [bridge, String(t.tableId)];
      series.add(M.tableActiveFlows, labels, t.activeCount);
      series.add(M.tableLookups, labels, t.lookupCount);
      series.add(M.tableMatches, labels, t.matchedCount);
    }
  }

  let flowsDumped = false;
  if (flowGroups !== undefined) {
    if (failed('flows', flows)) {
      flowGroups.begin();
    } else {
      flowsDumped = true;
      const { groups: flowSums, overflowCookies } = flowGroups.end();
      for (const g of flowSums) {
        const labels = [bridge, String(g.table), g.cookie];
        series.add(M.flows, labels, g.flows);
        series.add(M.flowPackets, labels, g.packets);
        series.add(M.flowBytes, labels, g.bytes);
      }
      series.add(M.flowCookiesOverflow, [bridge], overflowCookies);
    }
  }

  if (!failed('queues', queues)) {
    for (const q of queues.value) {
      const labels = [bridge, names.get(q.portNo) ?? ofportLabel(q.portNo), String(q.queueId)];
      series.addKnown(M.queueTransmitBytes, labels, q.txBytes);
      series.addKnown(M.queueTransmitPackets, labels, q.txPackets);
      series.addKnown(M.queueTransmitErrors, labels, q.txErrors);
    }
  }

  if (!failed('groups', groups)) {
    for (const g of groups.value) {
      const id = String(g.groupId);
      const labels = [bridge, id];
      series.add(M.groupReferences, labels, g.refCount);
      series.addKnown(M.groupPackets, labels, g.packetCount);
      series.addKnown(M.groupBytes, labels, g.byteCount);
      g.buckets.forEach((b, i) => {
        const bucket = [bridge, id, String(i)];
        series.addKnown(M.groupBucketPackets, bucket, b.packetCount);
        series.addKnown(M.groupBucketBytes, bucket, b.byteCount);
      });
    }
  }

  const configs = new Map<number, MeterConfig>();
  const configsRead = !failed('meter_config', meterConfig);
  if (configsRead) for (const m of meterConfig.value) configs.set(m.meterId, m);
  if (!failed('meters', meters)) {
    for (const m of meters.value) {
      const id = String(m.meterId);
      const labels = [bridge, id];
      series.add(M.meterFlows, labels, m.flowCount);
      series.add(M.meterPackets, labels, m.packetInCount);
      series.add(M.meterBytes, labels, m.byteInCount);
      const bands = configs.get(m.meterId)?.bands;
      m.bands.forEach((b, i) => {
        const band = [bridge, id, String(i), bands?.[i]?.type ?? UNKNOWN];
        series.add(M.meterBandPackets, band, b.packetCount);
        series.add(M.meterBandBytes, band, b.byteCount);
      });
    }
  }
  return {
    series,
    flowsDumped,
    segments: flowsDumped ? { bridge, tunnels, vlans } : undefined,
    meters: flowsDumped && configsRead ? { bridge, ports: portMeters, configs } : undefined,
    failures,
  };
}
