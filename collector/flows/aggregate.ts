/**
 * Aggregation of enriched, sampled flow records into bounded Prometheus series:
 * - ovs_flow_sampled_{bytes,packets}_total{network_id,project_id,direction,proto}: each
 *   sample scaled by its sampling rate (the estimate of what passed). Directions are the VM's:
 *   a record whose sending side is a local port counts as egress of that port's network, one
 *   whose receiving side is a local port as ingress of its network, so a packet between two
 *   local ports of a network counts once each way (as the interface counters do: received on
 *   one tap, transmitted on the other). A record with no local port but a network (from the VNI
 *   or VLAN) counts once: ingress when the network came with the arriving packet, egress when
 *   only its way out names it. Nothing attributable: network_id="unknown", direction "unknown".
 *   proto is a name from a fixed list, source the record's protocol (sflow, ipfix, netflow),
 *   so series per network are at most 3 × 6 × 3.
 *   Exporters that observe a packet once per interface it crosses (IPFIX with flowDirection,
 *   Open vSwitch NetFlow v5) are counted by one side only (`sides`): the sending port for
 *   what they saw entering, the receiving port for what they saw leaving (pipeline.ts).
 * - top talkers per network and source: weighted Space-Saving over "src dst proto" keys (sFlow and
 *   IPFIX from one host see the same packets: one ranking across them would count them twice).
 * Networks are capped (max_networks); samples of further networks count as "overflow".
 *
 * Hot path: a few Map lookups and Float64Array additions per record; talker keys are interned
 * (src → dst → proto), so a repeated pair builds no string.
 */
import { METRICS, type MetricSink } from '../../common/metrics.js';
import { UNKNOWN, type FlowRecord } from '../../common/model.js';
import { SpaceSaving } from './heavy-hitters.js';

export const DIRECTIONS = ['egress', 'ingress', 'unknown'] as const;
export type Direction = (typeof DIRECTIONS)[number];
const EGRESS = 0;
const INGRESS = 1;
const DIRECTION_UNKNOWN = 2;

export const PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmpv6', 'arp', 'other'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];
const P_TCP = 0;
const P_UDP = 1;
const P_ICMP = 2;
const P_ICMPV6 = 3;
const P_ARP = 4;
const P_OTHER = 5;
export const SOURCES = ['sflow', 'ipfix', 'netflow'] as const;
export type SourceName = (typeof SOURCES)[number];
const PER_SOURCE = DIRECTIONS.length * PROTOCOLS.length;
const SLOTS = SOURCES.length * PER_SOURCE;

/** Which sides of a record add() counts: both (sFlow), only the sender's or the receiver's port, or none. */
export const SIDES_BOTH = 0;
export const SIDE_IN = 1;
export const SIDE_OUT = 2;
export const SIDE_NONE = 3;

export const OVERFLOW = 'overflow';
/** Interned talker keys kept before the interner starts over (bounded memory). */
const MAX_INTERNED_KEYS = 65_536;
/** Space-Saving tracks this many keys per exported talker: keys above total/capacity are kept. */
const TALKER_CAPACITY_FACTOR = 4;
const MIN_TALKER_CAPACITY = 16;

function protoOf(etype: number, proto: number): number {
  if (etype === 0x0800 || etype === 0x86dd) {
    if (proto === 6) return P_TCP;
    if (proto === 17) return P_UDP;
    if (proto === 1) return P_ICMP;
    if (proto === 58) return P_ICMPV6;
    return P_OTHER;
  }
  return etype === 0x0806 ? P_ARP : P_OTHER;
}

/** The protocol of the tenant's packet: the inner one when the sampled header was tunnelled. */
export function protocolIndex(rec: FlowRecord): number {
  return rec.inner_etype !== 0 ? protoOf(rec.inner_etype, rec.inner_proto) : protoOf(rec.etype, rec.proto);
}

class NetworkSlot {
  readonly bytes = new Float64Array(SLOTS);
  readonly packets = new Float64Array(SLOTS);
  /** Label arrays per direction × protocol, kept for the exporter's label cache. */
  readonly seriesLabels: readonly (readonly string[])[];
  /** Per SOURCES index, made on a source's first sample. */
  readonly talkers: (SpaceSaving | null)[] = SOURCES.map(() => null);

  constructor(
    readonly networkId: string,
    readonly projectId: string,
  ) {
    this.seriesLabels = SOURCES.flatMap((s) => DIRECTIONS.flatMap((d) => PROTOCOLS.map((p) => [networkId, projectId, d, p, s])));
  }
}

/** "src dst proto" strings by their parts, so a repeated pair builds no new string. */
class TalkerKeys {
  private readonly bySrc = new Map<string, Map<string, (string | undefined)[]>>();
  private size = 0;
  // Consecutive samples are often of the same flow: the last key answers without a lookup.
  private lastSrc = '';
  private lastDst = '';
  private lastProto = -1;
  private lastKey = '';

  key(src: string, dst: string, proto: number): string {
    if (src === this.lastSrc && dst === this.lastDst && proto === this.lastProto) return this.lastKey;
    const key = this.lookup(src, dst, proto);
    this.lastSrc = src;
    this.lastDst = dst;
    this.lastProto = proto;
    this.lastKey = key;
    return key;
  }

