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
import type { TenancyMapping } from '../collector/tenancy/mapping-file.js';
import { TenancyResolver } from '../collector/tenancy/resolver.js';
import { OvnNorthboundSource } from '../collector/tenancy/ovn-source.js';
import { ovsdbTls, resolveLocalOvs, type LocalOvs } from './local-ovs.js';
import { PrometheusRegistry } from '../exporters/prometheus/registry.js';
import { MetricsServer, type StatusReport } from '../exporters/prometheus/server.js';
import { SflowListener } from '../collector/sflow/listener.js';
import { NetflowListener } from '../collector/ipfix/listener.js';
import { FlowAggregator } from '../collector/flows/aggregate.js';
import { FlowEnricher } from '../collector/flows/enrich.js';
import { FlowRecordWriter } from '../collector/flows/output.js';
import { LocalExporters } from '../collector/flows/local-exporters.js';
import { FlowPipeline } from '../collector/flows/pipeline.js';
import { DatapathPoller } from '../collector/datapath/poller.js';
import type { MetricCollector } from '../common/metrics.js';
import { InfluxExporter } from '../exporters/influx/exporter.js';
import { influxExporterOptions } from '../exporters/influx/config.js';
import { OtlpMetricsExporter } from '../exporters/otlp/metrics.js';
import { otlpMetricsOptions } from '../exporters/otlp/config.js';
import { explainRoute } from '../collector/explain/api.js';
import { openRundirSources } from '../collector/explain/live.js';
import { TopologyBuilder } from '../collector/topology/build.js';
import { topologyRoutes } from '../web/routes.js';

export interface RunningCollector {
  readonly url: string;
  readonly vswitch: VswitchSource;
  /** The sFlow listener (undefined when sflow.enabled is false). */
  readonly sflow: SflowListener | undefined;
  /** The IPFIX and NetFlow listeners (undefined when disabled). */
  readonly ipfix: NetflowListener | undefined;
  readonly netflow: NetflowListener | undefined;
  readonly flows: FlowAggregator;
  stop(): Promise<void>;
}

/** Enrichment, aggregation and the optional record output behind the flow listeners. */
function flowPipeline(
  config: Config,
  vswitch: VswitchSource,
  mapping: TenancyMapping,
  datapath: () => DatapathPoller | undefined,
): { pipeline: FlowPipeline; aggregator: FlowAggregator; enricher: FlowEnricher; output: FlowRecordWriter | undefined } {
  const enricher = new FlowEnricher({
    interfaces: () => vswitch.model.interfaces(),
    // The live br-tun/provider-bridge segment map first: it wins over the mapping file.
    networks: () => [...(datapath()?.segments.networkFacts() ?? []), ...mapping.networks.values()],
    maxPortNames: config.sflow.max_port_names,
  });
  const aggregator = new FlowAggregator({
    maxNetworks: config.flows.max_networks,
    topTalkers: config.flows.top_talkers.per_network,
    windowSeconds: config.flows.top_talkers.window_seconds,
  });
  const out = config.flows.output;
  const output = out ? FlowRecordWriter.open(out.path, out.max_buffer_bytes, out.include_counters) : undefined;
  const local = config.flows.local_exporters;
  const localExporters = new LocalExporters({
    ovsdb: local.from_ovsdb ? () => vswitch.model.flowExports() : undefined,
    exporters: local.exporters,
    logger: vswitch.opts.logger,
  });
  return { pipeline: new FlowPipeline({ enricher, aggregator, output, localExporters }), aggregator, enricher, output };
}

/** The IPFIX or NetFlow listener of a config section, or undefined when it is disabled. */
function netflowListener(label: 'ipfix' | 'netflow', c: Config['ipfix'], pipeline: FlowPipeline, logger: Logger): NetflowListener | undefined {
  if (!c.enabled) return undefined;
  const t = c.templates;
  return new NetflowListener({
    label,
    listenAddress: c.listen_address,
    receiveBufferBytes: c.receive_buffer_bytes,
    maxExporters: c.max_exporters,
    templates: {
      maxTemplatesPerSession: t.max_templates_per_exporter,
      maxTemplates: t.max_templates,
      templateLifetimeMs: t.lifetime_seconds * 1000,
      maxHeldSets: t.max_held_sets,
      maxHeldBytes: t.max_held_bytes,
      heldLifetimeMs: t.held_lifetime_seconds * 1000,
    },
    sink: pipeline,
    logger,
  });
}

