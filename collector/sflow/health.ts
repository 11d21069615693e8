/**
 * sFlow exporter health: per agent and sub-agent, the datagrams and samples received, the
 * datagrams and samples missing from their sequence numbers, agent restarts, and decode errors
 * by reason. Pure accounting (no socket): the listener feeds it the decoder's reused header and
 * sample objects. Memory is bounded: at most `maxAgents` agent/sub-agent pairs and `maxSources`
 * sample sources are tracked; what comes from beyond the caps is still counted in totals.
 *
 * Sequence numbers (sflow_version_5.txt): the datagram sequence number counts datagrams per
 * agent and sub-agent; each sample's sequence number counts the samples of its source (flow
 * sampler or counter poller). Both are 32-bit and wrap; an agent that restarts starts again.
 */
import { METRICS, type MetricSink } from '../../common/metrics.js';
import { DecodeErrorCounts } from '../udp/decode-errors.js';
import { SAMPLE_COUNTERS, SAMPLE_COUNTERS_EXPANDED, type DatagramHeader, type SampleInfo, type SkippedKind } from './types.js';

const HALF_RANGE = 2 ** 31;
/** A datagram this many sequence numbers behind the last one is a restart, not a late arrival. */
const REORDER_WINDOW = 1024;
/** Uptime going back by more than this is a restart (reordering on a network is far shorter). */
const REORDER_MS = 2_000;
/** Uptime is a u32 of milliseconds: it wraps after 49.7 days without a restart. */
const UPTIME_WRAP_HIGH = 0xf000_0000;
const UPTIME_WRAP_LOW = 0x1000_0000;

/** Per-source sample sequence state. */
interface SourceState {
  sequence: number;
  drops: number;
}

/** Counts of one agent/sub-agent pair; label arrays are kept for the exporter's label cache. */
export class AgentStats {
  readonly labels: readonly string[];
  readonly flowLabels: readonly string[];
  readonly counterLabels: readonly string[];
  readonly otherLabels: readonly string[];
  readonly samplingLabels: readonly string[];
  datagrams = 0;
  /** The sampling rate of the last flow sample. */
  samplingRate = 0;
  flowSamples = 0;
  counterSamples = 0;
  otherSamples = 0;
  lostDatagrams = 0;
  lostFlowSamples = 0;
  lostCounterSamples = 0;
  agentDroppedSamples = 0;
  outOfOrder = 0;
  restarts = 0;
  lastSequence = -1;
  lastUptimeMs = 0;
  readonly sources = new Map<number, SourceState>();
  lastSourceKey = -1;
  lastSource: SourceState | undefined = undefined;

  constructor(
    readonly agent: string,
    readonly subAgent: number,
  ) {
    const sub = String(subAgent);
    this.labels = [agent, sub];
    this.flowLabels = [agent, sub, 'flow'];
    this.counterLabels = [agent, sub, 'counters'];
    this.otherLabels = [agent, sub, 'other'];
    this.samplingLabels = ['sflow', agent, sub];
  }
}

export interface SflowHealthLimits {
  readonly maxAgents: number;
  readonly maxSources: number;
}

const SKIPPED_KINDS: readonly SkippedKind[] = ['sample', 'flow_record', 'counter_record'];

export class SflowHealth {
  private readonly agents = new Map<string, Map<number, AgentStats>>();
  /** The last datagram's agent: datagrams come in runs from one agent (and one address text). */
  private lastAgent: AgentStats | null = null;
  private agentCount = 0;
  private sourceCount = 0;
  private readonly errors: DecodeErrorCounts;
  private readonly skippedCounts = new Float64Array(SKIPPED_KINDS.length);
  /** Datagrams / samples decoded but not sequence-tracked (caps reached). */
  untrackedDatagrams = 0;
  untrackedSamples = 0;

  constructor(private readonly limits: SflowHealthLimits) {
    this.errors = new DecodeErrorCounts(limits.maxAgents);
  }

  get trackedAgents(): number {
    return this.agentCount;
  }

  get trackedSources(): number {
    return this.sourceCount;
  }

  /** Accounts one datagram header (once per datagram, before its samples). */
  datagram(h: DatagramHeader): AgentStats | null {
    const a = this.agentOf(h.agentAddress, h.subAgentId);
    if (a === null) {
      this.untrackedDatagrams++;
      return null;
    }
    a.datagrams++;
    const seq = h.sequence;
    const uptime = h.uptimeMs;
    if (a.lastSequence < 0) {
      a.lastSequence = seq;
      a.lastUptimeMs = uptime;
      return a;
    }
    const diff = (seq - a.lastSequence) >>> 0;
    const forward = diff !== 0 && diff < HALF_RANGE;
    const uptimeWrapped = a.lastUptimeMs >= UPTIME_WRAP_HIGH && uptime < UPTIME_WRAP_LOW;
    const uptimeBack = uptime + REORDER_MS < a.lastUptimeMs && !uptimeWrapped;
    const farBack = !forward && diff !== 0 && 2 ** 32 - diff > REORDER_WINDOW;
    if (uptimeBack || farBack) {
      a.restarts++;
      this.sourceCount -= a.sources.size;
      a.sources.clear();
      a.lastSourceKey = -1;
      a.lastSource = undefined;
    } else if (forward) {
      a.lostDatagrams += diff - 1;
    } else {
      a.outOfOrder++; // late or duplicate: keep the newest position
      return a;
    }
    a.lastSequence = seq;
    a.lastUptimeMs = uptime;
    return a;
  }

