/**
 * The real collector pieces on a standalone ovsdb-server (no ovs-vswitchd): the OVSDB source, the
 * interface/network series and the Prometheus endpoint, with Neutron-style ports whose statistics
 * the test sets with ovs-vsctl. The exporters under test take the same collectors.
 */
import { silentLogger, type Logger } from '../../common/log.js';
import type { MetricCollector } from '../../common/metrics.js';
import { InterfaceMetrics } from '../../collector/ovs/metrics.js';
import { VswitchSource } from '../../collector/ovs/source.js';
import { TenancyMapping } from '../../collector/tenancy/mapping-file.js';
import { TenancyResolver } from '../../collector/tenancy/resolver.js';
import { PrometheusRegistry } from '../../exporters/prometheus/registry.js';
import { MetricsServer } from '../../exporters/prometheus/server.js';
import { startOvsdbServer, type OvsdbServer } from './ovsdb-server.js';
import { waitForScrape, value, type Exposition } from './scrape.js';

export interface TestNetwork {
  readonly id: string;
  readonly project: string;
  readonly vlan: number;
}

export interface TestPort {
  readonly name: string;
  readonly neutronPortId: string;
  readonly network: TestNetwork;
}

export const SYSTEM_ID = '7d6c5b4a-3f2e-4d1c-9b8a-0f1e2d3c4b5a';

export const NETWORKS: readonly TestNetwork[] = [
  { id: '0f3d2a8e-5b1c-4c5e-9a0d-3f6b2c1d4e5f', project: '5e9d7c3b1a2f4e6d8c0b9a7f6e5d4c3b', vlan: 1 },
  { id: '1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d', project: 'a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5d', vlan: 2 },
];

export const PORTS: readonly TestPort[] = [
  { name: 'tap8a1b2c3d-41', neutronPortId: '8a1b2c3d-41e5-4000-8000-000000000001', network: NETWORKS[0] },
  { name: 'tap9b2c3d4e-52', neutronPortId: '9b2c3d4e-52f6-4000-8000-000000000002', network: NETWORKS[0] },
  { name: 'tapac3d4e5f-63', neutronPortId: 'ac3d4e5f-63a7-4000-8000-000000000003', network: NETWORKS[1] },
];

export interface Stats {
  rx_bytes: number;
  tx_bytes: number;
  rx_packets: number;
  tx_packets: number;
}

export interface OvsCollector {
  readonly db: OvsdbServer;
  readonly vswitch: VswitchSource;
  readonly collectors: readonly MetricCollector[];
  readonly registry: PrometheusRegistry;
  /** Base URL of the Prometheus endpoint (/metrics). */
  readonly url: string;
  /** Sets Interface.statistics as ovs-vswitchd would. */
  setStats(port: TestPort, stats: Stats): Promise<void>;
  /** Resolves with the system-id once the source is synchronised. */
  systemId(): Promise<string>;
  /** Waits until /metrics shows `port`'s rx_bytes = `rxBytes` (plain HTTP without auth only). */
  waitForRx(port: TestPort, rxBytes: number): Promise<Exposition>;
  stop(): Promise<void>;
}

export function initialStats(i: number): Stats {
  return { rx_bytes: 1000 * (i + 1), tx_bytes: 2000 * (i + 1), rx_packets: 10 * (i + 1), tx_packets: 20 * (i + 1) };
}

export interface OvsCollectorOptions {
  /** More collectors beside the OVS ones (e.g. an exporter's self-metrics). */
  readonly extraCollectors?: readonly MetricCollector[];
  /** Serve /metrics with this exporter-toolkit web config (TLS, basic auth). */
  readonly webConfigFile?: string;
  readonly maxSeriesPerFamily?: number;
  readonly logger?: Logger;
}

export async function startOvsCollector(opts: OvsCollectorOptions = {}): Promise<OvsCollector> {
  const logger = opts.logger ?? silentLogger;
  const db = await startOvsdbServer();
  await db.vsctl('add-br', 'br-int', '--', 'set', 'Open_vSwitch', '.', `external_ids:system-id=${SYSTEM_ID}`);
  for (const [i, port] of PORTS.entries()) {
    const s = initialStats(i);
    await db.vsctl('add-port', 'br-int', port.name, '--', 'set', 'Port', port.name, `tag=${port.network.vlan}`,
      `other_config:net_uuid=${port.network.id}`, 'other_config:network_type=vxlan',
      '--', 'set', 'Interface', port.name, `external_ids:iface-id=${port.neutronPortId}`,
      `external_ids:attached-mac=fa:16:3e:00:00:0${i}`, 'external_ids:iface-status=active', `ofport_request=${10 + i}`,
      `statistics:rx_bytes=${s.rx_bytes}`, `statistics:tx_bytes=${s.tx_bytes}`,
      `statistics:rx_packets=${s.rx_packets}`, `statistics:tx_packets=${s.tx_packets}`);
  }
  const mapping = TenancyMapping.fromInput({ networks: NETWORKS.map((n) => ({ id: n.id, project_id: n.project })) });
  const vswitch = new VswitchSource({ endpoint: db.unixEndpoint, logger: silentLogger, tenancy: new TenancyResolver(mapping) });
  const collectors: MetricCollector[] = [vswitch, new InterfaceMetrics(vswitch.model, () => vswitch.up, true), ...(opts.extraCollectors ?? [])];
  const registry = new PrometheusRegistry(collectors, logger, { maxSeriesPerFamily: opts.maxSeriesPerFamily });
  const server = new MetricsServer({
    listenAddress: '127.0.0.1:0',
    telemetryPath: '/metrics',
    registry,
    status: () => ({ title: 'test', healthy: vswitch.up, sections: [] }),
    logger,
    webConfigFile: opts.webConfigFile,
  });
  const address = await server.listen();
  const url = `${server.secure ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  vswitch.start();
  const waitForRx = async (port: TestPort, rxBytes: number): Promise<Exposition> =>
    (await waitForScrape(url, (s) => value(s, 'ovs_interface_receive_bytes_total', { interface: port.name }) === rxBytes, 10_000, 50)).series;
  const deadline = Date.now() + 10_000;
  while (!vswitch.up || vswitch.model.interfaces().length < PORTS.length + 1) {
    if (Date.now() > deadline) throw new Error('the OVSDB source did not synchronise within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  if (opts.webConfigFile === undefined) await waitForRx(PORTS[PORTS.length - 1], initialStats(PORTS.length - 1).rx_bytes);
  return {
    db,
    vswitch,
    collectors,
    registry,
    url,
    async setStats(port, stats) {
      await db.vsctl('set', 'Interface', port.name, ...Object.entries(stats).map(([k, v]) => `statistics:${k}=${v}`));
    },
    async systemId() {
      while (!vswitch.up || vswitch.model.systemId === '') await new Promise((r) => setTimeout(r, 20));
      return vswitch.model.systemId;
    },
    waitForRx,
    async stop() {
      await server.close();
      await vswitch.stop();
      await db.stop();
    },
  };
}
