/**
 * OTLP export of the real collector pieces (OVSDB source on a real ovsdb-server, interface and
 * network series), checked against /metrics at the same time. No OpenTelemetry Collector is
 * packaged here, so the receiver is test/helpers/otlp-receiver.ts: it decodes the protobuf (and
 * JSON) payloads with code generated from the official OTLP protobuf definitions, independently
 * of the SDK's serializer, over OTLP/HTTP (plain and TLS) and OTLP/gRPC.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/log.js';
import { METRICS, type MetricSpec } from '../../common/metrics.js';
import { EXPORTER_METRICS } from '../../common/metrics-exporters.js';
import { FlowRecord } from '../../common/model.js';
import { VERSION } from '../../common/version.js';
import { OtlpFlowLogExporter } from '../../exporters/otlp/logs.js';
import { OtlpMetricsExporter, type OtlpMetricsExporterOptions } from '../../exporters/otlp/metrics.js';
import { attributeName, otelName } from '../../exporters/otlp/names.js';
import type { OtlpTransportOptions } from '../../exporters/otlp/transport.js';
import { NETWORKS, PORTS, SYSTEM_ID, initialStats, startOvsCollector, type OvsCollector } from '../helpers/ovs-collector.js';
import { makeLoopbackPki, type LoopbackPki } from '../helpers/pki.js';
import { OtlpReceiver, type ReceivedPoint } from '../helpers/otlp-receiver.js';
import { scrape, type Exposition } from '../helpers/scrape.js';

const CATALOGUE = new Map<string, MetricSpec>([...Object.values(METRICS), ...Object.values(EXPORTER_METRICS)].map((s) => [s.name, s]));
// Written by the Prometheus registry itself, not by a collector: not part of what is pushed.
const REGISTRY_ONLY = new Set([METRICS.scrapeCollectorSuccess.name, METRICS.scrapeCollectorDuration.name]);

function transport(endpoint: string, extra: Partial<OtlpTransportOptions> = {}): OtlpTransportOptions {
  return { protocol: 'http/protobuf', endpoint, headers: {}, timeoutMillis: 3000, compression: 'gzip', ...extra };
}

function exporterFor(collector: OvsCollector, extra: Partial<OtlpMetricsExporterOptions> & { transport: OtlpTransportOptions }): OtlpMetricsExporter {
  return new OtlpMetricsExporter({
    collectors: collector.collectors,
    // Long interval: the test exports with forceFlush, so each export is one it asked for.
    intervalMillis: 600_000,
    temporality: 'cumulative',
    maxSeriesPerMetric: 10_000,
    resource: { hostName: 'hv-test-1', systemId: collector.systemId(), attributes: { 'deployment.environment.name': 'test' } },
    logger: silentLogger,
    ...extra,
  });
}

const matches = (p: ReceivedPoint, attrs: Record<string, string>): boolean => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v);

/** Every ovs_* series of the exposition (pushed families only) has its OTLP point, with the same value. */
function expectSameAsExposition(series: Exposition, points: readonly ReceivedPoint[]): number {
  let checked = 0;
  for (const s of series.values()) {
    const spec = CATALOGUE.get(s.name);
    if (spec === undefined || REGISTRY_ONLY.has(s.name) || spec.name.startsWith('ovs_telemetry_exporter_')) continue;
    const otel = otelName(spec);
    const attrs: Record<string, string> = { ...otel.fixed };
    for (const [label, v] of Object.entries(s.labels)) if (v !== '') attrs[attributeName(label)] = v;
    const found = points.filter((p) => p.metric === otel.name && matches(p, attrs));
    expect(found, `${s.name}${JSON.stringify(s.labels)}`).toHaveLength(1);
    expect(found[0].value, `${s.name}${JSON.stringify(s.labels)}`).toBe(s.value);
    expect(found[0].kind).toBe(spec.type === 'counter' ? 'sum' : 'gauge');
    checked++;
  }
  return checked;
}

