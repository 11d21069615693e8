/**
 * The collector's configuration: one YAML file, validated with a schema that rejects unknown
 * keys, then frozen. The TypeScript type is derived from the same schema, so type and
 * validation never disagree. Errors name the file, the key and the reason (exit code 2).
 */
import { z } from 'zod';
import { readYamlFile, validate } from './yaml-file.js';

const endpointText = z
  .string()
  .regex(/^(unix:.+|tcp:.+:\d+|ssl:.+:\d+)$/, 'must be unix:PATH, tcp:IP:PORT or ssl:IP:PORT');

const tlsFiles = z.strictObject({
  private_key: z.string().min(1),
  certificate: z.string().min(1),
  ca_cert: z.string().min(1),
});

const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be HOST:PORT (IPv6 as [ADDR]:PORT)');

const ovsdbEndpoint = z.strictObject({
  endpoint: endpointText.optional(),
  tls: tlsFiles.optional(),
});

export const configSchema = z.strictObject({
  ovsdb: ovsdbEndpoint.default({}),
  tenancy: z
    .strictObject({
      /** ML2/OVN: the OVN northbound database (Logical_Switch_Port external_ids). */
      ovn_northbound: z.strictObject({ endpoint: endpointText, tls: tlsFiles.optional() }).optional(),
      /** A static mapping file (networks → projects, interfaces → tenants). */
      mapping_file: z.string().min(1).optional(),
    })
    .default({}),
  web: z
    .strictObject({
      listen_address: listenAddress.default('127.0.0.1:9477'),
      telemetry_path: z.string().startsWith('/').default('/metrics'),
    })
    .default({ listen_address: '127.0.0.1:9477', telemetry_path: '/metrics' }),
  metrics: z
    .strictObject({
      /** Per-interface series; off keeps the per-network sums (hosts with thousands of ports). */
      per_interface: z.boolean().default(true),
    })
    .default({ per_interface: true }),
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
