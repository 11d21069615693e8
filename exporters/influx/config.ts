/**
 * The translation of the collector config's `influxdb:` section (common/config-influx.ts) into
 * exporter options; TLS files are read at start-up, errors name the key.
 */
import { readClientTls } from '../../common/config-fields.js';
import type { InfluxConfig } from '../../common/config-influx.js';
import type { Logger } from '../../common/log.js';
import type { MetricCollector } from '../../common/metrics.js';
import type { InfluxExporterOptions } from './exporter.js';

export interface InfluxWiring {
  readonly collectors: readonly MetricCollector[];
  readonly logger: Logger;
}

/** Exporter options; `source` (the config file) and `key` (this section's key) name errors. */
export function influxExporterOptions(config: InfluxConfig, source: string, wiring: InfluxWiring, key = 'influxdb'): InfluxExporterOptions {
  const rp = config.retention_policy;
  return {
    collectors: wiring.collectors,
    connection: {
      url: config.url,
      database: config.database,
      retentionPolicy: rp && { name: rp.name, duration: rp.duration, replication: rp.replication, isDefault: rp.default },
      username: config.username,
      password: config.token ?? config.password,
      tls: readClientTls(config.tls, key, source),
      timeoutMillis: config.timeout_seconds * 1000,
    },
    createDatabase: config.create_database,
    intervalMillis: config.interval_seconds * 1000,
    batchSize: config.batch_size,
    maxBufferedPoints: config.max_buffered_points,
    initialBackoffMillis: config.backoff.initial_seconds * 1000,
    maxBackoffMillis: Math.max(config.backoff.max_seconds, config.backoff.initial_seconds) * 1000,
    logger: wiring.logger,
  };
}
