/**
 * OVSDB initial sync and /metrics render at scale: a real ovsdb-server holding 10,000 interfaces
 * with statistics. Peer in the same run: `ovs-vsctl --format=json list Interface` on the same DB.
 * Goals (foundation issue): sync <= 2x ovs-vsctl, a 10k-interface scrape <= 300 ms, RSS <= 250 MB.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { silentLogger } from '../common/log.js';
import { OvsdbClient } from '../collector/ovsdb/client.js';
import { VSWITCH_MONITOR, VswitchModel } from '../collector/ovs/model.js';
import { InterfaceMetrics } from '../collector/ovs/metrics.js';
import { TenancyMapping } from '../collector/tenancy/mapping-file.js';
import { TenancyResolver } from '../collector/tenancy/resolver.js';
import { PrometheusRegistry } from '../exporters/prometheus/registry.js';
import { startOvsdbServer } from '../test/helpers/ovsdb-server.js';
import type { TransactOperation } from '../collector/ovsdb/transact.js';
import type { Json } from '../collector/ovsdb/json.js';
import type { BenchResult } from './run.js';

const run = promisify(execFile);
const INTERFACES = 10_000;
const BATCH = 1_000;
const ROUNDS = 5;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

/** 10k Neutron-style VM ports on br-int, each with statistics as ovs-vswitchd writes them. */
export async function populate(endpoint: string): Promise<void> {
  const client = new OvsdbClient({ endpoint, logger: silentLogger });
  client.start();
  await client.transact('Open_vSwitch', [
    { op: 'insert', table: 'Bridge', row: { name: 'br-int', datapath_type: 'netdev' }, 'uuid-name': 'br' },
    { op: 'insert', table: 'Open_vSwitch', row: { bridges: ['named-uuid', 'br'], ovs_version: '3.1.0' } },
  ]);
  for (let start = 0; start < INTERFACES; start += BATCH) {
    const ops: TransactOperation[] = [];
    const ports: Json[] = [];
    for (let i = start; i < start + BATCH; i++) {
      const id = `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
      const name = `tap${id.slice(0, 11)}`;
      const mac = `fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      const stats = ['rx_bytes', 'rx_packets', 'rx_dropped', 'rx_errors', 'tx_bytes', 'tx_packets', 'tx_dropped', 'tx_errors', 'collisions', 'rx_crc_err']
        .map((k, j) => [k, i * 1000 + j]);
      ops.push({ op: 'insert', table: 'Interface', 'uuid-name': `i${i}`, row: {
        name, ofport: i + 1, mac_in_use: mac, link_state: 'up', admin_state: 'up', mtu: 1450, link_speed: 10_000_000_000,
        statistics: ['map', stats],
        external_ids: ['map', [['iface-id', id], ['attached-mac', mac], ['vm-uuid', id], ['iface-status', 'active']]],
      } });
      ops.push({ op: 'insert', table: 'Port', 'uuid-name': `p${i}`, row: {
        name, interfaces: ['named-uuid', `i${i}`], tag: 1 + (i % 100),
        other_config: ['map', [['net_uuid', `net-${i % 100}`], ['network_type', 'vxlan'], ['segmentation_id', String(1000 + (i % 100))]]],
      } });
      ports.push(['named-uuid', `p${i}`]);
    }
    ops.push({ op: 'mutate', table: 'Bridge', where: [['name', '==', 'br-int']], mutations: [['ports', 'insert', ['set', ports]]] });
    await client.transact('Open_vSwitch', ops);
  }
  await client.close();
}

async function timeVsctl(endpoint: string): Promise<{ ms: number; bytes: number }> {
  const start = performance.now();
  const { stdout } = await run('ovs-vsctl', [`--db=${endpoint}`, '--format=json', 'list', 'Interface'], { maxBuffer: 1 << 30 });
  return { ms: performance.now() - start, bytes: stdout.length };
}

async function timeSync(endpoint: string): Promise<{ ms: number; interfaces: number; renderMs: number[] }> {
  const start = performance.now();
  const client = new OvsdbClient({ endpoint, logger: silentLogger });
  const replica = client.monitor('Open_vSwitch', VSWITCH_MONITOR);
  const synced = new Promise<void>((resolve) => replica.once('synced', resolve));
  client.start();
  await synced;
  const model = new VswitchModel(replica, new TenancyResolver(TenancyMapping.empty()));
  const interfaces = model.interfaces().length;
  const ms = performance.now() - start;
  const registry = new PrometheusRegistry([new InterfaceMetrics(model, () => true, true)], silentLogger);
  const renderMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    model.invalidate(); // as after a statistics update: the model is rebuilt during the scrape
    const t = performance.now();
    await registry.render();
    renderMs.push(performance.now() - t);
  }
  await client.close();
  return { ms, interfaces, renderMs };
}

/** The real collector in its own process: RSS and an HTTP scrape once it has synced. */
async function collectorProcess(endpoint: string): Promise<{ rssMb: number; scrapeMs: number; bytes: number }> {
  const main = join(import.meta.dirname, '..', 'cli', 'main.js');
  const child = spawn(process.execPath, [main, 'collect', '--ovsdb', endpoint, '--listen', '127.0.0.1:0', '--no-sflow', '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stderr.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /"url":"([^"]+)"/.exec(buf);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`collector exited ${code}: ${buf}`)));
    });
    for (;;) {
      const text = await (await fetch(`${url}/metrics`)).text();
      if (/^ovs_up 1$/m.test(text) && text.includes('ovs_interface_info')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Timed with curl, as a scraper sees it (Node's fetch adds its own decoding time).
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{time_total} %{size_download}', `${url}/metrics`]);
      const [seconds, size] = stdout.trim().split(' ').map(Number);
      times.push(seconds * 1000);
      bytes = size;
    }
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN);
    return { rssMb: rssKb / 1024, scrapeMs: median(times), bytes };
  } finally {
    child.kill('SIGTERM');
  }
}

export async function benchOvsdbSync(): Promise<BenchResult> {
  const server = await startOvsdbServer();
  const endpoint = server.unixEndpoint;
  try {
    await populate(endpoint);
    const vsctl: number[] = [];
    const sync: number[] = [];
    const render: number[] = [];
    let vsctlBytes = 0;
    let interfaces = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const v = await timeVsctl(endpoint);
      vsctl.push(v.ms);
      vsctlBytes = v.bytes;
      const s = await timeSync(endpoint);
      sync.push(s.ms);
      render.push(...s.renderMs);
      interfaces = s.interfaces;
    }
    const proc = await collectorProcess(endpoint);
    const ratio = median(sync) / median(vsctl);
    return {
      name: 'ovsdb-sync',
      figures: {
        interfaces,
        vsctl_list_interface_ms: round(median(vsctl)),
        vsctl_output_mb: round(vsctlBytes / 1e6, 2),
        collector_initial_sync_ms: round(median(sync)),
        sync_vs_vsctl_ratio: round(ratio, 2),
        render_in_process_ms: round(median(render)),
        http_scrape_ms: round(proc.scrapeMs),
        scrape_size_mb: round(proc.bytes / 1e6, 2),
        collector_rss_mb: round(proc.rssMb),
      },
      goals: [
        { goal: 'initial sync <= 2x ovs-vsctl list Interface', met: ratio <= 2 },
        { goal: 'scrape of 10k interfaces <= 300 ms', met: proc.scrapeMs <= 300 },
        { goal: 'collector RSS <= 250 MB', met: proc.rssMb <= 250 },
      ],
    };
  } finally {
    await server.stop();
  }
}