/** What the status page says about a flow listener. */
function listenerStatus(address: string, l: { decoded: number; health: { decodeErrors: number } } | undefined, unit: string): string {
  return l ? `${address}/udp — ${l.decoded} ${unit} decoded, ${l.health.decodeErrors} not decoded` : 'disabled';
}

/**
 * The OVSDB replica with its tenancy (mapping file or the lab's, and OVN northbound when
 * configured), not started: what `collect` and `explain` read.
 */
export function vswitchSources(config: Config, logger: Logger): LocalOvs & { vswitch: VswitchSource; ovn: OvnNorthboundSource | undefined } {
  const sources = resolveLocalOvs({ ovsdbEndpoint: config.ovsdb.endpoint, mappingFile: config.tenancy.mapping_file, rundir: config.datapath.rundir });
  const resolver = new TenancyResolver(sources.mapping);
  const vswitch = new VswitchSource({ endpoint: sources.endpoint, tls: ovsdbTls(config.ovsdb.tls), logger, tenancy: resolver });
  const ovnConfig = config.tenancy.ovn_northbound;
  const ovn = ovnConfig
    ? new OvnNorthboundSource(ovnConfig.endpoint, ovsdbTls(ovnConfig.tls), resolver, () => vswitch.model.invalidate(), logger)
    : undefined;
  return { ...sources, vswitch, ovn };
}

