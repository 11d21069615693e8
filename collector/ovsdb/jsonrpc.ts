import type { Duplex } from 'node:stream';
import { TelemetryError, describeError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { JsonMessageSplitter, DEFAULT_MAX_MESSAGE_BYTES } from './framing.js';
import { isJsonObject, preview, type Json, type JsonObject } from './json.js';

/** A JSON-RPC error reply; `rpcError` is the server's `error` member as sent (for OVSDB often `{error, details}`). */
export class OvsdbRpcError extends TelemetryError {
  readonly method: string;
  readonly rpcError: Json;

  constructor(method: string, rpcError: Json, message?: string) {
    super('RPC_ERROR', message ?? `${method} failed: ${describeRpcError(rpcError)}`);
    this.method = method;
    this.rpcError = rpcError;
  }
}

/** Renders an OVSDB error (RFC 7047 §3.1 <error>: `{error, details?}`, or a bare string from ovsdb-server) for a message. */
export function describeRpcError(error: Json): string {
  if (typeof error === 'string') return error;
  if (isJsonObject(error) && typeof error.error === 'string') {
    return typeof error.details === 'string' && error.details !== '' ? `${error.error}: ${error.details}` : error.error;
  }
  return preview(error);
}

export interface JsonRpcHandlers {
  /** A notification (a request with a null id) from the server, e.g. OVSDB "update2". */
  notification(method: string, params: Json): void;
  /** Called once when the connection is gone; `reason` says why when it was not a clean close. */
  closed(reason: TelemetryError | undefined): void;
}

export interface JsonRpcOptions {
  /** Names the peer in error messages (e.g. the endpoint). */
  peer: string;
  maxMessageBytes?: number;
  logger?: Logger;
}

interface Pending {
  readonly method: string;
  readonly resolve: (result: Json) => void;
  readonly reject: (err: TelemetryError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One JSON-RPC 1.0 session over a stream socket, as OVSDB speaks it (RFC 7047 §4): requests
 * carry a non-null id and get exactly one reply with `result` and `error`; notifications carry
 * `id: null`; either side may send "echo" (§4.1.11), which the other answers with its params.
 */
export class JsonRpcConnection {
  private readonly socket: Duplex;
  private readonly handlers: JsonRpcHandlers;
  private readonly peer: string;
  private readonly log: Logger;
  private readonly splitter: JsonMessageSplitter;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closeReason: TelemetryError | undefined;
  private isClosed = false;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private lastReceiveMs = Date.now();
  private markDone!: () => void;
  /** Resolves once the socket is closed and every pending request has been rejected. */
  readonly done = new Promise<void>((resolve) => {
    this.markDone = resolve;
  });

  constructor(socket: Duplex, handlers: JsonRpcHandlers, opts: JsonRpcOptions) {
    this.socket = socket;
    this.handlers = handlers;
    this.peer = opts.peer;
    this.log = opts.logger ?? silentLogger;
    this.splitter = new JsonMessageSplitter(opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: Error) => {
      this.closeReason ??= new TelemetryError('CONNECTION_CLOSED', `connection to ${this.peer} failed: ${err.message}`, {
        cause: err,
      });
    });
    socket.on('end', () => {
      if (this.splitter.pendingBytes > 0) {
        this.closeReason ??= new TelemetryError(
          'PROTOCOL',
          `${this.peer} closed the connection in the middle of a message (${this.splitter.pendingBytes} bytes unfinished)`,
        );
      }
    });
    socket.on('close', () => this.onClose());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sends a request and resolves with its `result`; rejects with RPC_ERROR, TIMEOUT, PROTOCOL or CONNECTION_CLOSED. */
  request(method: string, params: readonly unknown[], timeoutMs: number): Promise<Json> {
    if (this.isClosed || this.socket.destroyed) {
      return Promise.reject(new TelemetryError('CONNECTION_CLOSED', `cannot send "${method}": connection to ${this.peer} is closed`));
    }
    const id = this.nextId++;
    return new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TelemetryError('TIMEOUT', `no reply to "${method}" from ${this.peer} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.send({ method, params, id });
    });
  }

  /**
   * Keeps the session alive and detects a dead peer: after `intervalMs` with nothing received it
   * sends an "echo"; if that brings no traffic and the silence reaches twice `intervalMs`, it
   * closes the connection with a TIMEOUT reason. Checked every half interval.
   */
  startKeepalive(intervalMs: number): void {
    clearInterval(this.keepaliveTimer);
    let probeSentMs: number | undefined;
    this.keepaliveTimer = setInterval(() => {
      const now = Date.now();
      if (probeSentMs !== undefined && this.lastReceiveMs >= probeSentMs) probeSentMs = undefined;
      const idleMs = now - this.lastReceiveMs;
      if (probeSentMs === undefined) {
        if (idleMs < intervalMs) return;
        probeSentMs = now;
        this.request('echo', [], 2 * intervalMs).catch(() => {
          /* a dead peer is reported by the silence check */
        });
      } else if (idleMs >= 2 * intervalMs) {
        this.close(new TelemetryError('TIMEOUT', `no traffic from ${this.peer} for ${idleMs} ms (echo unanswered)`));
      }
    }, Math.max(1, intervalMs / 2));
    this.keepaliveTimer.unref();
  }

  /** Closes the session; `reason` is what pending requests and the closed handler are told. */
  close(reason?: TelemetryError): void {
    if (this.isClosed) return;
    this.closeReason ??= reason;
    this.socket.destroy();
  }

  private send(message: object): void {
    this.socket.write(JSON.stringify(message));
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    this.lastReceiveMs = Date.now();
    let messages: JsonObject[];
    try {
      messages = this.splitter.push(chunk);
    } catch (err) {
      this.close(err as TelemetryError);
      return;
    }
    for (const message of messages) {
      if (this.isClosed || this.socket.destroyed) return;
      try {
        this.dispatch(message);
      } catch (err) {
        const reason =
          err instanceof TelemetryError
            ? err
            : new TelemetryError('PROTOCOL', `handling a message from ${this.peer} failed: ${describeError(err)}`, { cause: err });
        this.close(reason);
      }
    }
  }

  private dispatch(message: JsonObject): void {
    const { method, id } = message;
    if (typeof method === 'string') {
      const params = message.params ?? null;
      if (id === null || id === undefined) this.handlers.notification(method, params);
      else this.answerRequest(method, params, id);
      return;
    }
    if (method !== undefined) throw this.malformed('a "method" that is not a string', message);
    if (!('result' in message) && !('error' in message)) throw this.malformed('neither "method" nor "result"/"error"', message);
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (!pending) {
      // A reply that arrives after its request timed out: harmless, nobody waits for it.
      this.log.debug({ peer: this.peer, id }, 'ovsdb: reply to an unknown request id ignored');
      return;
    }
    this.pending.delete(id as number);
    clearTimeout(pending.timer);
    const error = message.error ?? null;
    if (error !== null) pending.reject(new OvsdbRpcError(pending.method, error));
    else pending.resolve(message.result ?? null);
  }

  private answerRequest(method: string, params: Json, id: Json): void {
    if (method === 'echo') this.send({ result: params, error: null, id });
    else this.send({ result: null, error: 'unknown method', id });
  }

  private malformed(what: string, message: JsonObject): TelemetryError {
    return new TelemetryError('PROTOCOL', `malformed JSON-RPC message from ${this.peer} (${what}): ${preview(message)}`);
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.keepaliveTimer);
    const reason = this.closeReason;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(
        reason && reason.code !== 'CONNECTION_CLOSED'
          ? reason
          : new TelemetryError('CONNECTION_CLOSED', `connection to ${this.peer} closed before the reply to "${p.method}"`, {
              cause: reason,
            }),
      );
    }
    this.handlers.closed(reason);
    this.markDone();
  }
}
