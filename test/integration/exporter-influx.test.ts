/**
 * InfluxDB export of the real collector pieces (OVSDB source on a real ovsdb-server, interface and
 * network series) into a real influxd (Debian's influxdb 1.x) that the test starts: the series,
 * tags and values equal /metrics at the same time; influxd stopped for 30 s mid-run loses no
 * point (InfluxQL counts), and the exporter's buffer metrics show the outage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/log.js';
import type { MetricCollector } from '../../common/metrics.js';
import { InfluxExporter } from '../../exporters/influx/exporter.js';
import { startInfluxd, type Influxd } from '../helpers/influxd.js';
import { NETWORKS, PORTS, startOvsCollector, type OvsCollector } from '../helpers/ovs-collector.js';
import { scrape, value, waitForScrape } from '../helpers/scrape.js';

const DB = 'ovs_test';
const INTERVAL_MS = 1000;
const OUTAGE_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('InfluxDB exporter against a real influxd', () => {
  let influxd: Influxd;
  let collector: OvsCollector;
  let exporter: InfluxExporter;
  const buffered = async (): Promise<number | undefined> => value((await scrape(collector.url)).series, 'ovs_telemetry_exporter_buffer_points', { exporter: 'influxdb' });

  beforeAll(async () => {
    influxd = await startInfluxd();
    // The exporter's own metrics, on /metrics beside the OVS series (and written to InfluxDB too).
    const selfMetrics: MetricCollector = { name: 'influxdb_exporter', collect: (sink) => exporter?.stats.collect(sink) };
    collector = await startOvsCollector({ extraCollectors: [selfMetrics] });
    exporter = new InfluxExporter({
      collectors: collector.collectors,
      connection: { url: influxd.url, database: DB, retentionPolicy: { name: 'ovs_week', duration: '7d', replication: 1, isDefault: true }, timeoutMillis: 2000 },
      createDatabase: true,
      intervalMillis: INTERVAL_MS,
      // Small batches: the backlog after the outage takes several writes.
      batchSize: 100,
      maxBufferedPoints: 100_000,
      initialBackoffMillis: 250,
      maxBackoffMillis: 2000,
      logger: silentLogger,
    });
    exporter.start();
  });

  afterAll(async () => {
    await exporter?.stop();
    await collector?.stop();
    await influxd?.stop();
  });

  async function waitDelivered(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const start = exporter.collections;
    while (exporter.collections === start || exporter.stats.lastSuccess * 1000 < exporter.lastCollection || (await buffered()) !== 0) {
      if (Date.now() > deadline) throw new Error(`points not delivered within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  it('creates the database and its retention policy; tags and fields as designed', async () => {
    await waitDelivered(10_000);
    expect((await influxd.query('SHOW DATABASES'))[0].values.flat()).toContain(DB);
    const rps = (await influxd.query(`SHOW RETENTION POLICIES ON "${DB}"`))[0];
    const week = rps.values.find((row) => row[0] === 'ovs_week');
    expect(week?.[rps.columns.indexOf('duration')]).toBe('168h0m0s');
    expect(week?.[rps.columns.indexOf('default')]).toBe(true);
    const tagKeys = (await influxd.query('SHOW TAG KEYS FROM "ovs_interface"', DB))[0].values.flat();
    expect(tagKeys).toEqual(['bridge', 'interface', 'network_id', 'neutron_port_id', 'port', 'project_id']);
    expect((await influxd.query('SHOW TAG KEYS FROM "ovs_network"', DB))[0].values.flat()).toEqual(['network_id', 'project_id']);
    const fields = (await influxd.query('SHOW FIELD KEYS FROM "ovs_interface"', DB))[0].values;
    expect(fields).toEqual(expect.arrayContaining([['receive_bytes', 'float'], ['transmit_bytes', 'float'], ['receive_packets', 'float'], ['transmit_packets', 'float']]));
    // Cardinality: one series per interface with statistics (the VM ports; br-int has none
    // without ovs-vswitchd), one per tenant network.
    expect((await influxd.query('SHOW SERIES FROM "ovs_interface"', DB))[0].values).toHaveLength(PORTS.length);
    expect((await influxd.query('SHOW SERIES FROM "ovs_network"', DB))[0].values).toHaveLength(NETWORKS.length);
  });

  it('per-interface and per-network series equal /metrics at the same time', async () => {
    for (const [i, port] of PORTS.entries()) {
      await collector.setStats(port, { rx_bytes: 50_000 + i, tx_bytes: 60_000 + i, rx_packets: 500 + i, tx_packets: 600 + i });
    }
    const { series } = await waitForScrape(collector.url, (s) => PORTS.every((p, i) => value(s, 'ovs_interface_receive_bytes_total', { interface: p.name }) === 50_000 + i), 10_000, 50);
    await waitDelivered(10_000);
    const rows = await influxd.query('SELECT * FROM "ovs_interface" GROUP BY * ORDER BY time DESC LIMIT 1', DB);
    for (const port of PORTS) {
      const row = rows.find((r) => r.tags.interface === port.name);
      expect(row?.tags).toEqual({ bridge: 'br-int', port: port.name, interface: port.name, neutron_port_id: port.neutronPortId, network_id: port.network.id, project_id: port.network.project });
      const field = (name: string): unknown => row?.values[0][row.columns.indexOf(name)];
      const labels = { interface: port.name };
      expect(field('receive_bytes')).toBe(value(series, 'ovs_interface_receive_bytes_total', labels));
      expect(field('transmit_bytes')).toBe(value(series, 'ovs_interface_transmit_bytes_total', labels));
      expect(field('receive_packets')).toBe(value(series, 'ovs_interface_receive_packets_total', labels));
      expect(field('transmit_packets')).toBe(value(series, 'ovs_interface_transmit_packets_total', labels));
    }
    const nets = await influxd.query('SELECT * FROM "ovs_network" GROUP BY * ORDER BY time DESC LIMIT 1', DB);
    for (const net of NETWORKS) {
      const row = nets.find((r) => r.tags.network_id === net.id);
      expect(row?.tags).toEqual({ network_id: net.id, project_id: net.project });
      const labels = { network_id: net.id };
      for (const [field, metric] of [['receive_bytes', 'ovs_network_receive_bytes_total'], ['transmit_bytes', 'ovs_network_transmit_bytes_total'],
        ['receive_packets', 'ovs_network_receive_packets_total'], ['transmit_packets', 'ovs_network_transmit_packets_total'], ['interfaces', 'ovs_network_interfaces']] as const) {
        expect(row?.values[0][row.columns.indexOf(field)], `${net.id} ${field}`).toBe(value(series, metric, labels));
      }
    }
    const up = await influxd.query('SELECT last("gauge") FROM "ovs_up"', DB);
    expect(up[0].values[0][1]).toBe(1);
  });

  it(`influxd stopped for ${OUTAGE_MS / 1000} s: no point missing, buffer metrics show the outage`, async () => {
    const port = PORTS[0];
    let packets = 1000;
    let traffic = true;
    // Counters keep moving during the outage, as they would with traffic.
    const driver = (async () => {
      while (traffic) {
        packets++;
        await collector.setStats(port, { rx_bytes: packets * 1500, tx_bytes: packets * 1500, rx_packets: packets, tx_packets: packets });
        await sleep(300);
      }
    })();
    await waitDelivered(10_000);
    const firstTime = exporter.lastCollection;
    const firstCount = exporter.collections;

    await influxd.halt();
    const downAt = Date.now();
    const fill: number[] = [];
    while (Date.now() - downAt < OUTAGE_MS) {
      await sleep(5000);
      fill.push((await buffered()) ?? -1);
    }
    const during = (await scrape(collector.url)).series;
    await influxd.start();
    const upAt = Date.now();

    // While down: the buffer grows every interval and the failed writes are counted.
    expect(fill.every((n, i) => n > 0 && (i === 0 || n > fill[i - 1]))).toBe(true);
    expect(value(during, 'ovs_telemetry_exporter_send_failures_total', { exporter: 'influxdb' })).toBeGreaterThan(3);
    expect(value(during, 'ovs_telemetry_exporter_points_dropped_total', { exporter: 'influxdb', reason: 'buffer_full' })).toBe(0);

    // Back: the backlog is delivered.
    const deadline = Date.now() + 20_000;
    while ((await buffered()) !== 0 || exporter.stats.lastSuccess * 1000 < exporter.lastCollection) {
      if (Date.now() > deadline) throw new Error(`backlog not delivered: ${await buffered()} points buffered`);
      await sleep(200);
    }
    traffic = false;
    await driver;
    const lastTime = exporter.lastCollection;
    const collections = exporter.collections - firstCount + 1;

    const where = `WHERE "interface" = '${port.name}' AND time >= ${firstTime}ms AND time <= ${lastTime}ms`;
    const rows = (await influxd.query(`SELECT "receive_bytes" FROM "ovs_interface" ${where}`, DB))[0].values as [number, number][];
    // One point per collection, none missing: the count, and no gap longer than an interval.
    expect(rows).toHaveLength(collections);
    const count = (await influxd.query(`SELECT count("receive_bytes") FROM "ovs_interface" ${where}`, DB))[0].values[0][1];
    expect(count).toBe(collections);
    const gaps = rows.slice(1).map((r, i) => r[0] - rows[i][0]);
    expect(Math.max(...gaps)).toBeLessThan(INTERVAL_MS * 1.5);
    const inOutage = rows.filter(([t]) => t > downAt && t < upAt);
    expect(inOutage.length).toBeGreaterThanOrEqual(OUTAGE_MS / INTERVAL_MS - 2);
    // The outage's points carry the values of their time: the counter kept rising.
    expect(new Set(inOutage.map(([, v]) => v)).size).toBeGreaterThan(inOutage.length / 2);
    expect(rows.every(([, v], i) => i === 0 || v >= rows[i - 1][1])).toBe(true);
    const netCount = (await influxd.query(`SELECT count("receive_bytes") FROM "ovs_network" WHERE "network_id" = '${port.network.id}' AND time >= ${firstTime}ms AND time <= ${lastTime}ms`, DB))[0].values[0][1];
    expect(netCount).toBe(collections);
    // The exporter's self-metrics reached InfluxDB too: the buffer fill during the outage.
    const peak = (await influxd.query(`SELECT max("gauge") FROM "ovs_telemetry_exporter_buffer_points" WHERE time > ${downAt}ms AND time < ${upAt}ms`, DB))[0].values[0][1];
    expect(peak).toBeGreaterThan(fill[0]);
  });
});
