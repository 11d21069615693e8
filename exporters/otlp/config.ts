/**
 * The translation of the collector config's `otlp:` section (common/config-otlp.ts) into
 * exporter options. TLS files are read here, at start-up, so a missing file
 * stops the start with the key that names it.
 */
import { readClientTls } from '../../common/config-fields.js';
import { DEFAULT_ENDPOINTS, type OtlpConfig } from '../../common/config-otlp.js';
import type { Logger } from '../../common/log.js';
import type { MetricCollector } from '../../common/metrics.js';
import type { OtlpFlowLogExporterOptions } from './logs.js';
import type { OtlpMetricsExporterOptions } from './metrics.js';
import type { OtlpResourceOptions } from './resource.js';
import type { OtlpTransportOptions } from './transport.js';

/** Transport options; `source` (the config file) and `key` (this section's key) name errors. */
export function otlpTransportOptions(config: OtlpConfig, source: string, key = 'otlp'): OtlpTransportOptions {
  return {
    protocol: config.protocol,
    endpoint: config.endpoint ?? (config.protocol === 'grpc' ? DEFAULT_ENDPOINTS.grpc : DEFAULT_ENDPOINTS.http),
    headers: config.headers,
    tls: readClientTls(config.tls, key, source),
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