  /** Accounts one sample of a datagram accounted by datagram(). */
  sample(a: AgentStats | null, s: SampleInfo): void {
    const counters = s.format === SAMPLE_COUNTERS || s.format === SAMPLE_COUNTERS_EXPANDED;
    if (a === null) {
      this.untrackedSamples++;
      return;
    }
    if (counters) a.counterSamples++;
    else {
      a.flowSamples++;
      a.samplingRate = s.samplingRate;
    }
    // Compact source ids are 8 + 24 bits; expanded ones 32 + 32 (types above 3 do not occur).
    const key = s.sourceIdIndex * 8 + (s.sourceIdType & 3) * 2 + (counters ? 1 : 0);
    // The flow samples of a datagram mostly share one source (OVS: one sampler per bridge).
    const st = key === a.lastSourceKey ? a.lastSource : a.sources.get(key);
    if (st === undefined) {
      if (this.sourceCount >= this.limits.maxSources) {
        this.untrackedSamples++;
        return;
      }
      a.sources.set(key, { sequence: s.sequence, drops: s.drops });
      this.sourceCount++;
      return;
    }
    a.lastSourceKey = key;
    a.lastSource = st;
    const diff = (s.sequence - st.sequence) >>> 0;
    if (diff === 0 || diff >= HALF_RANGE) return; // late or repeated
    if (counters) a.lostCounterSamples += diff - 1;
    else {
      a.lostFlowSamples += diff - 1;
      const dropped = (s.drops - st.drops) >>> 0;
      if (dropped < HALF_RANGE) a.agentDroppedSamples += dropped;
      st.drops = s.drops;
    }
    st.sequence = s.sequence;
  }

  /** A sample of a format the decoder skips (counted as type "other" for its agent). */
  skipped(a: AgentStats | null, kind: SkippedKind): void {
    this.skippedCounts[SKIPPED_KINDS.indexOf(kind)]++;
    if (kind === 'sample' && a !== null) a.otherSamples++;
  }

  /** A datagram that failed to decode; `exporter` is its UDP source address. */
  decodeError(exporter: string, reason: string): void {
    this.errors.add(exporter, reason);
  }

  /** Total decode errors (all exporters and reasons). */
  get decodeErrors(): number {
    return this.errors.total;
  }

  agent(address: string, subAgent: number): AgentStats | undefined {
    return this.agents.get(address)?.get(subAgent);
  }

  collect(sink: MetricSink): void {
    for (const bySub of this.agents.values()) {
      for (const a of bySub.values()) {
        sink.add(METRICS.sflowDatagrams, a.labels, a.datagrams);
        sink.add(METRICS.sflowSamples, a.flowLabels, a.flowSamples);
        sink.add(METRICS.sflowSamples, a.counterLabels, a.counterSamples);
        sink.add(METRICS.sflowSamples, a.otherLabels, a.otherSamples);
        sink.add(METRICS.sflowLostDatagrams, a.labels, a.lostDatagrams);
        sink.add(METRICS.sflowLostSamples, a.flowLabels, a.lostFlowSamples);
        sink.add(METRICS.sflowLostSamples, a.counterLabels, a.lostCounterSamples);
        sink.add(METRICS.sflowAgentDroppedSamples, a.labels, a.agentDroppedSamples);
        sink.add(METRICS.sflowOutOfOrder, a.labels, a.outOfOrder);
        sink.add(METRICS.sflowAgentRestarts, a.labels, a.restarts);
        if (a.flowSamples > 0) sink.add(METRICS.flowExporterSamplingRate, a.samplingLabels, a.samplingRate);
      }
    }
    this.errors.collect(sink, METRICS.sflowDecodeErrors);
    SKIPPED_KINDS.forEach((kind, i) => sink.add(METRICS.sflowSkipped, [kind], this.skippedCounts[i]));
    sink.add(METRICS.sflowAgents, [], this.agentCount);
    sink.add(METRICS.sflowUntracked, ['datagrams'], this.untrackedDatagrams);
    sink.add(METRICS.sflowUntracked, ['samples'], this.untrackedSamples);
  }

  private agentOf(address: string, subAgent: number): AgentStats | null {
    const last = this.lastAgent;
    if (last !== null && last.agent === address && last.subAgent === subAgent) return last;
    let bySub = this.agents.get(address);
    let a = bySub?.get(subAgent);
    if (a !== undefined) return (this.lastAgent = a);
    if (this.agentCount >= this.limits.maxAgents) return null;
    if (bySub === undefined) {
      bySub = new Map();
      this.agents.set(address, bySub);
    }
    a = new AgentStats(address, subAgent);
    bySub.set(subAgent, a);
    this.agentCount++;
    return (this.lastAgent = a);
  }
}
