/**
 * Writes the collectors' metrics to InfluxDB 1.x (2.x and 3.x through their 1.x-compatible
 * /write and /query API, with a token) with the `influx` client. Every interval the collectors
 * run once and their points join a bounded queue; the queue is written in batches, oldest first.
 * A failed write keeps the batch at the head and retries with exponential backoff (with jitter),
 * so an outage delays points instead of losing them, until the queue is full: then the oldest
 * are dropped and counted. A batch the server rejects as invalid (HTTP 400) is dropped and
 * counted, never retried. The database and retention policy are created when missing
 * (configurable), again after the server reports the database gone.
 */
import { InfluxDB, type IPoint, type IRetentionOptions, type ISingleHostConfig, type IWriteOptions } from 'influx';
import { ExponentialBackoff } from 'influx/lib/src/backoff/exponential.js';
import type { Logger } from '../../common/log.js';
import { SampledLog } from '../../common/log.js';
import type { MetricCollector } from '../../common/metrics.js';
import { takeSnapshot } from '../snapshot.js';
import { ExporterStats } from '../stats.js';
import { snapshotPoints } from './points.js';
import { BoundedQueue } from './queue.js';
import type { ClientTls } from '../../common/config-fields.js';

export interface InfluxRetentionPolicy {
  readonly name: string;
  /** InfluxQL duration: 7d, 168h, INF. */
  readonly duration: string;
  readonly replication: number;
  /** Make it the database's default policy when creating it. */
  readonly isDefault: boolean;
}

export interface InfluxConnection {
  /** http(s)://host:port[/path] of the 1.x HTTP API. */
  readonly url: string;
  readonly database: string;
  /** Written to (and created when missing); absent = the database's default policy. */
  readonly retentionPolicy?: InfluxRetentionPolicy;
  readonly username?: string;
  /** Password, or the API token for InfluxDB 2.x/3.x (1.x-compatible API: token as password). */
  readonly password?: string;
  readonly tls?: ClientTls;
  readonly timeoutMillis: number;
}

/** The part of the `influx` client this exporter uses (a test can stand in for it). */
export interface InfluxClient {
  writePoints(points: IPoint[], options?: IWriteOptions): Promise<void>;
  createDatabase(name: string): Promise<void>;
  showRetentionPolicies(database?: string): Promise<readonly { name: string }[]>;
  createRetentionPolicy(name: string, options: IRetentionOptions): Promise<void>;
}

export interface InfluxExporterOptions {
  readonly collectors: readonly MetricCollector[];
  readonly connection: InfluxConnection;
  /** Create the database and retention policy when missing (needs admin rights on 1.x; off for 2.x/3.x). */
  readonly createDatabase: boolean;
  readonly intervalMillis: number;
  /** Points per write request. */
  readonly batchSize: number;
  /** Points held while InfluxDB is unreachable; beyond that the oldest are dropped. */
  readonly maxBufferedPoints: number;
  /** First retry delay after a failed write; doubles up to maxBackoffMillis. */
  readonly initialBackoffMillis: number;
  readonly maxBackoffMillis: number;
  readonly logger: Logger;
  /** Replaces the HTTP client (tests). */
  readonly client?: InfluxClient;
}

/** The client for a connection: its own retries off (this exporter retries), auth as Basic. */
export function createInfluxClient(c: InfluxConnection): InfluxClient {
  const url = new URL(c.url);
  const https = url.protocol === 'https:';
  const config: ISingleHostConfig = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
    protocol: https ? 'https' : 'http',
    path: url.pathname.replace(/\/+$/, ''),
    database: c.database,
    // InfluxDB 2.x/3.x accept the token as the password of Basic auth (1.x compatibility API).
    username: c.username ?? (c.password === undefined ? undefined : 'ovs-telemetry'),
    password: c.password,
    options: https ? { ca: c.tls?.ca, cert: c.tls?.cert, key: c.tls?.key, rejectUnauthorized: c.tls?.insecureSkipVerify !== true } : undefined,
    // The pool takes a failing host out for its backoff; keep that short so our retry decides.
    pool: { maxRetries: 0, requestTimeout: c.timeoutMillis, backoff: new ExponentialBackoff({ initial: 100, max: 1000, random: 0 }) },
  };
  return new InfluxDB(config);
}

