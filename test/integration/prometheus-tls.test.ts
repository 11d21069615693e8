/**
 * The metrics endpoint hardened with an exporter-toolkit web config, scraped by a real Prometheus
 * (Debian's prometheus 2.42): TLS with basic auth works (and OpenMetrics is what Prometheus gets),
 * the same scrape without or with wrong credentials fails, TLS below 1.2 is refused, a rotated
 * certificate is served without a restart, and the cardinality guard holds under a flood of new
 * interfaces. The OVS side is a real ovsdb-server with the collector's OVSDB source.
 */
import bcrypt from 'bcryptjs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTS, startOvsCollector, type OvsCollector } from '../helpers/ovs-collector.js';
import { makeLoopbackPki, type LoopbackPki } from '../helpers/pki.js';
import { startPrometheus, type Prometheus } from '../helpers/prometheus.js';
import { parseExposition, seriesOf } from '../helpers/promtool.js';

const USER = 'prometheus';
const PASSWORD = 'scrape-s3cret';
const MAX_SERIES = 50;
const FLOOD = 200;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

async function get(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(200);
  }
}

describe('metrics endpoint with TLS and basic auth, scraped by a real Prometheus', () => {
  let dir: string;
  let pki: LoopbackPki;
  let ca: Buffer;
  let collector: OvsCollector;
  let prometheus: Prometheus;
  const warnings: { family?: string; msg: string }[] = [];
  const auth = { authorization: basic(USER, PASSWORD) };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prom-tls-test-'));
    pki = await makeLoopbackPki(dir);
    ca = await readFile(pki.caCert);
    const webConfig = join(dir, 'web.yml');
    // Paths relative to the web config file, as in the exporter-toolkit.
    await writeFile(webConfig, `tls_server_config:
  cert_file: server-cert.pem
  key_file: server-key.pem
basic_auth_users:
  ${USER}: '${bcrypt.hashSync(PASSWORD, 10)}'
http_server_config:
  headers:
    X-Content-Type-Options: nosniff
`);
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line) as { family?: string; msg: string }) });
    collector = await startOvsCollector({ webConfigFile: webConfig, maxSeriesPerFamily: MAX_SERIES, logger });
    const target = collector.url.replace('https://', '');
    prometheus = await startPrometheus(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: ovs
    scheme: https
    tls_config: { ca_file: ${pki.caCert} }
    basic_auth: { username: ${USER}, password: ${PASSWORD} }
    static_configs: [{ targets: ['${target}'] }]
  - job_name: ovs-no-credentials
    scrape_interval: 2s
    scheme: https
    tls_config: { ca_file: ${pki.caCert} }
    static_configs: [{ targets: ['${target}'] }]
  - job_name: ovs-wrong-password
    scrape_interval: 2s
    scheme: https
    tls_config: { ca_file: ${pki.caCert} }
    basic_auth: { username: ${USER}, password: not-the-password }
    static_configs: [{ targets: ['${target}'] }]
`);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await collector?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('Prometheus scrapes over TLS with basic auth, as OpenMetrics, the same values the endpoint serves', async () => {
    expect(collector.url.startsWith('https://')).toBe(true);
    const port = PORTS[0];
    const samples = await eventually('ovs target up with interface series', async () => {
      const up = await prometheus.query('up{job="ovs"}');
      const rx = await prometheus.query(`ovs_interface_receive_bytes_total{job="ovs",interface="${port.name}"}`);
      return up[0]?.value === 1 && rx.length === 1 ? rx : undefined;
    });
    const res = await get(`${collector.url}/metrics`, ca, auth);
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const served = parseExposition(res.body.toString());
    expect(samples[0].value).toBe(seriesOf(served, 'ovs_interface_receive_bytes_total', { interface: port.name })[0].value);
    expect((await prometheus.query('count(ovs_interface_info{job="ovs"})'))[0].value).toBe(PORTS.length + 1);
    // OpenMetrics was negotiated: Prometheus keeps counter metadata under the family name
    // without _total, and knows ovs_interface as an info family.
    const metadata = (await (await fetch(`${prometheus.url}/api/v1/metadata`)).json()) as { data: Record<string, { type: string }[]> };
    expect(metadata.data.ovs_interface_receive_bytes?.[0].type).toBe('counter');
    expect(metadata.data.ovs_interface?.[0].type).toBe('info');
  });

  it('without credentials or with a wrong password the scrape fails (401)', async () => {
    const targets = await eventually('failing jobs scraped', async () => {
      const t = await prometheus.targets();
      const failing = t.filter((x) => x.labels.job !== 'ovs');
      return failing.length === 2 && failing.every((x) => x.health === 'down') ? failing : undefined;
    });
    for (const t of targets) expect(t.lastError).toContain('401');
    expect((await get(`${collector.url}/metrics`, ca)).status).toBe(401);
    expect((await get(`${collector.url}/metrics`, ca, { authorization: basic('nobody', PASSWORD) })).status).toBe(401);
    expect((await get(`${collector.url}/healthz`, ca)).status).toBe(401);
    const denied = await get(`${collector.url}/`, ca);
    expect(denied.headers['www-authenticate']).toBe('Basic realm="ovs-telemetry"');
  });

  it('refuses TLS below 1.2 and plain HTTP; serves gzip when asked', async () => {
    const port = Number(new URL(collector.url).port);
    const tls11 = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => resolve('connected'));
      socket.on('error', (err) => resolve(err.message));
    });
    expect(tls11).not.toBe('connected');
    await expect(fetch(collector.url.replace('https://', 'http://') + '/metrics')).rejects.toThrow();
    const gz = await get(`${collector.url}/metrics`, ca, { ...auth, 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toContain('# TYPE ovs_up gauge');
  });

  it('a rotated certificate is served on the next connection, without a restart', async () => {
    const peerCn = async (): Promise<string> => new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: Number(new URL(collector.url).port), ca }, () => {
        resolve(String(socket.getPeerCertificate().subject.CN));
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(await peerCn()).toBe('ovs-telemetry test server');
    await pki.reissueServer(pki.serverCert, pki.serverKey, 'ovs-telemetry rotated server');
    expect(await peerCn()).toBe('ovs-telemetry rotated server');
    expect((await get(`${collector.url}/metrics`, ca, auth)).status).toBe(200);
  });

  it(`the cardinality guard holds under a flood of ${FLOOD} new interfaces`, async () => {
    const args: string[] = [];
    for (let i = 0; i < FLOOD; i++) args.push('--', 'add-port', 'br-int', `flood${i}`, '--', 'set', 'Interface', `flood${i}`, `statistics:rx_bytes=${i}`);
    await collector.db.vsctl(...args.slice(1));
    const served = await eventually('overflow counted', async () => {
      const s = parseExposition((await get(`${collector.url}/metrics`, ca, auth)).body.toString());
      return seriesOf(s, 'ovs_telemetry_exposition_series_overflow_total', { family: 'ovs_interface_info' })[0]?.value > 0 ? s : undefined;
    });
    expect(seriesOf(served, 'ovs_interface_info')).toHaveLength(MAX_SERIES);
    expect(seriesOf(served, 'ovs_interface_receive_bytes_total')).toHaveLength(MAX_SERIES);
    // Prometheus keeps scraping, and stores no more than the cap.
    await eventually('Prometheus sees the capped families', async () => {
      const n = await prometheus.query('count(ovs_interface_info{job="ovs"})');
      return n[0]?.value === MAX_SERIES ? n : undefined;
    });
    await sleep(3000);
    expect((await prometheus.query('up{job="ovs"}'))[0].value).toBe(1);
    expect((await prometheus.query('max_over_time(scrape_samples_scraped{job="ovs"}[5s])'))[0].value).toBeLessThan(2000);
    // Logged once per family, however many scrapes overflowed.
    const logged = warnings.filter((w) => w.family !== undefined).map((w) => w.family);
    expect(logged.length).toBe(new Set(logged).size);
    expect(logged).toEqual(expect.arrayContaining(['ovs_interface_info', 'ovs_interface_receive_bytes_total']));
  });
});