describe('OTLP metrics: http/protobuf against a real ovsdb-server', () => {
  let collector: OvsCollector;
  let receiver: OtlpReceiver;
  let exporter: OtlpMetricsExporter;

  beforeAll(async () => {
    collector = await startOvsCollector();
    receiver = new OtlpReceiver();
    const url = await receiver.listenHttp();
    exporter = exporterFor(collector, { transport: transport(url, { headers: { Authorization: 'Bearer s3cret-token' } }) });
    exporter.start();
  });

  afterAll(async () => {
    await exporter?.stop();
    await receiver?.close();
    await collector?.stop();
  });

  it('pushes every series of /metrics with the same value, under semantic-convention names and attributes', async () => {
    await exporter.forceFlush();
    const { series } = await scrape(collector.url);
    const request = receiver.requests.at(-1);
    expect(request?.transport).toBe('http/protobuf');
    expect(request?.headers.authorization).toBe('Bearer s3cret-token');
    const checked = expectSameAsExposition(series, request?.points ?? []);
    // 3 ports + br-int: info, 4 counters each (ovsdb-server has no link state), network sums, ovs_up...
    expect(checked).toBeGreaterThan(30);
  });

  it('sets the resource: service.name, service.version, host.name, ovs.system.id and extra attributes', async () => {
    const point = receiver.requests.at(-1)?.points[0];
    expect(point?.resource).toMatchObject({
      'service.name': 'ovs-telemetry',
      'service.version': VERSION,
      'host.name': 'hv-test-1',
      'ovs.system.id': SYSTEM_ID,
      'deployment.environment.name': 'test',
    });
    expect(point?.scope).toBe('ovs-telemetry');
  });

  it('interface traffic is ovs.interface.io by network.io.direction, a monotonic cumulative sum in By, with tenancy attributes', async () => {
    const io = receiver.latest('ovs.interface.io');
    for (const [i, port] of PORTS.entries()) {
      const rx = io.filter((p) => matches(p, { 'network.interface.name': port.name, 'network.io.direction': 'receive' }));
      const tx = io.filter((p) => matches(p, { 'network.interface.name': port.name, 'network.io.direction': 'transmit' }));
      expect(rx.map((p) => p.value)).toEqual([initialStats(i).rx_bytes]);
      expect(tx.map((p) => p.value)).toEqual([initialStats(i).tx_bytes]);
      expect(rx[0]).toMatchObject({ kind: 'sum', monotonic: true, temporality: 2, unit: 'By' });
      expect(rx[0].attributes).toMatchObject({
        'ovs.bridge.name': 'br-int',
        'ovs.port.name': port.name,
        'openstack.port.id': port.neutronPortId,
        'openstack.network.id': port.network.id,
        'openstack.project.id': port.network.project,
      });
    }
    const netIo = receiver.latest('ovs.network.io');
    const sumA = PORTS.map((p, i) => (p.network === NETWORKS[0] ? initialStats(i).rx_bytes : 0)).reduce((a, b) => a + b, 0);
    expect(netIo.filter((p) => matches(p, { 'openstack.network.id': NETWORKS[0].id, 'network.io.direction': 'receive' })).map((p) => p.value)).toEqual([sumA]);
    expect(receiver.latest('ovs.interface.packet.count')[0].unit).toBe('{packet}');
  });

  it('follows counter changes: the next export equals /metrics again', async () => {
    await collector.setStats(PORTS[0], { rx_bytes: 123_456, tx_bytes: 654_321, rx_packets: 1234, tx_packets: 4321 });
    const series = await collector.waitForRx(PORTS[0], 123_456);
    await exporter.forceFlush();
    expectSameAsExposition(series, receiver.requests.at(-1)?.points ?? []);
    // Cumulative: the start time stays the same from export to export.
    const starts = receiver.requests.slice(-2).map((r) => r.points.find((p) => p.metric === 'ovs.interface.io')?.startTimeUnixNano);
    expect(starts[0]).toBe(starts[1]);
  });

  it('counts deliveries and failures (receiver answering 503), and recovers', async () => {
    const sent = exporter.stats.sent;
    expect(sent).toBeGreaterThan(30);
    expect(exporter.stats.lastSuccess).toBeGreaterThan(Date.now() / 1000 - 60);
    receiver.unavailable = true;
    await exporter.forceFlush();
    expect(exporter.stats.failures).toBe(1);
    receiver.unavailable = false;
    await exporter.forceFlush();
    expect(exporter.stats.sent).toBeGreaterThan(sent);
  });
});

