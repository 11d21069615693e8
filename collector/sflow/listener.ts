/**
 * The sFlow v5 UDP listener: one socket (IPv4 or IPv6, DESIGN.md default 127.0.0.1:6343), one
 * reused decode context, and the health accounting around the pure decoder. Each datagram is
 * decoded straight into the downstream sink (enrichment → aggregation → output); a datagram
 * that fails to decode is counted by reason and logged at most once a minute per reason, and
 * nothing a datagram contains can throw out of the socket handler.
 */
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { MetricCollector, MetricSink } from '../../common/metrics.js';
import type { CounterRecord } from '../../common/counters.js';
import type { FlowRecord } from '../../common/model.js';
import { UdpReceiver, type BoundAddress } from '../udp/receiver.js';
import { decodeDatagram, SflowContext, SflowDecodeError } from './decode.js';
import { SflowHealth, type AgentStats } from './health.js';
import type { DatagramHeader, SampleInfo, SflowSink, SkippedKind } from './types.js';

export interface SflowListenerOptions {
  /** HOST:PORT, IPv6 as [ADDR]:PORT; port 0 picks a free port. */
  readonly listenAddress: string;
  /** SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max). */
  readonly receiveBufferBytes: number;
  readonly maxAgents: number;
  readonly maxSources: number;
  /** Where decoded samples go (called synchronously with the decoder's reused objects). */
  readonly sink: SflowSink;
  readonly logger: Logger;
}

/** Sits between the decoder and the downstream sink: accounts each datagram once, then its samples. */
class TrackingSink implements SflowSink {
  agent: AgentStats | null = null;
  headerDone = false;

  constructor(
    private readonly health: SflowHealth,
    private readonly next: SflowSink,
  ) {}

  /** Accounts the datagram header if no sample did yet. */
  header(h: DatagramHeader): void {
    if (this.headerDone) return;
    this.headerDone = true;
    this.agent = this.health.datagram(h);
  }

  flow(rec: FlowRecord, sample: SampleInfo, h: DatagramHeader): void {
    this.header(h);
    this.health.sample(this.agent, sample);
    this.next.flow(rec, sample, h);
  }

  counters(rec: CounterRecord, sample: SampleInfo, h: DatagramHeader): void {
    this.header(h);
    this.health.sample(this.agent, sample);
    this.next.counters(rec, sample, h);
  }

  skipped(kind: SkippedKind, enterprise: number, format: number, h: DatagramHeader): void {
    this.header(h);
    this.health.skipped(this.agent, kind);
    this.next.skipped?.(kind, enterprise, format, h);
  }
}

export class SflowListener implements MetricCollector {
  readonly name = 'sflow';
  readonly health: SflowHealth;
  /** Datagrams received from the socket, and those decoded without error. */
  received = 0;
  decoded = 0;
  private readonly ctx = new SflowContext();
  private readonly tracking: TrackingSink;
  private readonly receiver: UdpReceiver;

  constructor(opts: SflowListenerOptions) {
    this.health = new SflowHealth({ maxAgents: opts.maxAgents, maxSources: opts.maxSources });
    this.tracking = new TrackingSink(this.health, opts.sink);
    this.receiver = new UdpReceiver({
      label: 'sflow',
      protocol: 'sFlow',
      listenAddress: opts.listenAddress,
      receiveBufferBytes: opts.receiveBufferBytes,
      logger: opts.logger,
      datagram: (buf) => this.decode(buf),
      failed: (err, address) => this.failed(err, address),
    });
  }

  get address(): BoundAddress | null {
    return this.receiver.address;
  }

  /** Binds the socket; rejects with TelemetryError('CONNECTION_FAILED') when it cannot. */
  start(): Promise<BoundAddress> {
    return this.receiver.start();
  }

  stop(): Promise<void> {
    return this.receiver.stop();
  }

  /** One datagram from `exporter` (its UDP source address): what the socket handler does. */
  handle(buf: Uint8Array, exporter: string): void {
    this.receiver.deliver(buf, exporter, -1);
  }

  private decode(buf: Uint8Array): void {
    this.received++;
    this.ctx.timeReceivedNs = this.receiver.receiveTimeNs();
    const t = this.tracking;
    t.headerDone = false;
    t.agent = null;
    const header = decodeDatagram(buf, this.ctx, t);
    t.header(header);
    this.decoded++;
  }

  private failed(err: unknown, exporter: string): void {
    if (err instanceof SflowDecodeError) {
      const h = this.ctx.header;
      // A fault after a complete header (say, in the first sample) still counts the datagram.
      const headerLength = h.agentAddressFamily === 6 ? 40 : 28;
      if (h.agentAddressFamily !== 0 && err.reason !== 'too_many_samples' && err.offset >= headerLength) this.tracking.header(h);
      this.health.decodeError(exporter, err.reason);
      this.receiver.warn.warn(`decode:${err.reason}`, { exporter, reason: err.reason, err: err.message }, 'sFlow datagram not decoded (logged once a minute per reason)');
      return;
    }
    // A bug downstream (enrichment, aggregation, output) must not stop the listener either.
    this.health.decodeError(exporter, 'internal');
    this.receiver.warn.warn('internal', { exporter, err: describeError(err) }, 'sFlow datagram handling failed');
  }

  collect(sink: MetricSink): void {
    this.receiver.collect(sink);
    this.health.collect(sink);
  }
}