  private lookup(src: string, dst: string, proto: number): string {
    let byDst = this.bySrc.get(src);
    let byProto = byDst?.get(dst);
    const hit = byProto?.[proto];
    if (hit !== undefined) return hit;
    if (this.size >= MAX_INTERNED_KEYS) {
      this.bySrc.clear();
      this.size = 0;
      byDst = undefined;
      byProto = undefined;
    }
    if (byDst === undefined) {
      byDst = new Map();
      this.bySrc.set(src, byDst);
    }
    if (byProto === undefined) {
      byProto = new Array<string | undefined>(PROTOCOLS.length);
      byDst.set(dst, byProto);
    }
    const key = `${src} ${dst} ${PROTOCOLS[proto]}`;
    byProto[proto] = key;
    this.size++;
    return key;
  }
}

export interface FlowAggregatorOptions {
  readonly maxNetworks: number;
  /** Talkers exported per network; 0 = no top talkers. */
  readonly topTalkers: number;
  /** Talker counts restart every window (0 = never). */
  readonly windowSeconds: number;
}

export class FlowAggregator {
  /** By network id: the slot of its first project, the rest by project (a network has one). */
  private readonly slots = new Map<string, NetworkSlot>();
  private readonly otherProjects = new Map<string, Map<string, NetworkSlot>>();
  private slotCount = 0;
  private readonly overflowSlot = new NetworkSlot(OVERFLOW, OVERFLOW);
  private readonly unknownSlot: NetworkSlot;
  private readonly talkerKeys = new TalkerKeys();
  private lastSlot: NetworkSlot;
  private timer: NodeJS.Timeout | null = null;
  /** Samples counted under "overflow" because max_networks was reached. */
  overflowSamples = 0;
  /** Records (per source) observed at an interface that is not a local port: not counted. */
  readonly notAtPort = new Float64Array(SOURCES.length);

  constructor(private readonly opts: FlowAggregatorOptions) {
    // Always present and outside the cap: what cannot be attributed is never dropped.
    this.unknownSlot = new NetworkSlot(UNKNOWN, UNKNOWN);
    this.slots.set(UNKNOWN, this.unknownSlot);
    this.lastSlot = this.unknownSlot;
  }

