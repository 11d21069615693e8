import type { IPoint, IRetentionOptions, IWriteOptions } from 'influx';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/log.js';
import { METRICS, type MetricCollector } from '../../../common/metrics.js';
import { InfluxExporter, type InfluxClient } from '../../../exporters/influx/exporter.js';
import { snapshotPoints } from '../../../exporters/influx/points.js';
import { BoundedQueue } from '../../../exporters/influx/queue.js';
import { Snapshot } from '../../../exporters/snapshot.js';

describe('snapshotPoints', () => {
  it('groups interface and network families into one point each, tenancy from ovs_interface_info as tags', () => {
    const s = new Snapshot(1_700_000_000_000);
    s.add(METRICS.interfaceInfo, ['br-int', 'tap1', 'tap1', '5', 'system', 'fa:16:3e:00:00:01', 'port-1', 'net-1', 'proj-1'], 1);
    s.add(METRICS.interfaceReceiveBytes, ['br-int', 'tap1', 'tap1'], 100);
    s.add(METRICS.interfaceTransmitBytes, ['br-int', 'tap1', 'tap1'], 200);
    s.add(METRICS.interfaceMtu, ['br-int', 'tap1', 'tap1'], 1500);
    s.add(METRICS.interfaceReceiveBytes, ['br-int', 'br-int', 'br-int'], 7);
    s.add(METRICS.networkReceiveBytes, ['net-1', 'proj-1'], 100);
    s.add(METRICS.networkInterfaces, ['net-1', 'proj-1'], 1);
    s.add(METRICS.up, [], 1);
    s.add(METRICS.sflowDatagrams, ['192.0.2.1', ''], 42);
    s.add(METRICS.interfaceLinkSpeed, ['br-int', 'tap1', 'tap1'], NaN);
    expect(snapshotPoints(s)).toEqual([
      {
        measurement: 'ovs_interface',
        tags: { bridge: 'br-int', port: 'tap1', interface: 'tap1', neutron_port_id: 'port-1', network_id: 'net-1', project_id: 'proj-1' },
        fields: { receive_bytes: 100, transmit_bytes: 200, mtu_bytes: 1500 },
        timestamp: 1_700_000_000_000,
      },
      { measurement: 'ovs_interface', tags: { bridge: 'br-int', port: 'br-int', interface: 'br-int' }, fields: { receive_bytes: 7 }, timestamp: 1_700_000_000_000 },
      { measurement: 'ovs_network', tags: { network_id: 'net-1', project_id: 'proj-1' }, fields: { receive_bytes: 100, interfaces: 1 }, timestamp: 1_700_000_000_000 },
      { measurement: 'ovs_up', tags: {}, fields: { gauge: 1 }, timestamp: 1_700_000_000_000 },
      { measurement: 'ovs_sflow_datagrams_total', tags: { agent: '192.0.2.1' }, fields: { counter: 42 }, timestamp: 1_700_000_000_000 },
    ]);
  });
});

describe('BoundedQueue', () => {
  it('drops the oldest waiting items when full, never the batch in flight', () => {
    const q = new BoundedQueue<number>(5);
    expect(q.push([1, 2, 3, 4])).toBe(0);
    expect(q.take(2)).toEqual([1, 2]);
    expect(q.push([5, 6, 7])).toBe(2);
    q.settle(false);
    expect(q.take(10)).toEqual([1, 2, 5, 6, 7]);
    q.settle(true);
    expect(q.length).toBe(0);
    expect(q.push([8, 9, 10, 11, 12, 13, 14])).toBe(2);
    expect(q.take(10)).toEqual([10, 11, 12, 13, 14]);
  });

  it('stays correct across compaction of a long dead prefix', () => {
    const q = new BoundedQueue<number>(100);
    let next = 0;
    for (let round = 0; round < 200; round++) {
      q.push(Array.from({ length: 30 }, () => next++));
      const batch = q.take(25);
      expect(batch[batch.length - 1] - batch[0]).toBe(batch.length - 1);
      q.settle(true);
    }
    // Full at 100 after each push; the last batch of 25 went out.
    expect(q.length).toBe(75);
    expect(q.take(1)[0]).toBe(next - 75);
  });
});

