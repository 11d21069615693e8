/**
 * Config errors stop start-up with a message that names the file and the key: the exporter
 * config sections (as they sit in the collector's config file) and the web config's files.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../../../common/log.js';
import { validate } from '../../../common/yaml-file.js';
import { influxConfigSchema } from '../../../common/config-influx.js';
import { influxExporterOptions } from '../../../exporters/influx/config.js';
import { otlpConfigSchema } from '../../../common/config-otlp.js';
import { otlpFlowLogOptions, otlpMetricsOptions } from '../../../exporters/otlp/config.js';
import { PrometheusRegistry } from '../../../exporters/prometheus/registry.js';
import { MetricsServer } from '../../../exporters/prometheus/server.js';

// The sections as the collector's config will hold them.
const schema = z.strictObject({ otlp: otlpConfigSchema.optional(), influxdb: influxConfigSchema.optional() });
const parse = (input: unknown): z.infer<typeof schema> => validate(schema, input, 'collector.yml');
const wiring = { collectors: [], logger: silentLogger };

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('exporter config sections', () => {
  it('defaults: both off, OTLP http/protobuf to 127.0.0.1:4318 every 60 s, cumulative; InfluxDB every 10 s', () => {
    const c = parse({ otlp: {}, influxdb: {} });
    expect(c.otlp).toMatchObject({ enabled: false, protocol: 'http/protobuf', interval_seconds: 60, temporality: 'cumulative', compression: 'gzip', max_series_per_metric: 100_000 });
    expect(otlpMetricsOptions(c.otlp!, 'collector.yml', wiring).transport.endpoint).toBe('http://127.0.0.1:4318');
    expect(c.influxdb).toMatchObject({ enabled: false, url: 'http://127.0.0.1:8086', database: 'ovs_telemetry', create_database: true, interval_seconds: 10, batch_size: 5000, max_buffered_points: 500_000 });
  });

  it.each([
    [{ otlp: { endpoint: 'localhost:4318' } }, 'collector.yml: key otlp.endpoint: must be an http:// or https:// URL'],
    [{ otlp: { endpoint: 'ftp://collector:21' } }, 'collector.yml: key otlp.endpoint: must be an http:// or https:// URL'],
    [{ otlp: { protocol: 'http/xml' } }, 'collector.yml: key otlp.protocol:'],
    [{ otlp: { headers: { 'bad header': 'x' } } }, 'collector.yml: key otlp.headers.bad header:'],
    [{ otlp: { tls: { cert_file: 'c.pem' } } }, 'collector.yml: key otlp.tls.cert_file: cert_file and key_file go together'],
    [{ otlp: { protocol: 'grpc', flow_logs: { enabled: true } } }, 'collector.yml: key otlp.flow_logs.endpoint: required when protocol is grpc'],
    [{ otlp: { flow_logs: { endpoint: 'not a url' } } }, 'collector.yml: key otlp.flow_logs.endpoint: must be an http:// or https:// URL'],
    [{ influxdb: { url: 'influx:8086' } }, 'collector.yml: key influxdb.url: must be an http:// or https:// URL'],
    [{ influxdb: { database: 'bad name' } }, 'collector.yml: key influxdb.database:'],
    [{ influxdb: { retention_policy: { name: 'week', duration: 'a week' } } }, 'collector.yml: key influxdb.retention_policy.duration: must be an InfluxQL duration'],
    [{ influxdb: { token: 't', password: 'p' } }, 'collector.yml: key influxdb.token: set password or token, not both'],
    [{ influxdb: { batch_size: 1000, max_buffered_points: 10 } }, 'collector.yml: key influxdb.max_buffered_points: must be at least batch_size'],
    [{ influxdb: { colour: 'blue' } }, 'collector.yml: key influxdb.colour: unknown key'],
  ])('%j → %s', (input, message) => {
    expect(errorOf(() => parse(input))).toContain(message);
  });

  it('a missing TLS file stops start-up naming the key', () => {
    const otlp = parse({ otlp: { enabled: true, tls: { ca_file: '/nonexistent/ca.pem' }, flow_logs: { enabled: true } } }).otlp!;
    expect(errorOf(() => otlpMetricsOptions(otlp, 'collector.yml', wiring))).toBe('collector.yml: key otlp.tls.ca_file: cannot read /nonexistent/ca.pem: ENOENT');
    expect(errorOf(() => otlpFlowLogOptions(otlp, 'collector.yml', wiring))).toContain('key otlp.tls.ca_file');
    const influx = parse({ influxdb: { url: 'https://influx:8086', tls: { cert_file: '/nonexistent/c.pem', key_file: '/nonexistent/k.pem' } } }).influxdb!;
    expect(errorOf(() => influxExporterOptions(influx, 'collector.yml', wiring))).toBe('collector.yml: key influxdb.tls.cert_file: cannot read /nonexistent/c.pem: ENOENT');
  });

  it('token auth: the token is the password of the 1.x-compatible API', () => {
    const influx = parse({ influxdb: { token: 'tok-123', create_database: false } }).influxdb!;
    expect(influxExporterOptions(influx, 'collector.yml', wiring).connection).toMatchObject({ password: 'tok-123', username: undefined });
  });
});

describe('web config errors stop the metrics server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-config-test-'));
  const server = (content: string): MetricsServer => {
    const file = join(dir, 'web.yml');
    writeFileSync(file, content);
    return new MetricsServer({
      listenAddress: '127.0.0.1:0',
      telemetryPath: '/metrics',
      registry: new PrometheusRegistry([], silentLogger),
      status: () => ({ title: 't', healthy: true, sections: [] }),
      logger: silentLogger,
      webConfigFile: file,
    });
  };

  it('missing cert file', () => {
    expect(errorOf(() => server('tls_server_config:\n  cert_file: missing.pem\n  key_file: missing-key.pem\n')))
      .toBe(`${join(dir, 'web.yml')}: key tls_server_config.cert_file: cannot read ${join(dir, 'missing.pem')}: ENOENT`);
  });

  it('bad bcrypt hash', () => {
    expect(errorOf(() => server('basic_auth_users:\n  prometheus: plain-text-password\n')))
      .toContain(`${join(dir, 'web.yml')}: key basic_auth_users.prometheus: must be a bcrypt hash`);
  });

  it('missing web config file', () => {
    expect(errorOf(() => new MetricsServer({
      listenAddress: '127.0.0.1:0', telemetryPath: '/metrics', registry: new PrometheusRegistry([], silentLogger),
      status: () => ({ title: 't', healthy: true, sections: [] }), logger: silentLogger, webConfigFile: join(dir, 'nope.yml'),
    }))).toContain(`${join(dir, 'nope.yml')}: cannot read`);
  });
});