  /** Starts the talker window timer. */
  start(): void {
    if (this.opts.windowSeconds <= 0 || this.timer !== null) return;
    this.timer = setInterval(() => this.restartTalkers(), this.opts.windowSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Counts one enriched record (read only; the caller may reuse it afterwards). */
  add(rec: FlowRecord, sides = SIDES_BOTH): void {
    const source = sourceIndex(rec);
    if (sides === SIDE_NONE) {
      this.notAtPort[source]++;
      return;
    }
    const rate = rec.sampling_rate > 0 ? rec.sampling_rate : 1;
    const bytes = rec.bytes * rate;
    const packets = rec.packets * rate;
    const proto = protocolIndex(rec);
    const inLocal = rec.in_neutron_port_id !== '';
    const outLocal = rec.out_neutron_port_id !== '';
    let first: NetworkSlot;
    if (sides === SIDE_IN) {
      first = this.slot(rec.in_network_id, rec.in_project_id);
      count(first, source, EGRESS, proto, bytes, packets);
    } else if (sides === SIDE_OUT) {
      first = this.slot(rec.out_network_id, rec.out_project_id);
      count(first, source, INGRESS, proto, bytes, packets);
    } else if (inLocal || outLocal) {
      first = inLocal ? this.slot(rec.in_network_id, rec.in_project_id) : this.slot(rec.out_network_id, rec.out_project_id);
      count(first, source, inLocal ? EGRESS : INGRESS, proto, bytes, packets);
      if (inLocal && outLocal) {
        const same = rec.out_network_id === first.networkId && rec.out_project_id === first.projectId;
        count(same ? first : this.slot(rec.out_network_id, rec.out_project_id), source, INGRESS, proto, bytes, packets);
      }
    } else if (rec.in_network_id !== '') {
      first = this.slot(rec.in_network_id, rec.in_project_id);
      count(first, source, INGRESS, proto, bytes, packets);
    } else if (rec.out_network_id !== '') {
      first = this.slot(rec.out_network_id, rec.out_project_id);
      count(first, source, EGRESS, proto, bytes, packets);
    } else {
      first = this.unknownSlot;
      count(first, source, DIRECTION_UNKNOWN, proto, bytes, packets);
    }
    if (this.opts.topTalkers > 0 && bytes > 0) this.addTalker(first, source, rec, proto, bytes);
  }

  /** Scaled bytes counted for one series, of one source or all (0 when none), for tests and the bench. */
  bytes(networkId: string, projectId: string, direction: Direction, proto: ProtocolName, source?: SourceName): number {
    const slot = this.find(networkId, projectId);
    if (slot === undefined) return 0;
    const i = DIRECTIONS.indexOf(direction) * PROTOCOLS.length + PROTOCOLS.indexOf(proto);
    let n = 0;
    SOURCES.forEach((s, k) => {
      if (source === undefined || source === s) n += slot.bytes[k * PER_SOURCE + i];
    });
    return n;
  }

  /** The top talkers of a network from one source now, heaviest first: [src, dst, proto, bytes]. */
  topTalkers(networkId: string, projectId: string, source: SourceName): [string, string, string, number][] {
    const talkers = this.find(networkId, projectId)?.talkers[SOURCES.indexOf(source)];
    if (talkers == null) return [];
    return talkers.top(this.opts.topTalkers).map((t) => {
      const [src, dst, proto] = t.key.split(' ');
      return [src, dst, proto, t.count];
    });
  }

  /** Starts a new talker window (old talkers give way to current ones). */
  restartTalkers(): void {
    for (const slot of this.allSlots()) for (const talkers of slot.talkers) talkers?.clear();
  }

  collect(sink: MetricSink): void {
    for (const slot of this.allSlots()) this.collectSlot(sink, slot);
    sink.add(METRICS.flowNetworkOverflow, [], this.overflowSamples);
    SOURCES.forEach((s, i) => {
      if (s !== 'sflow') sink.add(METRICS.flowRecordsNotAtPort, [s], this.notAtPort[i]);
    });
  }

  private collectSlot(sink: MetricSink, slot: NetworkSlot): void {
    for (let i = 0; i < SLOTS; i++) {
      if (slot.packets[i] === 0) continue;
      sink.add(METRICS.flowSampledBytes, slot.seriesLabels[i], slot.bytes[i]);
      sink.add(METRICS.flowSampledPackets, slot.seriesLabels[i], slot.packets[i]);
    }
    slot.talkers.forEach((talkers, i) => {
      for (const t of talkers?.top(this.opts.topTalkers) ?? []) {
        const [src, dst, proto] = t.key.split(' ');
        sink.add(METRICS.flowTopTalkerBytes, [slot.networkId, slot.projectId, src, dst, proto, SOURCES[i]], t.count);
      }
    });
  }

  private addTalker(slot: NetworkSlot, source: number, rec: FlowRecord, proto: number, bytes: number): void {
    const inner = rec.inner_etype !== 0;
    let src = inner ? rec.inner_src_addr : rec.src_addr;
    let dst = inner ? rec.inner_dst_addr : rec.dst_addr;
    if (src === '' || dst === '') {
      src = inner ? rec.inner_src_mac : rec.src_mac;
      dst = inner ? rec.inner_dst_mac : rec.dst_mac;
    }
    if (src === '' || dst === '') return;
    const talkers = (slot.talkers[source] ??= new SpaceSaving(Math.max(MIN_TALKER_CAPACITY, this.opts.topTalkers * TALKER_CAPACITY_FACTOR)));
    talkers.add(this.talkerKeys.key(src, dst, proto), bytes);
  }

  private slot(networkId: string, projectId: string): NetworkSlot {
    // Consecutive samples are mostly of one network: compare references before hashing.
    const last = this.lastSlot;
    if (last.networkId === networkId && last.projectId === projectId) return last;
    const found = this.findOrAdd(networkId, projectId);
    this.lastSlot = found;
    return found;
  }

  private findOrAdd(networkId: string, projectId: string): NetworkSlot {
    const slot = this.slots.get(networkId);
    if (slot !== undefined && slot.projectId === projectId) return slot;
    return this.otherProjects.get(networkId)?.get(projectId) ?? this.addSlot(networkId, projectId);
  }

  private find(networkId: string, projectId: string): NetworkSlot | undefined {
    if (networkId === OVERFLOW && projectId === OVERFLOW) return this.overflowSlot;
    const slot = this.slots.get(networkId);
    return slot !== undefined && slot.projectId === projectId ? slot : this.otherProjects.get(networkId)?.get(projectId);
  }

  private addSlot(networkId: string, projectId: string): NetworkSlot {
    if (this.slotCount >= this.opts.maxNetworks) {
      this.overflowSamples++;
      return this.overflowSlot;
    }
    const slot = new NetworkSlot(networkId, projectId);
    this.slotCount++;
    if (!this.slots.has(networkId)) {
      this.slots.set(networkId, slot);
      return slot;
    }
    let byProject = this.otherProjects.get(networkId);
    if (byProject === undefined) {
      byProject = new Map();
      this.otherProjects.set(networkId, byProject);
    }
    byProject.set(projectId, slot);
    return slot;
  }

  private *allSlots(): Iterable<NetworkSlot> {
    yield* this.slots.values();
    for (const byProject of this.otherProjects.values()) yield* byProject.values();
    yield this.overflowSlot;
  }
}

/** SOURCES index of a record's protocol. */
/** The record's index in SOURCES. */
export function sourceIndex(rec: FlowRecord): number {
  return rec.type === 'SFLOW_5' ? 0 : rec.type === 'IPFIX' ? 1 : 2;
}

function count(slot: NetworkSlot, source: number, direction: number, proto: number, bytes: number, packets: number): void {
  const i = source * PER_SOURCE + direction * PROTOCOLS.length + proto;
  slot.bytes[i] += bytes;
  slot.packets[i] += packets;
}
