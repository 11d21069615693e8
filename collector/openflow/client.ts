/**
 * One OpenFlow connection to a switch (OVS bridge), native: no ovs-ofctl child processes.
 * HELLO negotiation (OF1.3 - 1.5 by default), ECHO both ways, request/reply matching by xid with
 * a timeout on silence, multipart replies decoded message by message (a 100k-flow dump streams
 * through `flowStats` without ever being held as one buffer), FLOW_MOD/METER_MOD confirmed by a
 * BARRIER. A malformed message resets the connection: every pending call rejects with a PROTOCOL
 * TelemetryError and `close` is emitted; a client is not reused after that (see OpenFlowSession).
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { TelemetryError, isTelemetryError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/log.js';
import {
  HEADER_LEN,
  MsgType,
  MultipartType,
  OFPET_HELLO_FAILED,
  OFPG_ALL,
  OFPHFC_INCOMPATIBLE,
  OFPM_ALL,
  OFPP_ANY,
  OFPQ_ALL,
  SUPPORTED_VERSIONS,
  versionName,
  type OfVersion,
} from './constants.js';
import { MessageFramer } from './framer.js';
import {
  allocMultipartRequest,
  decodeError,
  decodeFeaturesReply,
  decodeHeader,
  decodeMultipartReply,
  encodeEcho,
  encodeEmpty,
  encodeError,
  encodeHello,
  negotiateVersion,
  type ErrorMessage,
  type SwitchFeatures,
} from './messages.js';
import { encodeFlowMod, encodeMeterMod, type FlowMod, type MeterMod } from './mods.js';
import {
  decodeAggregate,
  decodeGroupDesc,
  decodeGroupStats,
  decodeMeterConfig,
  decodeMeterStats,
  decodePortDesc,
  decodePortStats,
  decodeQueueStats,
  decodeTableStats,
  descRequestBody,
  flowStatsRequestBody,
  forEachFlowStats,
  idRequestBody,
  queueStatsRequestBody,
  type AggregateStats,
  type FlowStats,
  type FlowStatsRequest,
  type GroupDesc,
  type GroupStats,
  type MeterConfig,
  type MeterStats,
  type PortDesc,
  type PortStats,
  type QueueStats,
  type TableStats,
} from './stats.js';
import { openSocket, parseTarget, type Target, type TlsFiles } from './transport.js';
import { protocolError } from './wire.js';

export interface OpenFlowClientOptions {
  /** `unix:<rundir>/<bridge>.mgmt`, `tcp:IP:PORT` or `ssl:IP:PORT`. */
  readonly target: string;
  /** Required for ssl: targets. */
  readonly tls?: TlsFiles;
  /** Versions offered in HELLO; the highest common one is used. Default OF1.3, 1.4, 1.5. */
  readonly versions?: readonly OfVersion[];
  /** Connect + handshake limit, and the longest silence allowed while a reply is due. Default 10 s. */
  readonly timeoutMs?: number;
  /** Send ECHO_REQUEST after this much silence; no reply within timeoutMs resets the connection. 0 = never. Default 15 s. */
  readonly echoIntervalMs?: number;
  readonly logger?: Logger;
}

/** An OFPT_ERROR reply to one of our requests: code RPC_ERROR, with the OpenFlow type/code. */
export class OpenFlowError extends TelemetryError {
  readonly errorType: number;
  readonly errorCode: number;
  readonly typeName: string;

  constructor(err: ErrorMessage, request: string) {
    super('RPC_ERROR', `OpenFlow: switch rejected ${request}: ${err.typeName} (type ${err.type}), code ${err.code}`);
    this.errorType = err.type;
    this.errorCode = err.code;
    this.typeName = err.typeName;
  }
}

interface Pending {
  readonly what: string;
  readonly expectType: number;
  /** Handles one reply message; returns true when the request is complete. */
  readonly onReply: (msg: Buffer) => boolean;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  /** What a timeout means: reject this call (default) or reset the connection (echo). */
  readonly fatalTimeout: boolean;
  timer: NodeJS.Timeout | undefined;
}

type State = 'new' | 'connecting' | 'open' | 'closed';

/** expectType of requests that have no reply message on success. */
const NO_REPLY = -1;