function statusOf(err: unknown): number | undefined {
  const res = (err as { res?: { statusCode?: number } } | null)?.res;
  return typeof res?.statusCode === 'number' ? res.statusCode : undefined;
}

export class InfluxExporter {
  readonly stats: ExporterStats;
  private readonly queue: BoundedQueue<IPoint>;
  private readonly client: InfluxClient;
  private readonly warn: SampledLog;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private schemaReady = false;
  private backoffMillis = 0;
  private nextAttempt = 0;
  /** Collector passes so far, and the time of the last one (ms): its points' timestamp. */
  collections = 0;
  lastCollection = 0;

  constructor(private readonly opts: InfluxExporterOptions) {
    this.queue = new BoundedQueue(Math.max(opts.maxBufferedPoints, opts.batchSize));
    this.stats = new ExporterStats('influxdb', this.queue.capacity, () => this.queue.length);
    this.client = opts.client ?? createInfluxClient(opts.connection);
    this.warn = new SampledLog(opts.logger);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), this.opts.intervalMillis);
    this.tick();
  }

  /** Stops the interval, collects once more and tries to deliver what is queued (one attempt per batch). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.collect();
    this.nextAttempt = 0;
    await this.flush();
  }

  /** Runs the collectors once and queues their points. */
  collect(): void {
    const snapshot = takeSnapshot(this.opts.collectors, (collector, err) =>
      this.warn.warn(`collector:${collector}`, { collector, err }, 'collector failed'));
    this.collections++;
    this.lastCollection = snapshot.time;
    const dropped = this.queue.push(snapshotPoints(snapshot));
    if (dropped > 0) {
      this.stats.dropped.buffer_full += dropped;
      this.warn.warn('influx-buffer-full', { dropped, capacity: this.queue.capacity }, 'InfluxDB buffer full: oldest points dropped');
    }
  }

  /** Writes the queue out now unless a retry is still backing off; resolves when this attempt ends. */
  flush(): Promise<void> {
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
    });
    return this.sending;
  }

  private tick(): void {
    this.collect();
    if (Date.now() >= this.nextAttempt) void this.flush();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.take(this.opts.batchSize);
      try {
        await this.ensureSchema();
        await this.client.writePoints(batch, { precision: 'ms', retentionPolicy: this.opts.connection.retentionPolicy?.name });
        this.queue.settle(true);
        this.stats.succeeded(batch.length);
        this.backoffMillis = 0;
      } catch (err) {
        const status = statusOf(err);
        if (status === 400) {
          // Invalid points (a field type conflict, a parse error): retrying cannot help.
          this.queue.settle(true);
          this.stats.dropped.rejected += batch.length;
          this.warn.warn('influx-rejected', { err: (err as Error).message, points: batch.length }, 'InfluxDB rejected a batch; dropped');
          continue;
        }
        this.queue.settle(false);
        // 404: the database is gone (dropped, or a fresh server): create it again before the next write.
        if (status === 404) this.schemaReady = false;
        this.stats.failures++;
        this.backoffMillis = Math.min(this.opts.maxBackoffMillis, this.backoffMillis === 0 ? this.opts.initialBackoffMillis : this.backoffMillis * 2);
        // Full jitter on the upper half, so many collectors do not retry in step.
        this.nextAttempt = Date.now() + this.backoffMillis * (0.5 + Math.random() / 2);
        this.warn.warn('influx-write', { err: (err as Error).message, status, buffered: this.queue.length, retryInMs: Math.round(this.nextAttempt - Date.now()) }, 'InfluxDB write failed; points kept for retry');
        return;
      }
    }
  }

  private async ensureSchema(): Promise<void> {
    if (this.schemaReady || !this.opts.createDatabase) return;
    const { database, retentionPolicy: rp } = this.opts.connection;
    await this.client.createDatabase(database);
    if (rp !== undefined) {
      const existing = await this.client.showRetentionPolicies(database);
      if (!existing.some((p) => p.name === rp.name)) {
        await this.client.createRetentionPolicy(rp.name, { database, duration: rp.duration, replication: rp.replication, isDefault: rp.isDefault });
      }
    }
    this.schemaReady = true;
  }
}
