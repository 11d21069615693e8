/**
 * The Open_vSwitch database as a live source: one OVSDB client with a monitor on the tables the
 * model needs, reconnecting on its own. `up` is true while connected and synchronised.
 */
import type { Logger } from '../../common/log.js';
import { METRICS, type MetricCollector, type MetricSink } from '../../common/metrics.js';
import { VERSION } from '../../common/version.js';
import { OvsdbClient } from '../ovsdb/client.js';
import type { TlsFiles } from '../ovsdb/endpoint.js';
import type { Replica } from '../ovsdb/client.js';
import type { TenancyResolver } from '../tenancy/resolver.js';
import { VSWITCH_MONITOR, VswitchModel } from './model.js';
import { InterfaceRateTracker } from './rates.js';

export interface VswitchSourceOptions {
  readonly endpoint: string;
  readonly tls?: TlsFiles;
  readonly logger: Logger;
  readonly tenancy: TenancyResolver;
}

export class VswitchSource implements MetricCollector {
  readonly name = 'ovsdb';
  readonly model: VswitchModel;
  /** Live rates per Interface row uuid (InterfaceState.uuid), from the statistics updates. */
  readonly rates = new InterfaceRateTracker();
  private readonly client: OvsdbClient;
  private readonly replica: Replica;
  private connections = 0;
  private stopping = false;
  private lastChange = 0;

  constructor(readonly opts: VswitchSourceOptions) {
    this.client = new OvsdbClient({ endpoint: opts.endpoint, tls: opts.tls, logger: opts.logger });
    this.replica = this.client.monitor('Open_vSwitch', VSWITCH_MONITOR);
    this.model = new VswitchModel(this.replica, opts.tenancy);
    const invalidate = (): void => {
      this.lastChange = Date.now();
      this.model.invalidate();
    };
    this.replica.on('change', invalidate);
    this.replica.on('change', (change) => this.rates.onChange(change));
    this.replica.on('reset', invalidate);
    this.replica.on('reset', () => this.rates.clear());
    this.replica.on('synced', invalidate);
    this.client.on('connected', () => {
      this.connections++;
      opts.logger.info({ endpoint: opts.endpoint }, 'connected to OVSDB');
    });
    this.client.on('disconnected', (err) => {
      if (this.stopping) return;
      opts.logger.warn({ endpoint: opts.endpoint, err: err?.message }, 'OVSDB connection lost; reconnecting');
    });
  }

  get up(): boolean {
    return this.client.connected && this.replica.synced;
  }

  /** The OVS system-id once the first sync is in, or '' if none came within `timeoutMs`. */
  systemIdWhenSynced(timeoutMs: number): Promise<string> {
    if (this.up) return Promise.resolve(this.model.systemId);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.replica.off('synced', onSynced);
        resolve('');
      }, timeoutMs);
      timer.unref();
      const onSynced = (): void => {
        clearTimeout(timer);
        resolve(this.model.systemId);
      };
      this.replica.once('synced', onSynced);
    });
  }

  get lastChangeMs(): number {
    return this.lastChange;
  }

  start(): void {
    this.client.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.client.close();
  }

  collect(sink: MetricSink): void {
    sink.add(METRICS.up, [], this.up ? 1 : 0);
    sink.add(METRICS.buildInfo, [VERSION, process.version, this.up ? this.model.ovsVersion : ''], 1);
    sink.add(METRICS.ovsdbReconnects, ['Open_vSwitch'], Math.max(0, this.connections - 1));
  }
}
