/**
 * The collector's configuration: one YAML file, validated with a schema that rejects unknown
 * keys, then frozen. The TypeScript type is derived from the same schema, so type and
 * validation never disagree. Errors name the file, the key and the reason (exit code 2).
 */
import { z } from 'zod';
import { listenAddress, ovsdbEndpoint, ovsdbTlsFiles } from './config-fields.js';
import { readYamlFile, validate } from './yaml-file.js';
import { influxConfigSchema } from './config-influx.js';
import { otlpConfigSchema } from './config-otlp.js';
import { LOCAL_EXPORTERS_DEFAULTS, localExportersSchema } from './config-local-exporters.js';

const ovsdbSection = z.strictObject({
  endpoint: ovsdbEndpoint.optional(),
  tls: ovsdbTlsFiles.optional(),
});

const SFLOW_DEFAULTS = {
  enabled: true,
  listen_address: '127.0.0.1:6343',
  receive_buffer_bytes: 8 * 1024 * 1024,
  max_agents: 1024,
  max_sources: 65_536,
  max_port_names: 65_536,
};

/** Template cache bounds of an IPFIX / NetFlow listener (collector/ipfix/cache.ts). */
const TEMPLATE_DEFAULTS = {
  max_templates_per_exporter: 1024,
  max_templates: 16_384,
  lifetime_seconds: 1800,
  max_held_sets: 256,
  max_held_bytes: 1 << 20,
  held_lifetime_seconds: 900,
};

const templateCache = z
  .strictObject({
    /** Templates one exporter session (address:port, version, domain) may hold; the oldest goes first. */
    max_templates_per_exporter: z.number().int().min(1).max(65_536).default(TEMPLATE_DEFAULTS.max_templates_per_exporter),
    /** Templates of all exporters together. */
    max_templates: z.number().int().min(1).max(10_000_000).default(TEMPLATE_DEFAULTS.max_templates),
    /** A template not refreshed for this long expires (RFC 7011 section 8.4); 0 = never. */
    lifetime_seconds: z.number().int().min(0).max(86_400 * 7).default(TEMPLATE_DEFAULTS.lifetime_seconds),
    /** Data sets held until their template comes, and their bytes. */
    max_held_sets: z.number().int().min(0).max(1_000_000).default(TEMPLATE_DEFAULTS.max_held_sets),
    max_held_bytes: z.number().int().min(0).max(1 << 30).default(TEMPLATE_DEFAULTS.max_held_bytes),
    held_lifetime_seconds: z.number().int().min(1).max(86_400).default(TEMPLATE_DEFAULTS.held_lifetime_seconds),
  })
  .default(TEMPLATE_DEFAULTS);

/** An IPFIX or NetFlow listener; each decodes IPFIX, NetFlow v9 and v5 on its socket. */
function flowExportListener(defaultAddress: string) {
  const defaults = {
    enabled: true,
    listen_address: defaultAddress,
    receive_buffer_bytes: SFLOW_DEFAULTS.receive_buffer_bytes,
    max_exporters: 1024,
    templates: TEMPLATE_DEFAULTS,
  };
  return z
    .strictObject({
      enabled: z.boolean().default(true),
      listen_address: listenAddress.default(defaultAddress),
      /** SO_RCVBUF to ask for; the kernel caps it at net.core.rmem_max (the granted size is a metric). */
      receive_buffer_bytes: z.number().int().min(4096).max(1 << 30).default(defaults.receive_buffer_bytes),
      /** Exporter/version/domain triples whose sequence numbers are tracked; more are decoded but not tracked. */
      max_exporters: z.number().int().min(1).max(1_000_000).default(defaults.max_exporters),
      templates: templateCache,
    })
    .default(defaults);
}

const FLOWS_DEFAULTS = {
  max_networks: 4096,
  top_talkers: { per_network: 10, window_seconds: 600 },
  local_exporters: LOCAL_EXPORTERS_DEFAULTS,
};

