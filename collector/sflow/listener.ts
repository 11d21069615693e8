/**
 * The sFlow v5 UDP listener: one socket (IPv4 or IPv6, DESIGN.md default 127.0.0.1:6343), one
 * reused decode context, and the health accounting around the pure decoder. Each datagram is
 * decoded straight into the downstream sink (enrichment → aggregation → output); a datagram
 * that fails to decode is counted by reason and logged at most once a minute per reason, and
 * nothing a datagram contains can throw out of the socket handler.
 */
import { parseListenAddress } from '../../common/listen-address.js';
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { TelemetryError, describeError } from '../../common/errors.js';
import { SampledLog, type Logger } from '../../common/log.js';
import { METRICS, type MetricCollector, type MetricSink } from '../../common/metrics.js';
import type { CounterRecord } from '../../common/counters.js';
import type { FlowRecord } from '../../common/model.js';
import { decodeDatagram, SflowContext, SflowDecodeError } from './decode.js';
import { SflowHealth, type AgentStats } from './health.js';
import type { DatagramHeader, SampleInfo, SflowSink, SkippedKind } from './types.js';
import { UdpSocketStats } from './udp-stats.js';

export const LISTENER_LABEL = 'sflow';

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

export interface BoundAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** Splits HOST:PORT / [V6]:PORT. */
export function parseUdpListenAddress(text: string): { host: string; port: number; type: 'udp4' | 'udp6' } {
  const { host, port } = parseListenAddress(text);
  return { host, port, type: isIP(host) === 6 ? 'udp6' : 'udp4' };
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
  private readonly warn: SampledLog;
  private socket: Socket | null = null;
  private bound: BoundAddress | null = null;
  private socketStats: UdpSocketStats | null = null;
  private receiveBuffer = 0;
  /** Receive time of the current batch of datagrams (see receiveTimeNs). */
  private batchNs = 0n;
  private batchTimed = false;
  private readonly endBatch = (): void => {
    this.batchTimed = false;
  };

  constructor(private readonly opts: SflowListenerOptions) {
    this.health = new SflowHealth({ maxAgents: opts.maxAgents, maxSources: opts.maxSources });
    this.tracking = new TrackingSink(this.health, opts.sink);
    this.warn = new SampledLog(opts.logger);
  }

  get address(): BoundAddress | null {
    return this.bound;
  }

  /** Binds the socket; rejects with TelemetryError('CONNECTION_FAILED') when it cannot. */
  async start(): Promise<BoundAddress> {
    const { host, port, type } = parseUdpListenAddress(this.opts.listenAddress);
    const socket = createSocket({ type, recvBufferSize: this.opts.receiveBufferBytes });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      socket.close();
      throw new TelemetryError('CONNECTION_FAILED', `sFlow listener cannot bind ${this.opts.listenAddress}: ${describeError(err)}`, { cause: err });
    });
    socket.on('error', (err) => this.warn.warn('socket', { err: err.message }, 'sFlow socket error'));
    socket.on('message', (msg, rinfo) => this.handle(msg, rinfo.address));
    const info = socket.address();
    this.socket = socket;
    this.bound = { address: info.address, port: info.port, family: info.family === 'IPv6' ? 'IPv6' : 'IPv4' };
    this.socketStats = new UdpSocketStats(info.port);
    try {
      this.receiveBuffer = socket.getRecvBufferSize();
    } catch {
      this.receiveBuffer = 0;
    }
    this.opts.logger.info({ address: this.opts.listenAddress, port: info.port, receiveBufferBytes: this.receiveBuffer }, 'sFlow listener bound');
    return this.bound;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** One datagram from `exporter` (its UDP source address): what the socket handler does. */
  handle(buf: Uint8Array, exporter: string): void {
    this.received++;
    this.ctx.timeReceivedNs = this.receiveTimeNs();
    const t = this.tracking;
    t.headerDone = false;
    t.agent = null;
    try {
      const header = decodeDatagram(buf, this.ctx, t);
      t.header(header);
      this.decoded++;
    } catch (err) {
      this.failed(err, exporter);
    }
  }

  /**
   * One clock read per event-loop turn: libuv hands the socket's queued datagrams over in one
   * turn, so they share the time it was read at (a clock read per datagram was 3% of the work).
   */
  private receiveTimeNs(): bigint {
    if (!this.batchTimed) {
      this.batchTimed = true;
      this.batchNs = BigInt(Date.now()) * 1_000_000n;
      setImmediate(this.endBatch);
    }
    return this.batchNs;
  }

  private failed(err: unknown, exporter: string): void {
    if (err instanceof SflowDecodeError) {
      const h = this.ctx.header;
      // A fault after a complete header (say, in the first sample) still counts the datagram.
      const headerLength = h.agentAddressFamily === 6 ? 40 : 28;
      if (h.agentAddressFamily !== 0 && err.reason !== 'too_many_samples' && err.offset >= headerLength) this.tracking.header(h);
      this.health.decodeError(exporter, err.reason);
      this.warn.warn(`decode:${err.reason}`, { exporter, reason: err.reason, err: err.message }, 'sFlow datagram not decoded (logged once a minute per reason)');
      return;
    }
    // A bug downstream (enrichment, aggregation, output) must not stop the listener either.
    this.health.decodeError(exporter, 'internal');
    this.warn.warn('internal', { exporter, err: describeError(err) }, 'sFlow datagram handling failed');
  }

  collect(sink: MetricSink): void {
    const address = this.opts.listenAddress;
    sink.add(METRICS.udpListenerUp, [LISTENER_LABEL, address], this.socket === null ? 0 : 1);
    this.health.collect(sink);
    if (this.socket === null) return;
    sink.add(METRICS.udpReceiveBuffer, [LISTENER_LABEL], this.receiveBuffer);
    const stats = this.socketStats?.read() ?? null;
    if (stats !== null) {
      sink.add(METRICS.udpReceiveBufferDrops, [LISTENER_LABEL], stats.drops);
      sink.add(METRICS.udpReceiveQueue, [LISTENER_LABEL], stats.rxQueueBytes);
    }
  }
}