export class OpenFlowClient extends EventEmitter<{ close: [Error | undefined] }> {
  private readonly target: Target;
  private readonly versions: readonly OfVersion[];
  private readonly timeoutMs: number;
  private readonly echoIntervalMs: number;
  private readonly log: Logger;
  private readonly pending = new Map<number, Pending>();
  private readonly framer = new MessageFramer((msg) => this.dispatch(msg));
  private socket: net.Socket | undefined;
  private state: State = 'new';
  private negotiated: OfVersion | undefined;
  private nextXid = 1;
  private lastReceived = 0;
  private echoTimer: NodeJS.Timeout | undefined;
  private handshake: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(private readonly options: OpenFlowClientOptions) {
    super();
    this.target = parseTarget(options.target);
    const versions = options.versions ?? SUPPORTED_VERSIONS;
    if (versions.length === 0 || versions.some((v) => !SUPPORTED_VERSIONS.includes(v))) {
      throw new TelemetryError('CONFIG_INVALID', `OpenFlow versions must be a non-empty subset of ${SUPPORTED_VERSIONS.map(versionName).join(', ')}`);
    }
    this.versions = versions;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.echoIntervalMs = options.echoIntervalMs ?? 15_000;
    this.log = options.logger ?? silentLogger;
  }

  /** The negotiated wire version (after connect). */
  get version(): OfVersion {
    if (this.negotiated === undefined) throw new TelemetryError('CONNECTION_CLOSED', 'OpenFlow: not connected');
    return this.negotiated;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Opens the connection and completes the HELLO exchange. */
  async connect(): Promise<void> {
    if (this.state !== 'new') throw new TelemetryError('USAGE', 'OpenFlowClient.connect() may be called once');
    this.state = 'connecting';
    let socket: net.Socket;
    try {
      socket = await openSocket(this.target, this.options.tls, this.timeoutMs);
    } catch (err) {
      this.state = 'closed';
      throw err;
    }
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new TelemetryError('CONNECTION_CLOSED', `OpenFlow: ${this.options.target}: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new TelemetryError('CONNECTION_CLOSED', `OpenFlow: ${this.options.target} closed the connection`)));

    const handshake = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TelemetryError('TIMEOUT', `OpenFlow: no HELLO from ${this.options.target} within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.handshake = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
    socket.write(encodeHello(this.versions, this.takeXid()));
    try {
      await handshake;
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      throw err;
    } finally {
      this.handshake = undefined;
    }
    this.startEcho();
    this.log.debug({ target: this.options.target, version: versionName(this.version) }, 'openflow connected');
  }

  /**
   * The peer's HELLO, handled synchronously so that messages right behind it in the same chunk
   * already see the negotiated version.
   */
  private onHello(msg: Buffer): void {
    const version = negotiateVersion(this.versions, msg);
    if (version === undefined) {
      this.socket?.write(encodeError(this.versions[0], msg.readUInt32BE(4), OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, Buffer.from('no common version')));
      throw protocolError(
        `no common version with ${this.options.target}: we offer ${this.versions.map(versionName).join(', ')}, it offers up to ${versionName(msg[0])}`,
      );
    }
    this.negotiated = version;
    this.state = 'open';
    this.handshake?.resolve();
  }

  /** Closes the connection; pending calls reject with CONNECTION_CLOSED. */
  close(): void {
    this.fail(new TelemetryError('CONNECTION_CLOSED', 'OpenFlow: connection closed by the client'));
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  async features(): Promise<SwitchFeatures> {
    let out: SwitchFeatures | undefined;
    await this.request('FEATURES_REQUEST', encodeEmpty(this.version, MsgType.FEATURES_REQUEST, this.takeXid()), MsgType.FEATURES_REPLY, (msg) => {
      out = decodeFeaturesReply(msg);
      return true;
    });
    if (out === undefined) throw protocolError('FEATURES_REPLY without a body');
    return out;
  }

  /** Round trip time in milliseconds. */
  async echo(): Promise<number> {
    const start = performance.now();
    await this.request('ECHO_REQUEST', encodeEcho(this.version, MsgType.ECHO_REQUEST, this.takeXid()), MsgType.ECHO_REPLY, () => true);
    return performance.now() - start;
  }

  async barrier(): Promise<void> {
    return this.request('BARRIER_REQUEST', encodeEmpty(this.version, MsgType.BARRIER_REQUEST, this.takeXid()), MsgType.BARRIER_REPLY, () => true);
  }

  async portDesc(): Promise<PortDesc[]> {
    return this.collect(MultipartType.PORT_DESC, descRequestBody(this.version, OFPP_ANY), (body, v) => decodePortDesc(body, v));
  }

  /**
   * Streams every matching flow to `onEntry` as each reply message arrives (decoded entries are
   * not kept); resolves with the number of flows. `onEntry` runs synchronously on the socket's
   * data handler, so a slow consumer slows the read rather than growing a queue.
   */
  async flowStats(req: FlowStatsRequest, onEntry: (flow: FlowStats) => void): Promise<number> {
    let count = 0;
    await this.multipart(MultipartType.FLOW, flowStatsRequestBody(req), (body) => {
      count += forEachFlowStats(body, this.version, onEntry);
    });
    return count;
  }

  /** Every matching flow in one array (for small tables; prefer `flowStats` for big ones). */
  async flowStatsAll(req: FlowStatsRequest = {}): Promise<FlowStats[]> {
    const out: FlowStats[] = [];
    await this.flowStats(req, (f) => out.push(f));
    return out;
  }

  async aggregateStats(req: FlowStatsRequest = {}): Promise<AggregateStats> {
    let out: AggregateStats | undefined;
    await this.multipart(MultipartType.AGGREGATE, flowStatsRequestBody(req), (body) => {
      out = decodeAggregate(body, this.version);
    });
    if (out === undefined) throw protocolError('AGGREGATE reply without a body');
    return out;
  }

  async tableStats(): Promise<TableStats[]> {
    return this.collect(MultipartType.TABLE, Buffer.alloc(0), (body) => decodeTableStats(body));
  }

  async portStats(portNo = OFPP_ANY): Promise<PortStats[]> {
    return this.collect(MultipartType.PORT_STATS, idRequestBody(portNo), (body, v) => decodePortStats(body, v));
  }

  async queueStats(portNo = OFPP_ANY, queueId = OFPQ_ALL): Promise<QueueStats[]> {
    return this.collect(MultipartType.QUEUE_STATS, queueStatsRequestBody(portNo, queueId), (body, v) => decodeQueueStats(body, v));
  }

  async groupStats(groupId = OFPG_ALL): Promise<GroupStats[]> {
    return this.collect(MultipartType.GROUP, idRequestBody(groupId), (body) => decodeGroupStats(body));
  }

  async groupDesc(groupId = OFPG_ALL): Promise<GroupDesc[]> {
    return this.collect(MultipartType.GROUP_DESC, descRequestBody(this.version, groupId), (body, v) => decodeGroupDesc(body, v));
  }

  async meterStats(meterId = OFPM_ALL): Promise<MeterStats[]> {
    return this.collect(MultipartType.METER, idRequestBody(meterId), (body) => decodeMeterStats(body));
  }

  async meterConfig(meterId = OFPM_ALL): Promise<MeterConfig[]> {
    return this.collect(MultipartType.METER_CONFIG, idRequestBody(meterId), (body) => decodeMeterConfig(body));
  }

  /** Sends a FLOW_MOD and a BARRIER; resolves when the switch has applied it, rejects with its error. */
  async flowMod(mod: FlowMod): Promise<void> {
    return this.withBarrier(`FLOW_MOD ${mod.command}`, encodeFlowMod(mod, this.version, this.takeXid()));
  }

  /** Sends a METER_MOD and a BARRIER; resolves when the switch has applied it, rejects with its error. */
  async meterMod(mod: MeterMod): Promise<void> {
    return this.withBarrier(`METER_MOD ${mod.command} meter ${mod.meterId}`, encodeMeterMod(mod, this.version, this.takeXid()));
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private takeXid(): number {
    const xid = this.nextXid;
    this.nextXid = this.nextXid >= 0xffffffff ? 1 : this.nextXid + 1;
    return xid;
  }

  private async collect<T>(mpType: number, body: Buffer, decode: (body: Buffer, version: OfVersion) => T[]): Promise<T[]> {
    const out: T[] = [];
    await this.multipart(mpType, body, (part) => {
      for (const item of decode(part, this.version)) out.push(item);
    });
    return out;
  }

  private multipart(mpType: number, body: Buffer, onBody: (body: Buffer) => void): Promise<void> {
    const xid = this.takeXid();
    const msg = allocMultipartRequest(this.version, mpType, body.length, xid);
    body.copy(msg, 16);
    return this.request(`MULTIPART_REQUEST type ${mpType}`, msg, MsgType.MULTIPART_REPLY, (reply) => {
      const part = decodeMultipartReply(reply);
      if (part.mpType !== mpType) throw protocolError(`multipart reply of type ${part.mpType} to a request of type ${mpType} (xid ${xid})`);
      onBody(part.body);
      return !part.more;
    });
  }

  /**
   * A message with no reply on success (flow/meter mod): an OFPT_ERROR with its xid rejects it;
   * the BARRIER reply that follows it proves success (OF1.3 §6.2: replies are ordered by barriers).
   */
  private async withBarrier(what: string, msg: Buffer): Promise<void> {
    const xid = msg.readUInt32BE(4);
    const outcome = this.request(what, msg, NO_REPLY, () => true, { timed: false });
    outcome.catch(() => undefined); // observed by the return below; this only prevents an unhandled rejection
    try {
      await this.barrier();
    } finally {
      const entry = this.pending.get(xid);
      if (entry !== undefined) {
        this.pending.delete(xid);
        entry.resolve();
      }
    }
    return outcome;
  }

  private request(
    what: string,
    msg: Buffer,
    expectType: number,
    onReply: (msg: Buffer) => boolean,
    { fatalTimeout = false, timed = true }: { fatalTimeout?: boolean; timed?: boolean } = {},
  ): Promise<void> {
    if (this.state !== 'open' || this.socket === undefined) {
      return Promise.reject(new TelemetryError('CONNECTION_CLOSED', `OpenFlow: ${this.options.target} is not connected`));
    }
    const xid = msg.readUInt32BE(4);
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = { what, expectType, onReply, resolve, reject, fatalTimeout, timer: undefined };
      this.pending.set(xid, entry);
      if (timed) this.armTimer(xid, entry);
      this.socket?.write(msg);
    });
  }

  private armTimer(xid: number, entry: Pending): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      const err = new TelemetryError('TIMEOUT', `OpenFlow: no reply to ${entry.what} (xid ${xid}) from ${this.options.target} within ${this.timeoutMs} ms`);
      if (entry.fatalTimeout) {
        this.fail(err);
        return;
      }
      this.pending.delete(xid);
      entry.reject(err);
    }, this.timeoutMs);
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = performance.now();
    try {
      this.framer.push(chunk);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Called by the framer for each whole message. Protocol errors propagate to onData, which resets. */
  private dispatch(msg: Buffer): void {
    if (this.state === 'closed') return;
    const header = decodeHeader(msg);
    if (this.state === 'connecting') {
      if (header.type !== MsgType.HELLO) throw protocolError(`expected HELLO, got message type ${header.type}`);
      this.onHello(msg);
      return;
    }
    if (header.version !== this.negotiated) {
      throw protocolError(`message version ${header.version} on a ${versionName(this.negotiated ?? 0)} connection`);
    }
    switch (header.type) {
      case MsgType.ECHO_REQUEST:
        this.socket?.write(encodeEcho(this.version, MsgType.ECHO_REPLY, header.xid, msg.subarray(HEADER_LEN)));
        return;
      case MsgType.ERROR:
        this.onError(header.xid, decodeError(msg));
        return;
      default:
        this.onReply(header.xid, header.type, msg);
    }
  }

  private onError(xid: number, err: ErrorMessage): void {
    const entry = this.pending.get(xid);
    if (entry === undefined) {
      this.log.warn({ target: this.options.target, xid, type: err.typeName, code: err.code }, 'openflow error for no pending request');
      return;
    }
    this.settle(xid, entry);
    entry.reject(new OpenFlowError(err, entry.what));
  }

  private onReply(xid: number, type: number, msg: Buffer): void {
    const entry = this.pending.get(xid);
    if (entry === undefined || entry.expectType !== type) {
      // Async messages (PORT_STATUS, ...) and late replies to timed-out requests.
      this.log.debug({ target: this.options.target, xid, type }, 'openflow message ignored');
      return;
    }
    let done: boolean;
    try {
      done = entry.onReply(msg);
    } catch (err) {
      if (isTelemetryError(err, 'PROTOCOL')) throw err;
      this.settle(xid, entry);
      entry.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (done) {
      this.settle(xid, entry);
      entry.resolve();
    } else if (entry.timer !== undefined) {
      this.armTimer(xid, entry);
    }
  }

  private settle(xid: number, entry: Pending): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    this.pending.delete(xid);
  }

  private startEcho(): void {
    if (this.echoIntervalMs <= 0) return;
    this.lastReceived = performance.now();
    this.echoTimer = setInterval(() => {
      if (this.state !== 'open' || performance.now() - this.lastReceived < this.echoIntervalMs) return;
      this.request('keepalive ECHO_REQUEST', encodeEcho(this.version, MsgType.ECHO_REQUEST, this.takeXid()), MsgType.ECHO_REPLY, () => true, { fatalTimeout: true }).catch(
        () => undefined,
      );
    }, this.echoIntervalMs);
    this.echoTimer.unref();
  }

  /** Tears the connection down once: pending calls reject with `err`, `close` fires. */
  private fail(err: Error): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    if (this.echoTimer !== undefined) clearInterval(this.echoTimer);
    this.socket?.destroy();
    this.framer.reset();
    this.handshake?.reject(err);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const entry of pending) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      entry.reject(err);
    }
    if (wasOpen && !isTelemetryError(err, 'CONNECTION_CLOSED')) this.log.warn({ target: this.options.target, err: err.message }, 'openflow connection reset');
    this.emit('close', err);
  }
}
