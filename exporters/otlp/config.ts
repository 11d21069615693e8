/**
 * The `otlp:` section of the collector's config (a fragment for common/config.ts) and its
 * translation into exporter options. TLS files are read here, at start-up, so a missing file
 * stops the start with the key that names it.
 */
import { z } from 'zod';
import { readConfiguredFile } from '../../common/config-file.js';
import type { Logger } from '../../common/log.js';
import type { MetricCollector } from '../../common/metrics.js';
import type { OtlpFlowLogExporterOptions } from './logs.js';
import type { OtlpMetricsExporterOptions } from './metrics.js';
import type { OtlpResourceOptions } from './resource.js';
import type { OtlpTls, OtlpTransportOptions } from './transport.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
// RFC 9110 §5.1 field-name token.
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');

const tlsSchema = z
  .strictObject({
    /** CA bundle for the receiver's certificate (default: the system's CAs). */
    ca_file: z.string().min(1).optional(),
    /** Client certificate and key (mutual TLS): both or neither. */
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    insecure_skip_verify: z.boolean().default(false),
  })
  .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), { error: 'cert_file and key_file go together', path: ['cert_file'] });

const FLOW_LOGS_DEFAULTS = { enabled: false, max_queue: 8192, batch_size: 512, delay_seconds: 1 };

export const OTLP_DEFAULTS = {
  enabled: false,
  protocol: 'http/protobuf' as const,
  headers: {},
  interval_seconds: 60,
  timeout_seconds: 10,
  compression: 'gzip' as const,
  temporality: 'cumulative' as const,
  max_series_per_metric: 100_000,
  resource_attributes: {},
  flow_logs: FLOW_LOGS_DEFAULTS,
};

/** Default receiver addresses of the OTLP spec (4318 OTLP/HTTP, 4317 gRPC), on loopback. */
export const DEFAULT_ENDPOINTS = { http: 'http://127.0.0.1:4318', grpc: 'http://127.0.0.1:4317' } as const;

export const otlpConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(OTLP_DEFAULTS.enabled),
    protocol: z.enum(['http/protobuf', 'http/json', 'grpc']).default(OTLP_DEFAULTS.protocol),
    /** Base URL (HTTP: /v1/metrics and /v1/logs are appended; gRPC: scheme://host:port, https = TLS). */
    endpoint: httpUrl.optional(),
    /** Sent with every request (gRPC: as metadata), e.g. Authorization: Bearer TOKEN. */
    headers: z.record(headerName, z.string()).default(OTLP_DEFAULTS.headers),
    tls: tlsSchema.optional(),
    interval_seconds: z.number().min(1).max(3600).default(OTLP_DEFAULTS.interval_seconds),
    timeout_seconds: z.number().min(1).max(300).default(OTLP_DEFAULTS.timeout_seconds),
    compression: z.enum(['none', 'gzip']).default(OTLP_DEFAULTS.compression),
    /** Counters as cumulative sums (default) or deltas between exports. */
    temporality: z.enum(['cumulative', 'delta']).default(OTLP_DEFAULTS.temporality),
    max_series_per_metric: z.number().int().min(1).max(10_000_000).default(OTLP_DEFAULTS.max_series_per_metric),
    /** Added to the resource (service.*, host.name and ovs.system.id are set by the collector). */
    resource_attributes: z.record(z.string().min(1), z.string()).default(OTLP_DEFAULTS.resource_attributes),
    /** Flow records as OTLP logs (http/protobuf). */
    flow_logs: z
      .strictObject({
        enabled: z.boolean().default(FLOW_LOGS_DEFAULTS.enabled),
        /** Default: `endpoint` (required when protocol is grpc). */
        endpoint: httpUrl.optional(),
        max_queue: z.number().int().min(1).max(10_000_000).default(FLOW_LOGS_DEFAULTS.max_queue),
        batch_size: z.number().int().min(1).max(100_000).default(FLOW_LOGS_DEFAULTS.batch_size),
        delay_seconds: z.number().min(0.05).max(60).default(FLOW_LOGS_DEFAULTS.delay_seconds),
      })
      .default(FLOW_LOGS_DEFAULTS),
  })
  .refine((c) => !(c.flow_logs.enabled && c.protocol === 'grpc' && c.flow_logs.endpoint === undefined), {
    error: 'required when protocol is grpc (flow logs go over OTLP/HTTP)',
    path: ['flow_logs', 'endpoint'],
  });

export type OtlpConfig = z.infer<typeof otlpConfigSchema>;

function tlsOf(config: OtlpConfig, source: string, key: string): OtlpTls | undefined {
  const t = config.tls;
  if (t === undefined) return undefined;
  return {
    ca: t.ca_file === undefined ? undefined : readConfiguredFile(t.ca_file, `${key}.tls.ca_file`, source),
    cert: t.cert_file === undefined ? undefined : readConfiguredFile(t.cert_file, `${key}.tls.cert_file`, source),
    key: t.key_file === undefined ? undefined : readConfiguredFile(t.key_file, `${key}.tls.key_file`, source),
    insecureSkipVerify: t.insecure_skip_verify,
  };
}

/** Transport options; `source` (the config file) and `key` (this section's key) name errors. */
export function otlpTransportOptions(config: OtlpConfig, source: string, key = 'otlp'): OtlpTransportOptions {
  return {
    protocol: config.protocol,
    endpoint: config.endpoint ?? (config.protocol === 'grpc' ? DEFAULT_ENDPOINTS.grpc : DEFAULT_ENDPOINTS.http),
    headers: config.headers,
    tls: tlsOf(config, source, key),
    timeoutMillis: config.timeout_seconds * 1000,
    compression: config.compression,
  };
}

export interface OtlpWiring {
  readonly collectors: readonly MetricCollector[];
  readonly logger: Logger;
  readonly hostName?: string;
  readonly systemId?: OtlpResourceOptions['systemId'];
}

export function otlpMetricsOptions(config: OtlpConfig, source: string, wiring: OtlpWiring, key = 'otlp'): OtlpMetricsExporterOptions {
  return {
    collectors: wiring.collectors,
    transport: otlpTransportOptions(config, source, key),
    intervalMillis: config.interval_seconds * 1000,
    temporality: config.temporality,
    maxSeriesPerMetric: config.max_series_per_metric,
    resource: { hostName: wiring.hostName, systemId: wiring.systemId, attributes: config.resource_attributes },
    logger: wiring.logger,
  };
}

/** Options of the flow-record log exporter, undefined when flow_logs is off. */
export function otlpFlowLogOptions(config: OtlpConfig, source: string, wiring: Omit<OtlpWiring, 'collectors'>, key = 'otlp'): OtlpFlowLogExporterOptions | undefined {
  const logs = config.flow_logs;
  if (!logs.enabled) return undefined;
  const transport = otlpTransportOptions(config, source, key);
  return {
    transport: { ...transport, endpoint: logs.endpoint ?? transport.endpoint },
    resource: { hostName: wiring.hostName, systemId: wiring.systemId, attributes: config.resource_attributes },
    maxQueue: logs.max_queue,
    batchSize: logs.batch_size,
    delayMillis: logs.delay_seconds * 1000,
    logger: wiring.logger,
  };
}
