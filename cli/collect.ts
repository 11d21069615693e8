/**
 * `ovs-telemetry collect`: wires the OVSDB source, tenancy and the Prometheus endpoint, starts
 * them in order and stops them in reverse on SIGINT/SIGTERM.
 */
import { Command, Option } from 'commander';
import { loadConfig, withOverrides, type Config, type ConfigInput } from '../common/config.js';
import { createLogger, type Logger } from '../common/log.js';
import { VERSION } from '../common/version.js';
import { VswitchSource } from '../collector/ovs/source.js';
import { InterfaceMetrics } from '../collector/ovs/metrics.js';
import { loadMappingFile, TenancyMapping } from '../collector/tenancy/mapping-file.js';
import { TenancyResolver } from '../collector/tenancy/resolver.js';
import { OvnNorthboundSource } from '../collector/tenancy/ovn-source.js';
import { PrometheusRegistry } from '../exporters/prometheus/registry.js';
import { MetricsServer, type StatusReport } from '../exporters/prometheus/server.js';
import { readLabState } from '../lab/state.js';
import type { TlsFiles } from '../collector/ovsdb/endpoint.js';

export const SYSTEM_OVSDB = 'unix:/var/run/openvswitch/db.sock';

export interface RunningCollector {
  readonly url: string;
  readonly vswitch: VswitchSource;
  stop(): Promise<void>;
}

function tlsOf(tls: Config['ovsdb']['tls']): TlsFiles | undefined {
  return tls && { privateKey: tls.private_key, certificate: tls.certificate, caCert: tls.ca_cert };
}

/**
 * Where to read OVS from when the config does not say: the lab's OVSDB (and its tenancy, which
 * stands in for Neutron's API there) when a lab is up, else the system's.
 */
function defaultSources(): { endpoint: string; mapping: TenancyMapping | undefined; from: string } {
  const lab = readLabState();
  if (lab === null) return { endpoint: SYSTEM_OVSDB, mapping: undefined, from: 'system' };
  const networks = lab.networks.map((n) => ({
    id: n.id,
    project_id: n.project_id,
    name: n.name,
    network_type: n.network_type,
    segmentation_id: n.segmentation_id,
  }));
  return { endpoint: lab.ovsdb, mapping: TenancyMapping.fromInput({ networks }), from: `lab ${lab.rundir}` };
}

export async function startCollector(config: Config, logger: Logger): Promise<RunningCollector> {
  const defaults = config.ovsdb.endpoint === undefined ? defaultSources() : undefined;
  const endpoint = config.ovsdb.endpoint ?? defaults?.endpoint ?? SYSTEM_OVSDB;
  const mapping = config.tenancy.mapping_file !== undefined
    ? loadMappingFile(config.tenancy.mapping_file)
    : defaults?.mapping ?? TenancyMapping.empty();
  const resolver = new TenancyResolver(mapping);
  const vswitch = new VswitchSource({ endpoint, tls: tlsOf(config.ovsdb.tls), logger, tenancy: resolver });
  const ovnConfig = config.tenancy.ovn_northbound;
  const ovn = ovnConfig
    ? new OvnNorthboundSource(ovnConfig.endpoint, tlsOf(ovnConfig.tls), resolver, () => vswitch.model.invalidate(), logger)
    : undefined;

  const registry = new PrometheusRegistry(
    [vswitch, new InterfaceMetrics(vswitch.model, () => vswitch.up, config.metrics.per_interface)],
    logger,
  );
  const status = (): StatusReport => ({
    title: `ovs-telemetry ${VERSION}`,
    healthy: vswitch.up,
    sections: [
      {
        name: 'Sources',
        rows: [
          ['OVSDB', `${endpoint} — ${vswitch.up ? 'connected' : 'not connected'}${defaults ? ` (${defaults.from})` : ''}`],
          ['OVN northbound', ovn ? `${ovn.endpoint} — ${ovn.up ? 'connected' : 'not connected'}` : 'not configured'],
          ['Tenancy mapping', config.tenancy.mapping_file ?? (defaults?.mapping ? 'from the lab' : 'none')],
        ],
      },
      {
        name: 'Open vSwitch',
        rows: vswitch.up
          ? [
              ['Version', vswitch.model.ovsVersion],
              ['System id', vswitch.model.systemId || '—'],
              ['Bridges', vswitch.model.bridgeNames().join(', ') || '—'],
              ['Interfaces', String(vswitch.model.interfaces().length)],
            ]
          : [],
      },
    ],
  });
  const server = new MetricsServer({
    listenAddress: config.web.listen_address,
    telemetryPath: config.web.telemetry_path,
    registry,
    status,
    logger,
  });

  const address = await server.listen();
  vswitch.start();
  ovn?.start();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, ovsdb: endpoint }, 'collector listening');
  return {
    url,
    vswitch,
    async stop() {
      await server.close();
      await ovn?.stop();
      await vswitch.stop();
    },
  };
}

interface CollectFlags {
  config?: string;
  ovsdb?: string;
  ovnNb?: string;
  tenancyFile?: string;
  listen?: string;
  perInterface?: boolean;
  logLevel?: Config['log']['level'];
}

export function resolveConfig(flags: CollectFlags): Config {
  const config = loadConfig(flags.config);
  const overrides: ConfigInput = {
    ovsdb: { endpoint: flags.ovsdb },
    tenancy: {
      ovn_northbound: flags.ovnNb === undefined ? undefined : { endpoint: flags.ovnNb },
      mapping_file: flags.tenancyFile,
    },
    web: flags.listen === undefined ? undefined : { listen_address: flags.listen },
    metrics: flags.perInterface === undefined ? undefined : { per_interface: flags.perInterface },
    log: flags.logLevel === undefined ? undefined : { level: flags.logLevel },
  };
  return withOverrides(config, overrides, 'command line');
}

/** Runs until SIGINT/SIGTERM. */
export async function runUntilSignal(stop: () => Promise<void>, logger: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      stop().finally(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

export function collectCommand(): Command {
  return new Command('collect')
    .description('run the collector: OVSDB state and tenancy on /metrics')
    .option('-c, --config <file>', 'YAML config file')
    .option('--ovsdb <endpoint>', 'OVSDB endpoint (unix:PATH, tcp:IP:PORT, ssl:IP:PORT)')
    .option('--ovn-nb <endpoint>', 'OVN northbound DB endpoint (ML2/OVN tenancy)')
    .option('--tenancy-file <file>', 'static tenancy mapping file')
    .option('--listen <address>', 'HTTP listen address for /metrics (default 127.0.0.1:9477)')
    .option('--no-per-interface', 'export per-network sums only, not per-interface series')
    .addOption(new Option('--log-level <level>').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action(async (flags: CollectFlags, cmd: Command) => {
      // commander sets perInterface=true by default for --no-*; only an explicit flag overrides.
      if (cmd.getOptionValueSource('perInterface') === 'default') flags.perInterface = undefined;
      const config = resolveConfig(flags);
      const logger = createLogger(config.log.level);
      const running = await startCollector(config, logger);
      await runUntilSignal(running.stop, logger);
    });
}
