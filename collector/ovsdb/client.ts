import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { TelemetryError, describeError, isTelemetryError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { openSocket } from './connect.js';
import { ZERO_UUID, isUuid } from './datum.js';
import { formatEndpoint, parseEndpoint, type OvsdbEndpoint, type TlsFiles } from './endpoint.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './framing.js';
import { isJsonObject, preview, type Json } from './json.js';
import { JsonRpcConnection, OvsdbRpcError } from './jsonrpc.js';
import { Replica, type MonitorPlan, type MonitorTables } from './replica.js';
import { parseSchema, type DatabaseSchema } from './schema.js';
import { checkTransactReply, type TransactOperation, type TransactResult } from './transact.js';

export { Replica, type RowChange, type MonitorTables } from './replica.js';

/** The monitor methods, newest first: monitor_cond_since (OVS 2.12+), monitor_cond (2.6+), monitor (RFC 7047). */
export type MonitorMethod = 'monitor_cond_since' | 'monitor_cond' | 'monitor';
const ALL_MONITOR_METHODS: readonly MonitorMethod[] = ['monitor_cond_since', 'monitor_cond', 'monitor'];

export interface OvsdbClientOptions {
  endpoint: string | OvsdbEndpoint;
  /** Required for ssl: endpoints. */
  tls?: TlsFiles;
  logger?: Logger;
  /** Reconnect delays: exponential from initialMs to maxMs, each jittered to 50–100 %. Default 200..8000. */
  backoff?: { initialMs: number; maxMs: number };
  /** Send an echo after this long without traffic; drop the connection after twice that. Default 5000. */
  echoIntervalMs?: number;
  /** Per request, and for connecting. Default 30000. */
  requestTimeoutMs?: number;
  /** Largest JSON-RPC message accepted. Default 64 MiB. */
  maxMessageBytes?: number;
  /** The monitor methods to try, in order; the default tries all three. Tests use it to force the fallbacks. */
  monitorMethods?: readonly MonitorMethod[];
}

/** The delay before reconnect attempt `attempt` (0-based): exponential, capped, jittered to 50–100 %. */
export function reconnectDelayMs(attempt: number, backoff: { initialMs: number; maxMs: number }, random = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function isUnknownMethod(err: unknown): boolean {
  // ovsdb-server answers a method it does not implement with the error string "unknown method".
  if (!(err instanceof OvsdbRpcError)) return false;
  const error = err.rpcError;
  return error === 'unknown method' || (isJsonObject(error) && error.error === 'unknown method');
}

function asTelemetryError(err: unknown): TelemetryError {
  return err instanceof TelemetryError ? err : new TelemetryError('PROTOCOL', describeError(err), { cause: err });
}

interface ConnectionWaiter {
  resolve(conn: JsonRpcConnection): void;
  reject(err: TelemetryError): void;
}

/**
 * An OVSDB client (RFC 7047 plus the ovsdb-server(7) extensions) that stays connected: after
 * start() it connects, and whenever the connection drops (or stops answering echoes) it reconnects
 * with exponential backoff and re-establishes every monitor, so replicas resync by themselves.
 */
export class OvsdbClient extends EventEmitter<{ connected: []; disconnected: [error: Error | undefined]; error: [Error] }> {
  readonly endpoint: OvsdbEndpoint;
  private readonly name: string;
  private readonly tls: TlsFiles | undefined;
  private readonly log: Logger;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly echoIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxMessageBytes: number;
  private readonly monitorMethods: readonly MonitorMethod[];
  private readonly monitors = new Map<string, Replica>();
  private readonly waiters = new Set<ConnectionWaiter>();
  private state: 'new' | 'running' | 'closed' = 'new';
  private conn: JsonRpcConnection | undefined;
  private connectedAt = 0;
  private attempt = 0;
  /** Index into monitorMethods of the newest method the current connection's server may support. */
  private methodIndex = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private connecting: AbortController | undefined;
  private nextMonitorId = 1;

  constructor(opts: OvsdbClientOptions) {
    super();
    this.endpoint = typeof opts.endpoint === 'string' ? parseEndpoint(opts.endpoint) : opts.endpoint;
    this.name = formatEndpoint(this.endpoint);
    if (this.endpoint.kind === 'ssl' && !opts.tls) {
      throw new TelemetryError('CONFIG_INVALID', `${this.name} needs a private key, certificate and CA certificate`);
    }
    this.tls = opts.tls;
    this.log = (opts.logger ?? silentLogger).child({ ovsdb: this.name });
    this.backoff = opts.backoff ?? { initialMs: 200, maxMs: 8000 };
    this.echoIntervalMs = opts.echoIntervalMs ?? 5000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.monitorMethods = opts.monitorMethods ?? ALL_MONITOR_METHODS;
    if (this.monitorMethods.length === 0) throw new TelemetryError('CONFIG_INVALID', 'monitorMethods is empty');
  }

  get connected(): boolean {
    return this.conn !== undefined;
  }

  /** Connects, and keeps reconnecting with backoff until close(). */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    void this.connect();
  }

  /** Stops reconnecting, closes the connection and resolves once the socket is closed. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    this.connecting?.abort();
    for (const waiter of this.waiters) waiter.reject(new TelemetryError('CONNECTION_CLOSED', `client for ${this.name} was closed`));
    this.waiters.clear();
    const conn = this.conn;
    if (conn) {
      conn.close();
      await conn.done;
    }
  }

  async listDbs(): Promise<string[]> {
    const reply = await this.call('list_dbs', []);
    if (!Array.isArray(reply) || !reply.every((name) => typeof name === 'string')) {
      throw new TelemetryError('PROTOCOL', `list_dbs reply from ${this.name} is not an array of names: ${preview(reply)}`);
    }
    return reply as string[];
  }

  async getSchema(db: string): Promise<DatabaseSchema> {
    return parseSchema(await this.call('get_schema', [db]));
  }

  /** Runs the operations as one transaction; throws RPC_ERROR naming the failing operation and the server's error details. */
  async transact(db: string, ops: readonly TransactOperation[]): Promise<TransactResult[]> {
    return checkTransactReply(ops, await this.call('transact', [db, ...ops]));
  }

  /**
   * Keeps a replica of some tables of `db`. Can be called before or after the connection is up;
   * the monitor is set up again on every reconnect, with only the tables and columns the server's
   * schema has.
   */
  monitor(db: string, tables: MonitorTables): Replica {
    const id = `ovs-telemetry-${this.nextMonitorId++}`;
    const replica = new Replica(db, tables, this.log);
    this.monitors.set(id, replica);
    if (this.conn) void this.establish(this.conn, id, replica);
    return replica;
  }

  private async call(method: string, params: readonly unknown[]): Promise<Json> {
    const conn = this.conn ?? (await this.waitForConnection());
    return conn.request(method, params, this.requestTimeoutMs);
  }

  private waitForConnection(): Promise<JsonRpcConnection> {
    if (this.state !== 'running') {
      const why = this.state === 'new' ? 'start() was not called' : 'the client was closed';
      return Promise.reject(new TelemetryError('CONNECTION_CLOSED', `not connected to ${this.name}: ${why}`));
    }
    return new Promise<JsonRpcConnection>((resolve, reject) => {
      const waiter: ConnectionWaiter = {
        resolve: (conn) => {
          clearTimeout(timer);
          resolve(conn);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new TelemetryError('TIMEOUT', `not connected to ${this.name} within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.waiters.add(waiter);
    });
  }

  private report(err: TelemetryError, level: 'warn' | 'debug' = 'warn'): void {
    this.log[level]({ code: err.code, err: err.message }, 'ovsdb: %s', err.message);
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    const abort = new AbortController();
    this.connecting = abort;
    let socket: Socket;
    try {
      socket = await openSocket(this.endpoint, this.tls, this.requestTimeoutMs, abort.signal);
    } catch (err) {
      if (this.state !== 'running') return;
      // The first failure of a series is worth a warning; the retries that follow are not.
      this.report(asTelemetryError(err), this.attempt === 0 ? 'warn' : 'debug');
      this.scheduleReconnect();
      return;
    } finally {
      this.connecting = undefined;
    }
    if (this.state !== 'running') {
      socket.destroy();
      return;
    }
    const conn: JsonRpcConnection = new JsonRpcConnection(
      socket,
      {
        notification: (method, params) => this.onNotification(conn, method, params),
        closed: (reason) => this.onClosed(conn, reason),
      },
      { peer: this.name, maxMessageBytes: this.maxMessageBytes, logger: this.log },
    );
    conn.startKeepalive(this.echoIntervalMs);
    this.conn = conn;
    this.connectedAt = Date.now();
    this.methodIndex = 0;
    this.log.info('ovsdb: connected');
    this.emit('connected');
    for (const waiter of this.waiters) waiter.resolve(conn);
    this.waiters.clear();
    for (const [id, replica] of this.monitors) void this.establish(conn, id, replica);
  }

  private scheduleReconnect(): void {
    const delay = reconnectDelayMs(this.attempt++, this.backoff);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private onClosed(conn: JsonRpcConnection, reason: TelemetryError | undefined): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    // After malformed data the replicas' positions cannot be trusted: resync them in full.
    for (const replica of this.monitors.values()) replica.markUnsynced(reason?.code === 'PROTOCOL');
    // A connection that lived a while resets the backoff; one that drops at once keeps backing off.
    if (Date.now() - this.connectedAt >= this.backoff.maxMs) this.attempt = 0;
    if (reason) this.log.warn({ code: reason.code }, 'ovsdb: disconnected: %s', reason.message);
    else this.log.info('ovsdb: disconnected');
    this.emit('disconnected', reason);
    if (this.state === 'running') this.scheduleReconnect();
  }

  /** Fetches the schema and sets up the replica's monitor on this connection. */
  private async establish(conn: JsonRpcConnection, id: string, replica: Replica): Promise<void> {
    try {
      const schema = parseSchema(await conn.request('get_schema', [replica.db], this.requestTimeoutMs));
      if (conn !== this.conn) return;
      await this.startMonitor(conn, id, replica, replica.beginMonitor(schema));
    } catch (err) {
      if (conn !== this.conn) return;
      const error = asTelemetryError(err);
      replica.markUnsynced(error.code === 'PROTOCOL');
      this.report(error);
      // The server refused (e.g. no such database): the replica stays unsynced until the next
      // connection. Anything else (timeout, malformed reply) means the session is not usable.
      if (!isTelemetryError(error, 'RPC_ERROR')) conn.close(error);
    }
  }

  private async startMonitor(conn: JsonRpcConnection, id: string, replica: Replica, plan: MonitorPlan): Promise<void> {
    for (;;) {
      const method = this.monitorMethods[this.methodIndex];
      if (method === undefined) {
        throw new TelemetryError('PROTOCOL', `${this.name} supports none of ${this.monitorMethods.join(', ')}`);
      }
      try {
        if (method === 'monitor_cond_since') {
          const params = [replica.db, id, plan.requests, plan.lastTxnId];
          const reply = await conn.request(method, params, this.requestTimeoutMs);
          if (conn !== this.conn) return;
          const [found, lastTxnId, updates] = this.parseSinceReply(reply);
          replica.finishMonitor('update2', updates, !found, lastTxnId);
        } else {
          const reply = await conn.request(method, [replica.db, id, plan.requests], this.requestTimeoutMs);
          if (conn !== this.conn) return;
          replica.finishMonitor(method === 'monitor' ? 'update' : 'update2', reply, true, ZERO_UUID);
        }
        this.log.debug({ db: replica.db, method }, 'ovsdb: monitoring');
        return;
      } catch (err) {
        if (!isUnknownMethod(err) || conn !== this.conn) throw err;
        // Older server: step down to the next method for the rest of this connection.
        if (this.monitorMethods[this.methodIndex] === method) this.methodIndex++;
        this.log.info({ method }, 'ovsdb: server does not support %s, falling back', method);
      }
    }
  }

  /** monitor_cond_since reply: [found, last-txn-id, table-updates2] (ovsdb-server(7) §4.1.15). */
  private parseSinceReply(reply: Json): [boolean, string, Json] {
    if (!Array.isArray(reply) || reply.length !== 3 || typeof reply[0] !== 'boolean' || typeof reply[1] !== 'string' || !isUuid(reply[1])) {
      throw new TelemetryError('PROTOCOL', `malformed monitor_cond_since reply from ${this.name}: ${preview(reply)}`);
    }
    return [reply[0], reply[1], reply[2] as Json];
  }

  private onNotification(conn: JsonRpcConnection, method: string, params: Json): void {
    if (conn !== this.conn) return;
    const args: readonly Json[] = Array.isArray(params) ? params : [];
    switch (method) {
      case 'update':
      case 'update2':
        if (args.length !== 2) throw this.malformedNotification(method, params);
        this.replicaFor(args[0])?.update(method === 'update' ? 'update' : 'update2', args[1], undefined);
        return;
      case 'update3':
        if (args.length !== 3 || typeof args[1] !== 'string' || !isUuid(args[1])) throw this.malformedNotification(method, params);
        this.replicaFor(args[0])?.update('update2', args[2], args[1]);
        return;
      case 'monitor_canceled': {
        // The server dropped the monitor (e.g. its database was removed): set it up again.
        const id = args[0];
        const replica = this.replicaFor(id);
        if (replica && typeof id === 'string') {
          replica.markUnsynced(true);
          void this.establish(conn, id, replica);
        }
        return;
      }
      default:
        this.log.debug({ method }, 'ovsdb: notification ignored');
    }
  }

  private replicaFor(id: Json | undefined): Replica | undefined {
    const replica = typeof id === 'string' ? this.monitors.get(id) : undefined;
    if (!replica) this.log.debug({ id: preview(id ?? null) }, 'ovsdb: update for an unknown monitor ignored');
    return replica;
  }

  private malformedNotification(method: string, params: Json): TelemetryError {
    return new TelemetryError('PROTOCOL', `malformed ${method} notification from ${this.name}: ${preview(params)}`);
  }
}