describe('OTLP metrics: http/json with delta temporality, TLS and gRPC', () => {
  let collector: OvsCollector;
  let dir: string;
  let pki: LoopbackPki;
  const receivers: OtlpReceiver[] = [];
  const exporters: OtlpMetricsExporter[] = [];

  beforeAll(async () => {
    collector = await startOvsCollector();
    dir = await mkdtemp(join(tmpdir(), 'otlp-test-'));
    pki = await makeLoopbackPki(dir);
  });

  afterAll(async () => {
    for (const e of exporters) await e.stop();
    for (const r of receivers) await r.close();
    await collector?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function start(listen: (r: OtlpReceiver) => Promise<string>, extra: (url: string) => Partial<OtlpMetricsExporterOptions> & { transport: OtlpTransportOptions }): Promise<[OtlpReceiver, OtlpMetricsExporter]> {
    const receiver = new OtlpReceiver();
    receivers.push(receiver);
    const exporter = exporterFor(collector, extra(await listen(receiver)));
    exporters.push(exporter);
    exporter.start();
    return [receiver, exporter];
  }

  it('http/json, delta: counters go out as the increase since the last export', async () => {
    const [receiver, exporter] = await start((r) => r.listenHttp(), (url) => ({ transport: transport(url, { protocol: 'http/json', compression: 'none' }), temporality: 'delta' }));
    await exporter.forceFlush();
    const port = PORTS[1];
    const rx = (): ReceivedPoint | undefined => receiver.requests.at(-1)?.points.find((p) => p.metric === 'ovs.interface.io' && matches(p, { 'network.interface.name': port.name, 'network.io.direction': 'receive' }));
    expect(receiver.requests.at(-1)?.transport).toBe('http/json');
    // The first delta of an observable counter is its whole value so far.
    expect(rx()).toMatchObject({ value: initialStats(1).rx_bytes, temporality: 1, monotonic: true });
    await collector.setStats(port, { ...initialStats(1), rx_bytes: initialStats(1).rx_bytes + 500 });
    await collector.waitForRx(port, initialStats(1).rx_bytes + 500);
    await exporter.forceFlush();
    expect(rx()?.value).toBe(500);
    await exporter.forceFlush();
    expect(rx()?.value).toBe(0);
  });

  it('https with the receiver\'s CA: delivered; without it: refused and counted as failures', async () => {
    const tls = { cert: pki.serverCert, key: pki.serverKey };
    const ca = await readFile(pki.caCert);
    const [receiver, exporter] = await start((r) => r.listenHttp(tls), (url) => ({ transport: transport(url, { tls: { ca } }) }));
    await exporter.forceFlush();
    const { series } = await scrape(collector.url);
    expectSameAsExposition(series, receiver.requests.at(-1)?.points ?? []);
    const [untrusting, refused] = await start((r) => r.listenHttp(tls), (url) => ({ transport: transport(url) }));
    await refused.forceFlush();
    expect(untrusting.requests).toHaveLength(0);
    expect(refused.stats.failures).toBe(1);
  });

  it('gRPC: the same points, headers as metadata', async () => {
    const [receiver, exporter] = await start((r) => r.listenGrpc(), (url) => ({ transport: transport(url, { protocol: 'grpc', headers: { Authorization: 'Bearer grpc-token' } }) }));
    await exporter.forceFlush();
    const { series } = await scrape(collector.url);
    const request = receiver.requests.at(-1);
    expect(request?.transport).toBe('grpc');
    expect(request?.headers.authorization).toBe('Bearer grpc-token');
    expect(expectSameAsExposition(series, request?.points ?? [])).toBeGreaterThan(30);
  });
});

describe('OTLP logs: flow records', () => {
  let receiver: OtlpReceiver;
  let exporter: OtlpFlowLogExporter;

  beforeAll(async () => {
    receiver = new OtlpReceiver();
    const url = await receiver.listenHttp();
    exporter = new OtlpFlowLogExporter({
      transport: { endpoint: url, headers: { 'X-Scope-OrgID': 'tenant-1' }, timeoutMillis: 3000, compression: 'gzip' },
      resource: { hostName: 'hv-test-1', systemId: SYSTEM_ID },
      maxQueue: 4,
      batchSize: 2,
      delayMillis: 50,
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await exporter?.stop();
    await receiver?.close();
  });

  it('sends each record as a log record with convention names, tenancy and the receive time', async () => {
    const rec = new FlowRecord();
    rec.time_received_ns = 1_700_000_000_123_456_789n;
    rec.sampling_rate = 400;
    rec.sampler_address = '192.0.2.10';
    rec.in_if = 7;
    rec.bytes = 1500;
    rec.packets = 1;
    rec.etype = 0x0800;
    rec.proto = 6;
    rec.src_addr = '10.0.0.5';
    rec.dst_addr = '10.0.0.6';
    rec.src_port = 43512;
    rec.dst_port = 443;
    rec.network_id = NETWORKS[0].id;
    rec.project_id = NETWORKS[0].project;
    expect(exporter.export(rec)).toBe(true);
    await exporter.forceFlush();
    const log = await receiver.waitFor(() => receiver.logs[0]);
    expect(log.timeUnixNano).toBe('1700000000123456789');
    expect(log.resource).toMatchObject({ 'service.name': 'ovs-telemetry', 'ovs.system.id': SYSTEM_ID });
    expect(log.attributes).toEqual({
      'ovs.flow.type': 'SFLOW_5',
      'ovs.flow.sampling_rate': 400,
      'ovs.flow.sampler_address': '192.0.2.10',
      'ovs.flow.in_if': 7,
      'ovs.flow.bytes': 1500,
      'ovs.flow.packets': 1,
      'ovs.flow.etype': 2048,
      'ovs.flow.ip_protocol': 6,
      'source.address': '10.0.0.5',
      'destination.address': '10.0.0.6',
      'source.port': 43512,
      'destination.port': 443,
      'openstack.network.id': NETWORKS[0].id,
      'openstack.project.id': NETWORKS[0].project,
    });
    expect(receiver.logHeaders[0]['x-scope-orgid']).toBe('tenant-1');
    expect(exporter.stats.sent).toBe(1);
  });

  it('bounds its queue while the receiver is down: the excess is dropped and counted', async () => {
    receiver.unavailable = true;
    const rec = new FlowRecord();
    rec.bytes = 64;
    const accepted = Array.from({ length: 10 }, () => exporter.export(rec)).filter(Boolean).length;
    expect(accepted).toBe(4);
    expect(exporter.stats.dropped.buffer_full).toBe(6);
    await exporter.forceFlush();
    expect(exporter.stats.failures).toBeGreaterThanOrEqual(1);
    expect(exporter.pending).toBe(0);
    receiver.unavailable = false;
  });
});