/** `source` names the config file in error messages of the exporters' settings. */
export async function startCollector(config: Config, logger: Logger, source = '(config)'): Promise<RunningCollector> {
  const { endpoint, rundir, mapping, defaultedFrom, mappingFrom, vswitch, ovn } = vswitchSources(config, logger);

  let datapath: DatapathPoller | undefined;
  const { pipeline, aggregator, enricher, output } = flowPipeline(config, vswitch, mapping, () => datapath);
  if (config.datapath.enabled) {
    datapath = new DatapathPoller({
      bridges: () => (vswitch.up ? vswitch.model.bridgeNames() : []),
      interfaces: () => vswitch.model.interfaces(),
      rundir,
      intervalMs: config.datapath.interval_seconds * 1000,
      timeoutMs: config.datapath.timeout_seconds * 1000,
      maxCookiesPerBridge: config.datapath.max_cookies_per_bridge,
      flowDump: config.datapath.flow_dump,
      unixctl: config.datapath.unixctl,
      onSegmentsChange: () => enricher.invalidate(),
      logger,
    });
  }
  const sflow = config.sflow.enabled
    ? new SflowListener({
        listenAddress: config.sflow.listen_address,
        receiveBufferBytes: config.sflow.receive_buffer_bytes,
        maxAgents: config.sflow.max_agents,
        maxSources: config.sflow.max_sources,
        sink: pipeline,
        logger,
      })
    : undefined;
  const ipfix = netflowListener('ipfix', config.ipfix, pipeline, logger);
  const netflow = netflowListener('netflow', config.netflow, pipeline, logger);
  const listeners = [sflow, ipfix, netflow].filter((l) => l !== undefined);

  // What every exporter reports: Prometheus on scrape, OTLP and InfluxDB on their intervals.
  const collectors: MetricCollector[] = [
    vswitch,
    new InterfaceMetrics(vswitch.model, () => vswitch.up, config.metrics.per_interface),
    ...listeners,
    ...(listeners.length > 0 ? [pipeline] : []),
    ...(datapath ? [datapath] : []),
  ];
  const systemId = vswitch.systemIdWhenSynced(10_000);
  const otlp = config.otlp.enabled
    ? new OtlpMetricsExporter(otlpMetricsOptions(config.otlp, source, { collectors, logger, systemId }))
    : undefined;
  const influx = config.influxdb.enabled
    ? new InfluxExporter(influxExporterOptions(config.influxdb, source, { collectors, logger }))
    : undefined;
  // The exporters' own health goes out with the rest (they keep this array, not a copy).
  for (const stats of [otlp?.stats, influx?.stats]) if (stats) collectors.push(stats);
  const registry = new PrometheusRegistry(collectors, logger, { maxSeriesPerFamily: config.web.max_series_per_family });
  const status = (): StatusReport => ({
    title: `ovs-telemetry ${VERSION}`,
    healthy: vswitch.up,
    sections: [
      {
        name: 'Sources',
        rows: [
          ['OVSDB', `${endpoint} — ${vswitch.up ? 'connected' : 'not connected'}${defaultedFrom ? ` (${defaultedFrom})` : ''}`],
          ['OVN northbound', ovn ? `${ovn.endpoint} — ${ovn.up ? 'connected' : 'not connected'}` : 'not configured'],
          ['Tenancy mapping', mappingFrom],
          ['sFlow', listenerStatus(config.sflow.listen_address, sflow, 'datagrams')],
          ['IPFIX', listenerStatus(config.ipfix.listen_address, ipfix, 'messages')],
          ['NetFlow', listenerStatus(config.netflow.listen_address, netflow, 'packets')],
          ['OpenFlow / unixctl', datapath ? `${rundir} every ${config.datapath.interval_seconds} s` : 'disabled'],
          ['OTLP', otlp ? `${config.otlp.protocol} ${config.otlp.endpoint ?? 'default endpoint'}` : 'disabled'],
          ['InfluxDB', influx ? `${config.influxdb.url} database ${config.influxdb.database}` : 'disabled'],
          ['Flow records', config.flows.output ? `${config.flows.output.path} — ${output?.written ?? 0} written, ${output?.dropped ?? 0} dropped` : 'not written'],
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
  const topology = new TopologyBuilder({
    model: vswitch.model,
    connected: () => vswitch.up,
    segments: datapath && (() => datapath.segments.segments()),
    meters: datapath && (() => datapath.meters()),
    rates: (uuid) => vswitch.rates.rates(uuid),
  });
  const server = new MetricsServer({
    listenAddress: config.web.listen_address,
    telemetryPath: config.web.telemetry_path,
    registry,
    status,
    logger,
    webConfigFile: config.web.config_file,
    routes: new Map([
      // One port's path through OVS (collector/explain), from the replica the collector holds.
      ['/api/explain', explainRoute(() => (vswitch.up
        ? openRundirSources(rundir, { tables: vswitch.model.view, interfaces: () => vswitch.model.interfaces() }, () => (iface) => {
            const rates = vswitch.rates.rates(iface.uuid) ?? null;
            return { rates, note: rates ? null : 'not yet: two statistics updates from OVSDB are needed (every 5 s by default)' };
          })
        : null))],
      ...topologyRoutes({ title: `ovs-telemetry ${VERSION}`, telemetryPath: config.web.telemetry_path, topology: () => topology.build() }),
    ]),
  });

  // Listeners first: a port in use fails the start before anything else runs.
  let address;
  try {
    for (const l of listeners) await l.start();
    address = await server.listen();
  } catch (err) {
    for (const l of listeners) await l.stop();
    await output?.close();
    throw err;
  }
  vswitch.start();
  ovn?.start();
  aggregator.start();
  datapath?.start();
  otlp?.start();
  influx?.start();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${server.secure ? 'https' : 'http'}://${host}:${address.port}`;
  logger.info({ url, ovsdb: endpoint, sflow: sflow?.address ?? null, ipfix: ipfix?.address ?? null, netflow: netflow?.address ?? null }, 'collector listening');
  return {
    url,
    vswitch,
    sflow,
    ipfix,
    netflow,
    flows: aggregator,
    async stop() {
      await otlp?.stop();
      await influx?.stop();
      await datapath?.stop();
      for (const l of listeners) await l.stop();
      aggregator.stop();
      await output?.close();
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
  webConfig?: string;
  perInterface?: boolean;
  datapath?: boolean;
  sflow?: boolean;
  sflowListen?: string;
  sflowReceiveBuffer?: number;
  ipfix?: boolean;
  ipfixListen?: string;
  netflow?: boolean;
  netflowListen?: string;
  flowOutput?: string;
  topTalkers?: number;
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
    web: { listen_address: flags.listen, config_file: flags.webConfig },
    datapath: { enabled: flags.datapath },
    metrics: flags.perInterface === undefined ? undefined : { per_interface: flags.perInterface },
    sflow: { enabled: flags.sflow, listen_address: flags.sflowListen, receive_buffer_bytes: flags.sflowReceiveBuffer },
    ipfix: { enabled: flags.ipfix, listen_address: flags.ipfixListen },
    netflow: { enabled: flags.netflow, listen_address: flags.netflowListen },
    flows: {
      top_talkers: flags.topTalkers === undefined ? undefined : { per_network: flags.topTalkers },
      output: flags.flowOutput === undefined ? undefined : { path: flags.flowOutput },
    },
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

/** A flag's whole number; anything else is left for the config schema to reject with its key. */
function wholeNumber(value: string): number {
  return /^\d+$/.test(value) ? Number(value) : NaN;
}

export function collectCommand(): Command {
  return new Command('collect')
    .description('run the collector: OVSDB state and tenancy on /metrics')
    .option('-c, --config <file>', 'YAML config file')
    .option('--ovsdb <endpoint>', 'OVSDB endpoint (unix:PATH, tcp:IP:PORT, ssl:IP:PORT)')
    .option('--ovn-nb <endpoint>', 'OVN northbound DB endpoint (ML2/OVN tenancy)')
    .option('--tenancy-file <file>', 'static tenancy mapping file')
    .option('--listen <address>', 'HTTP listen address for /metrics (default 127.0.0.1:9477)')
    .option('--web-config <file>', 'exporter-toolkit web config (TLS, basic auth) for the HTTP endpoint')
    .option('--no-per-interface', 'export per-network sums only, not per-interface series')
    .option('--no-datapath', 'do not poll OpenFlow stats and ovs-vswitchd (unixctl)')
    .option('--sflow-listen <address>', 'sFlow UDP listen address (default 127.0.0.1:6343; IPv6 as [ADDR]:PORT)')
    .option('--no-sflow', 'do not listen for sFlow')
    .option('--sflow-receive-buffer <bytes>', 'sFlow socket receive buffer to ask for (SO_RCVBUF)', wholeNumber)
    .option('--ipfix-listen <address>', 'IPFIX UDP listen address (default 127.0.0.1:4739; decodes NetFlow v9/v5 too)')
    .option('--no-ipfix', 'do not listen for IPFIX')
    .option('--netflow-listen <address>', 'NetFlow v5/v9 UDP listen address (default 127.0.0.1:2055; decodes IPFIX too)')
    .option('--no-netflow', 'do not listen for NetFlow')
    .option('--flow-output <file>', 'write enriched flow records as JSON lines to FILE ("-" = stdout)')
    .option('--top-talkers <n>', 'top talkers exported per tenant network (0 = none)', wholeNumber)
    .addOption(new Option('--log-level <level>').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action(async (flags: CollectFlags, cmd: Command) => {
      // commander sets perInterface=true by default for --no-*; only an explicit flag overrides.
      if (cmd.getOptionValueSource('perInterface') === 'default') flags.perInterface = undefined;
      for (const key of ['sflow', 'ipfix', 'netflow'] as const) if (cmd.getOptionValueSource(key) === 'default') flags[key] = undefined;
      if (cmd.getOptionValueSource('datapath') === 'default') flags.datapath = undefined;
      const config = resolveConfig(flags);
      const logger = createLogger(config.log.level);
      const running = await startCollector(config, logger, flags.config ?? '(defaults)');
      await runUntilSignal(running.stop, logger);
    });
}