class FakeInflux implements InfluxClient {
  written: IPoint[][] = [];
  databases: string[] = [];
  policies: { name: string; options: IRetentionOptions }[] = [];
  fail: 'down' | 'bad' | 'no-db' | undefined;

  async writePoints(points: IPoint[], options?: IWriteOptions): Promise<void> {
    if (this.fail === 'down') throw new Error('connect ECONNREFUSED');
    if (this.fail === 'bad' || this.fail === 'no-db') {
      throw Object.assign(new Error(this.fail), { res: { statusCode: this.fail === 'bad' ? 400 : 404 } });
    }
    expect(options).toEqual({ precision: 'ms', retentionPolicy: 'rp1' });
    this.written.push(points);
  }

  async createDatabase(name: string): Promise<void> {
    this.databases.push(name);
  }

  async showRetentionPolicies(): Promise<{ name: string }[]> {
    return this.policies;
  }

  async createRetentionPolicy(name: string, options: IRetentionOptions): Promise<void> {
    this.policies.push({ name, options });
  }
}

describe('InfluxExporter (fake client)', () => {
  let tick = 0;
  const counter: MetricCollector = { name: 'c', collect: (sink) => sink.add(METRICS.bridges, [], ++tick) };

  function exporter(client: FakeInflux, maxBufferedPoints = 5): InfluxExporter {
    return new InfluxExporter({
      collectors: [counter],
      connection: { url: 'http://127.0.0.1:1', database: 'db1', retentionPolicy: { name: 'rp1', duration: '7d', replication: 1, isDefault: true }, timeoutMillis: 100 },
      createDatabase: true,
      intervalMillis: 1000,
      batchSize: 2,
      maxBufferedPoints,
      initialBackoffMillis: 1,
      maxBackoffMillis: 1,
      logger: silentLogger,
      client,
    });
  }

  const values = (client: FakeInflux): unknown[] => client.written.flat().map((p) => p.fields?.gauge);

  it('creates the database and retention policy once, then writes in batches, oldest first', async () => {
    const client = new FakeInflux();
    const e = exporter(client);
    tick = 0;
    for (let i = 0; i < 3; i++) e.collect();
    await e.flush();
    expect(client.databases).toEqual(['db1']);
    expect(client.policies).toEqual([{ name: 'rp1', options: { database: 'db1', duration: '7d', replication: 1, isDefault: true } }]);
    expect(client.written.map((b) => b.length)).toEqual([2, 1]);
    expect(values(client)).toEqual([1, 2, 3]);
    expect(e.stats.sent).toBe(3);
  });

  it('while down: buffers up to the bound, drops the oldest (counted), delivers the rest when back', async () => {
    const client = new FakeInflux();
    const e = exporter(client);
    tick = 0;
    client.fail = 'down';
    for (let i = 0; i < 8; i++) {
      e.collect();
      await e.flush();
    }
    expect(e.stats.failures).toBe(8);
    expect(e.stats.dropped.buffer_full).toBe(3);
    client.fail = undefined;
    await e.flush();
    expect(values(client)).toEqual([4, 5, 6, 7, 8]);
    expect(e.stats.sent).toBe(5);
  });

  it('drops a batch the server rejects as invalid (400) and recreates a vanished database (404)', async () => {
    const client = new FakeInflux();
    const e = exporter(client);
    tick = 0;
    e.collect();
    client.fail = 'bad';
    await e.flush();
    expect(e.stats.dropped.rejected).toBe(1);
    client.fail = 'no-db';
    e.collect();
    await e.flush();
    client.fail = undefined;
    await e.flush();
    expect(client.databases).toEqual(['db1', 'db1']);
    expect(values(client)).toEqual([2]);
  });
});
