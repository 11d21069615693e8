/**
 * The UDP socket part every flow listener shares (sFlow, IPFIX, NetFlow): bind IPv4 or IPv6
 * (DESIGN.md: 127.0.0.1 unless configured), ask for a receive buffer, time each batch of
 * datagrams once, hand every datagram to the protocol's handler with nothing able to throw
 * out of the socket callback, log at most once a minute per kind, and report the socket's
 * health (listener up, SO_RCVBUF granted, kernel drops and queue from /proc/net/udp).
 * Datagrams come from the native batch socket (recvmmsg, batch-socket.ts) where it is built,
 * else from node:dgram.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { TelemetryError, describeError } from '../../common/errors.js';
import { parseListenAddress } from '../../common/listen-address.js';
import { SampledLog, type Logger } from '../../common/log.js';
import { METRICS, type MetricSink } from '../../common/metrics.js';
import { BatchSocket, loadBatchSocket, type UdpBatchAddon } from './batch-socket.js';
import { UdpSocketStats } from './udp-stats.js';

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

export interface UdpReceiverOptions {
  /** The `listener` label of the socket's metrics ("sflow", "ipfix", "netflow"). */
  readonly label: string;
  /** The protocol's name in log lines and errors ("sFlow", "IPFIX"). */
  readonly protocol: string;
  /** HOST:PORT, IPv6 as [ADDR]:PORT; port 0 picks a free port. */
  readonly listenAddress: string;
  /** SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max). */
  readonly receiveBufferBytes: number;
  readonly logger: Logger;
  /** One datagram (from the socket or deliver()); what it throws is passed to `failed`. */
  readonly datagram: (buf: Uint8Array, address: string, port: number) => void;
  readonly failed: (err: unknown, address: string) => void;
  /** `dgram`: node:dgram even where the native batch socket is built (default: batch if built). */
  readonly receive?: 'batch' | 'dgram';
}

/** How the listener's datagrams arrive (logged when it binds). */
export type ReceivePath = 'recvmmsg' | 'node:dgram';

interface OpenSocket {
  readonly address: BoundAddress;
  readonly receiveBufferBytes: number;
  readonly path: ReceivePath;
  close(): Promise<void>;
}

export class UdpReceiver {
  /** Sampled warnings, shared with the protocol listener (one line a minute per key). */
  readonly warn: SampledLog;
  private socket: OpenSocket | null = null;
  private bound: BoundAddress | null = null;
  private socketStats: UdpSocketStats | null = null;
  /** Receive time of the current batch of datagrams (see receiveTimeNs). */
  private batchNs = 0n;
  private batchTimed = false;
  private readonly endBatch = (): void => {
    this.batchTimed = false;
  };

  constructor(private readonly opts: UdpReceiverOptions) {
    this.warn = new SampledLog(opts.logger);
  }

  get address(): BoundAddress | null {
    return this.bound;
  }

  get listening(): boolean {
    return this.socket !== null;
  }

  /** Binds the socket; rejects with TelemetryError('CONNECTION_FAILED') when it cannot. */
  async start(): Promise<BoundAddress> {
    const { protocol, listenAddress } = this.opts;
    const native = this.opts.receive === 'dgram' ? undefined : loadBatchSocket();
    if (native !== undefined && 'reason' in native) {
      this.opts.logger.warn({ reason: native.reason }, `${protocol} listener: native batch receive unavailable, using node:dgram`);
    }
    const open = await (native !== undefined && 'addon' in native ? this.openBatch(native.addon) : this.openDgram()).catch((err: unknown) => {
      throw new TelemetryError('CONNECTION_FAILED', `${protocol} listener cannot bind ${listenAddress}: ${describeError(err)}`, { cause: err });
    });
    this.socket = open;
    this.bound = open.address;
    this.socketStats = new UdpSocketStats(open.address.port);
    this.opts.logger.info(
      { address: listenAddress, port: open.address.port, receiveBufferBytes: open.receiveBufferBytes, receive: open.path },
      `${protocol} listener bound`,
    );
    return this.bound;
  }

  private async openBatch(addon: UdpBatchAddon): Promise<OpenSocket> {
    const { host, port, type } = parseUdpListenAddress(this.opts.listenAddress);
    const numeric = isIP(host) !== 0 ? host : (await lookup(host, { family: type === 'udp6' ? 6 : 4 })).address;
    const socket = new BatchSocket(
      addon,
      numeric,
      port,
      this.opts.receiveBufferBytes,
      (buf, address, fromPort) => this.deliver(buf, address, fromPort),
      () => this.startBatch(),
      this.endBatch,
      (errno) => this.warn.warn('socket', { errno }, `${this.opts.protocol} socket error`),
    );
    return {
      address: { address: numeric, port: socket.port, family: isIP(numeric) === 6 ? 'IPv6' : 'IPv4' },
      receiveBufferBytes: socket.receiveBufferBytes,
      path: 'recvmmsg',
      close: () => socket.close(),
    };
  }

  private async openDgram(): Promise<OpenSocket> {
    const { protocol } = this.opts;
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
      throw err;
    });
    socket.on('error', (err) => this.warn.warn('socket', { err: err.message }, `${protocol} socket error`));
    socket.on('message', (msg, rinfo) => this.deliver(msg, rinfo.address, rinfo.port));
    const info = socket.address();
    let receiveBufferBytes = 0;
    try {
      receiveBufferBytes = socket.getRecvBufferSize();
    } catch {
      // not reported on this platform: the metric says 0
    }
    return {
      address: { address: info.address, port: info.port, family: info.family === 'IPv6' ? 'IPv6' : 'IPv4' },
      receiveBufferBytes,
      path: 'node:dgram',
      close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
    };
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return;
    await socket.close();
  }

  /** Hands one datagram to the protocol's handler; what it throws goes to `failed`, never further. */
  deliver(buf: Uint8Array, address: string, port: number): void {
    try {
      this.opts.datagram(buf, address, port);
    } catch (err) {
      this.opts.failed(err, address);
    }
  }

  /** The native socket's batches: its datagrams share one receive time. */
  private startBatch(): void {
    this.batchNs = BigInt(Date.now()) * 1_000_000n;
    this.batchTimed = true;
  }

  /**
   * One clock read per event-loop turn: libuv hands the socket's queued datagrams over in one
   * turn, so they share the time it was read at (a clock read per datagram was 3% of the work).
   */
  receiveTimeNs(): bigint {
    if (!this.batchTimed) {
      this.batchTimed = true;
      this.batchNs = BigInt(Date.now()) * 1_000_000n;
      setImmediate(this.endBatch);
    }
    return this.batchNs;
  }

  collect(sink: MetricSink): void {
    const label = this.opts.label;
    sink.add(METRICS.udpListenerUp, [label, this.opts.listenAddress], this.socket === null ? 0 : 1);
    if (this.socket === null) return;
    sink.add(METRICS.udpReceiveBuffer, [label], this.socket.receiveBufferBytes);
    const stats = this.socketStats?.read() ?? null;
    if (stats !== null) {
      sink.add(METRICS.udpReceiveBufferDrops, [label], stats.drops);
      sink.add(METRICS.udpReceiveQueue, [label], stats.rxQueueBytes);
    }
  }
}
