/**
 * The `otlp:` section of the collector's config (schema and defaults); exporters/otlp/config.ts
 * turns it into exporter options.
 */
import { z } from 'zod';
import { clientTlsSchema, httpUrl } from './config-fields.js';

// RFC 9110 §5.1 field-name token.
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');

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
    tls: clientTlsSchema.optional(),
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
