/**
 * The OTLP metric and log exporters of the OpenTelemetry SDK for the configured protocol
 * (http/protobuf, http/json, gRPC), with the configured headers (auth) and TLS material.
 * HTTP endpoints get the signal path of the OTLP/HTTP spec appended (/v1/metrics, /v1/logs);
 * gRPC takes host:port and sends the headers as call metadata.
 */
import { credentials, Metadata } from '@grpc/grpc-js';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { ClientTls } from '../../common/config-fields.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type Temporality = 'cumulative' | 'delta';

export interface OtlpTransportOptions {
  readonly protocol: OtlpProtocol;
  /** http(s)://host:port[/base path] for HTTP; http(s)://host:port for gRPC (https = TLS). */
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly tls?: ClientTls;
  readonly timeoutMillis: number;
  readonly compression: 'none' | 'gzip';
}

/** The base URL plus an OTLP/HTTP signal path (OTLP spec: the default paths /v1/metrics, /v1/logs). */
export function signalUrl(endpoint: string, signalPath: string): string {
  return `${endpoint.replace(/\/+$/, '')}${signalPath}`;
}

function httpAgentOptions(tls: ClientTls | undefined): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean } {
  if (tls === undefined) return {};
  return { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.insecureSkipVerify !== true };
}

function compression(name: 'none' | 'gzip'): CompressionAlgorithm {
  return name === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE;
}

export function createMetricExporter(opts: OtlpTransportOptions, temporality: Temporality): PushMetricExporter {
  const temporalityPreference = temporality === 'delta' ? AggregationTemporalityPreference.DELTA : AggregationTemporalityPreference.CUMULATIVE;
  if (opts.protocol === 'grpc') {
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(opts.headers)) metadata.set(k.toLowerCase(), v);
    const secure = opts.endpoint.startsWith('https://');
    const tls = opts.tls;
    const creds = secure
      ? credentials.createSsl(tls?.ca ?? null, tls?.key ?? null, tls?.cert ?? null,
          tls?.insecureSkipVerify === true ? { rejectUnauthorized: false } : undefined)
      : credentials.createInsecure();
    return new GrpcMetricExporter({
      url: opts.endpoint,
      metadata,
      credentials: creds,
      compression: compression(opts.compression),
      timeoutMillis: opts.timeoutMillis,
      temporalityPreference,
    });
  }
  const http = {
    url: signalUrl(opts.endpoint, '/v1/metrics'),
    headers: { ...opts.headers },
    httpAgentOptions: httpAgentOptions(opts.tls),
    compression: compression(opts.compression),
    timeoutMillis: opts.timeoutMillis,
    temporalityPreference,
  };
  return opts.protocol === 'http/json' ? new JsonMetricExporter(http) : new ProtoMetricExporter(http);
}

/** Flow records go as OTLP logs over http/protobuf (the log exporter the project ships). */
export function createLogExporter(opts: Omit<OtlpTransportOptions, 'protocol'>): LogRecordExporter {
  return new OTLPLogExporter({
    url: signalUrl(opts.endpoint, '/v1/logs'),
    headers: { ...opts.headers },
    httpAgentOptions: httpAgentOptions(opts.tls),
    compression: compression(opts.compression),
    timeoutMillis: opts.timeoutMillis,
  });
}
