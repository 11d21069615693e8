/**
 * The OVN northbound database as a live tenancy source (ML2/OVN): keeps the logical-port view in
 * the resolver current and tells the caller when it changed.
 */
import type { Logger } from '../../common/log.js';
import { OvsdbClient, type Replica } from '../ovsdb/client.js';
import type { TlsFiles } from '../ovsdb/endpoint.js';
import { OVN_NB_MONITOR, ovnPortsFrom } from './ovn.js';
import type { TenancyResolver } from './resolver.js';

export class OvnNorthboundSource {
  private readonly client: OvsdbClient;
  private readonly replica: Replica;
  private scheduled = false;

  constructor(
    readonly endpoint: string,
    tls: TlsFiles | undefined,
    resolver: TenancyResolver,
    onChange: () => void,
    logger: Logger,
  ) {
    this.client = new OvsdbClient({ endpoint, tls, logger });
    this.replica = this.client.monitor('OVN_Northbound', OVN_NB_MONITOR);
    // Coalesce a burst of row changes into one rebuild of the port view.
    const refresh = (): void => {
      if (this.scheduled) return;
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        resolver.setOvnPorts(ovnPortsFrom(this.replica));
        onChange();
      });
    };
    this.replica.on('change', refresh);
    this.replica.on('reset', refresh);
    this.replica.on('synced', refresh);
    this.client.on('connected', () => logger.info({ endpoint }, 'connected to OVN northbound'));
  }

  get up(): boolean {
    return this.client.connected && this.replica.synced;
  }

  start(): void {
    this.client.start();
  }

  async stop(): Promise<void> {
    await this.client.close();
  }
}
