/**
 * A long-lived handle on one switch for pollers: connects on first use, notices when the
 * connection dies (ovs-vswitchd restart, socket error, protocol reset) and reconnects on the next
 * use, with exponential backoff between failed attempts so a dead switch costs one fast
 * CONNECTION_FAILED per poll instead of a connect storm. The collector never has to restart.
 */
import { TelemetryError } from '../../common/errors.js';
import { silentLogger } from '../../common/log.js';
import { OpenFlowClient, type OpenFlowClientOptions } from './client.js';

export interface OpenFlowSessionOptions extends OpenFlowClientOptions {
  /** First wait after a failed connect; doubles up to maxBackoffMs. Default 500 ms. */
  readonly minBackoffMs?: number;
  /** Default 30 s. */
  readonly maxBackoffMs?: number;
}

export class OpenFlowSession {
  private client: OpenFlowClient | undefined;
  private connecting: Promise<OpenFlowClient> | undefined;
  private failures = 0;
  private retryAt = 0;
  private closed = false;
  private connectCount = 0;

  constructor(private readonly options: OpenFlowSessionOptions) {}

  /** Connections made so far (1 after the first connect; grows with each reconnect). */
  get connections(): number {
    return this.connectCount;
  }

  /** Runs `fn` with a connected client, connecting first if needed. */
  async use<T>(fn: (client: OpenFlowClient) => Promise<T>): Promise<T> {
    return fn(await this.connected());
  }

  /** The connected client, (re)connecting when there is none. */
  async connected(): Promise<OpenFlowClient> {
    if (this.closed) throw new TelemetryError('CONNECTION_CLOSED', 'OpenFlow session is closed');
    if (this.client?.isOpen === true) return this.client;
    this.connecting ??= this.reconnect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  close(): void {
    this.closed = true;
    this.client?.close();
    this.client = undefined;
  }

  private async reconnect(): Promise<OpenFlowClient> {
    const now = Date.now();
    if (now < this.retryAt) {
      throw new TelemetryError('CONNECTION_FAILED', `OpenFlow: ${this.options.target} is down; next attempt in ${this.retryAt - now} ms`);
    }
    const client = new OpenFlowClient(this.options);
    try {
      await client.connect();
    } catch (err) {
      this.failures++;
      const backoff = Math.min(this.options.maxBackoffMs ?? 30_000, (this.options.minBackoffMs ?? 500) * 2 ** (this.failures - 1));
      this.retryAt = Date.now() + backoff;
      throw err;
    }
    if (this.closed) {
      client.close();
      throw new TelemetryError('CONNECTION_CLOSED', 'OpenFlow session is closed');
    }
    this.failures = 0;
    this.retryAt = 0;
    this.connectCount++;
    client.on('close', (err) => {
      if (this.client === client) this.client = undefined;
      if (!this.closed) (this.options.logger ?? silentLogger).info({ target: this.options.target, err: err?.message }, 'openflow session lost its connection');
    });
    this.client = client;
    return client;
  }
}