export const configSchema = z.strictObject({
  ovsdb: ovsdbSection.default({}),
  tenancy: z
    .strictObject({
      /** ML2/OVN: the OVN northbound database (Logical_Switch_Port external_ids). */
      ovn_northbound: z.strictObject({ endpoint: ovsdbEndpoint, tls: ovsdbTlsFiles.optional() }).optional(),
      /** A static mapping file (networks → projects, interfaces → tenants). */
      mapping_file: z.string().min(1).optional(),
    })
    .default({}),
  web: z
    .strictObject({
      listen_address: listenAddress.default('127.0.0.1:9477'),
      telemetry_path: z.string().startsWith('/').default('/metrics'),
      /** exporter-toolkit web config file: TLS, basic auth (bcrypt), headers. Absent = plain HTTP. */
      config_file: z.string().min(1).optional(),
      /** Cardinality guard: series per metric family and scrape (the largest seen in practice, 10,000 interfaces, has 10,000); more are left out and counted. */
      max_series_per_family: z.number().int().min(1).max(100_000_000).default(50_000),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Per-interface series; off keeps the per-network sums (hosts with thousands of ports). */
      per_interface: z.boolean().default(true),
    })
    .default({ per_interface: true }),
  /** The sFlow v5 listener (DESIGN.md default 127.0.0.1:6343/udp). */
  sflow: z
    .strictObject({
      enabled: z.boolean().default(true),
      listen_address: listenAddress.default('127.0.0.1:6343'),
      /** SO_RCVBUF to ask for; the kernel caps it at net.core.rmem_max (the granted size is a metric). */
      receive_buffer_bytes: z.number().int().min(4096).max(1 << 30).default(SFLOW_DEFAULTS.receive_buffer_bytes),
      /** Agent/sub-agent pairs whose sequence numbers are tracked; more are decoded but not tracked. */
      max_agents: z.number().int().min(1).max(1_000_000).default(SFLOW_DEFAULTS.max_agents),
      /** Sample sources (per agent) whose sample sequence numbers are tracked, in all. */
      max_sources: z.number().int().min(1).max(10_000_000).default(SFLOW_DEFAULTS.max_sources),
      /** (agent, ifIndex) → port name entries learned from counter samples. */
      max_port_names: z.number().int().min(1).max(10_000_000).default(SFLOW_DEFAULTS.max_port_names),
    })
    .default(SFLOW_DEFAULTS),
  /** The IPFIX listener (DESIGN.md default 127.0.0.1:4739/udp). */
  ipfix: flowExportListener('127.0.0.1:4739'),
  /** The NetFlow v5/v9 listener (DESIGN.md default 127.0.0.1:2055/udp). */
  netflow: flowExportListener('127.0.0.1:2055'),
  /** Enrichment and aggregation of sampled flows. */
  flows: z
    .strictObject({
      /** Tenant networks with their own series; samples of more are counted as network_id="overflow". */
      max_networks: z.number().int().min(1).max(1_000_000).default(FLOWS_DEFAULTS.max_networks),
      top_talkers: z
        .strictObject({
          /** Talkers exported per network (0 turns top talkers off). */
          per_network: z.number().int().min(0).max(1000).default(FLOWS_DEFAULTS.top_talkers.per_network),
          /** The talker counts restart every window, so old talkers give way to current ones. */
          window_seconds: z.number().int().min(1).max(86_400).default(FLOWS_DEFAULTS.top_talkers.window_seconds),
        })
        .default(FLOWS_DEFAULTS.top_talkers),
      /** Which exporters are this host's OVS: only their interface numbers are matched to local ports. */
      local_exporters: localExportersSchema,
      /** Flow records as goflow2-compatible JSON lines ("-" = stdout); absent = no record output. */
      output: z
        .strictObject({
          path: z.string().min(1),
          /** Also write sFlow counter samples (type SFLOW_5_COUNTERS). */
          include_counters: z.boolean().default(false),
          /** Output buffered beyond this is dropped (and counted) rather than held. */
          max_buffer_bytes: z.number().int().min(65_536).max(1 << 30).default(8 * 1024 * 1024),
        })
        .optional(),
    })
    .default(FLOWS_DEFAULTS),
  /** OpenFlow stats and ovs-vswitchd's unixctl, polled in the background. */
  datapath: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** ovs-vswitchd's run directory (<rundir>/<bridge>.mgmt, ovs-vswitchd.pid); default the lab's, else beside a unix: ovsdb endpoint (cli/local-ovs.ts). */
      rundir: z.string().min(1).optional(),
      interval_seconds: z.number().min(1).max(3600).default(10),
      timeout_seconds: z.number().min(0.1).max(600).default(5),
      /** Cookies with their own flow series per bridge; the rest are summed as cookie="other". */
      max_cookies_per_bridge: z.number().int().min(0).max(100_000).default(50),
      /** Dump every bridge's flows (per-cookie sums and the VNI/VLAN → network map). */
      flow_dump: z.boolean().default(true),
      unixctl: z.boolean().default(true),
    })
    .prefault({}),
  otlp: otlpConfigSchema.prefault({}),
  influxdb: influxConfigSchema.prefault({}),
  log: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
    .default({ level: 'info' }),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Validates a parsed document; `source` names where it came from in error messages. */
export function parseConfig(input: unknown, source: string): Config {
  return validate(configSchema, input, source);
}

/** Loads and validates the config file; no file means all defaults. */
export function loadConfig(file: string | undefined): Config {
  if (file === undefined) return parseConfig({}, '(defaults)');
  return parseConfig(readYamlFile(file), file);
}

/** Applies command-line overrides (already in the file's shape) over a loaded config. */
export function withOverrides(config: Config, overrides: ConfigInput, source: string): Config {
  const merged = mergeDeep(structuredClone(config) as Record<string, unknown>, overrides as Record<string, unknown>);
  return parseConfig(merged, source);
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const prev = base[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)) {
      base[k] = mergeDeep({ ...(prev as Record<string, unknown>) }, v as Record<string, unknown>);
    } else {
      base[k] = v;
    }
  }
  return base;
}
