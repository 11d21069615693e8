/**
 * IPFIX and NetFlow from real exporters into the collector's listeners.
 * 1. The lab's Open vSwitch (compute-1): bridge IPFIX on br-int and br-tun (1:SAMPLING, ingress
 *    and egress sampling) and NetFlow v5 on br-int. After `lab traffic`, the bytes of each tenant
 *    network and direction are within ±25% of what iperf3 moved: IPFIX for every local sender
 *    (egress) and receiver (ingress), NetFlow v5 for local senders (its input port is the only
 *    one it numbers reliably, collector/flows/enrich.ts). No loss, restarts or decode errors.
 *    OVS's datagrams are recognised as the local OVS's (NetFlow engine ids of the datapath,
 *    IPFIX observation domains of the IPFIX rows), so their interface numbers name local ports.
 * 2. softflowd (a second, independent exporter) in NetFlow v5, v9 and IPFIX modes on a lab VM's
 *    port, sending to a second collector on loopback: a counted ping is decoded to the packet and
 *    byte. softflowd numbers its interface as told (-i N:IF), N being the OpenFlow port (v5) or
 *    ifindex (v9, IPFIX) of a local VM port on another network: its records are not attributed
 *    to that port, since softflowd is not the local OVS (collector/flows/local-exporters.ts).
 * compute-1 runs in the root namespace: this file takes the lab lock (startTestLab).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../common/config.js';
import { silentLogger } from '../../common/log.js';
import { startCollector, type RunningCollector } from '../../cli/collect.js';
import { runTraffic, type LabState, type TrafficFlow, type TrafficReport } from '../../lab/index.js';
import { run } from '../../lab/exec.js';
import { freeUdpPort } from '../helpers/ovsdb-server.js';
import { seriesOf } from '../helpers/promtool.js';
import { waitForScrape, waitForSettled, type Exposition } from '../helpers/scrape.js';
import { startTestLab, type TestLab } from '../helpers/test-lab.js';
import { iperfFlows, localVms, seriesSum, wireBytes } from '../helpers/flow-lab.js';

const PREFIX = 'otx';
const SAMPLING = 16;
const TRAFFIC_SECONDS = 4;
/**
 * What each exporter counts per packet beyond iperf3's payload. OVS IPFIX octetDeltaCount is the
 * IP total length (ofproto-dpif-ipfix.c: packet count × ip_total_length): TCP 20 + 32 (with
 * timestamps), UDP 20 + 8. OVS NetFlow counts the datapath flow's bytes, whole Ethernet frames
 * without FCS: 14 more. Receivers' ACKs (counted as their egress, 2.5-5% of a TCP flow), iperf3's
 * control connections and the binomial error of 1:16 sampling stay within the ±25%.
 */
const OVERHEAD = { ipfix: { tcp: 52, udp: 28 }, netflow: { tcp: 66, udp: 42 } } as const;

const sum = seriesSum;

function flowRecords(file: string): Record<string, string | number>[] {
  return readFileSync(file, 'utf8').trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, string | number>);
}

describe('IPFIX and NetFlow v5 from the lab\'s Open vSwitch', () => {
  let testLab: TestLab | undefined;
  let lab: LabState;
  let collector: RunningCollector | undefined;
  let report: TrafficReport;
  let before: Exposition;
  let after: Exposition;
  const recordsFile = () => join(testLab!.dir, 'flows.jsonl');

  beforeAll(async () => {
    const [ipfixPort, netflowPort] = [await freeUdpPort(), await freeUdpPort()];
    testLab = await startTestLab('flow-export', { prefix: PREFIX, ipfixTarget: `127.0.0.1:${ipfixPort}`, netflowTarget: `127.0.0.1:${netflowPort}`, ipfixSampling: SAMPLING });
    lab = testLab.lab;
    collector = await startCollector(parseConfig({
      web: { listen_address: '127.0.0.1:0' },
      sflow: { enabled: false },
      ipfix: { listen_address: `127.0.0.1:${ipfixPort}` },
      netflow: { listen_address: `127.0.0.1:${netflowPort}` },
      flows: { top_talkers: { per_network: 5 }, output: { path: recordsFile() } },
    }, 'test'), silentLogger);
    // OVSDB synced (interfaces known) before the traffic starts.
    before = (await waitForScrape(collector.url, (s) => seriesOf(s, 'ovs_interface_info', {}).length > 0, 15_000)).series;
    report = await runTraffic(lab, { seconds: TRAFFIC_SECONDS });
    // IPFIX flushes every 2 s (cache_active_timeout), NetFlow every 5 s and when the datapath
    // flow expires: wait until both stop growing, for two readings in a row (a busy
    // ovs-vswitchd can flush late).
    after = await waitForSettled(collector.url, (s) => {
      const now = [sum(s, 'ovs_ipfix_records_total', { listener: 'ipfix' }), sum(s, 'ovs_ipfix_records_total', { listener: 'netflow' })];
      return now.includes(0) ? null : now.join(' ');
    }, { timeoutMs: 60_000, intervalMs: 4000, stableReadings: 2 });
  }, 300_000);

  afterAll(async () => {
    await collector?.stop();
    await testLab?.stop();
  }, 120_000);

  const flows = () => iperfFlows(report);
  const grew = (name: string, labels: Record<string, string>) => sum(after, name, labels) - sum(before, name, labels);

  it('both listeners got OVS\'s messages and templates, without loss, restarts or decode errors', () => {
    for (const listener of ['ipfix', 'netflow']) {
      expect(grew('ovs_ipfix_messages_total', { listener }), listener).toBeGreaterThan(0);
      expect(sum(after, 'ovs_ipfix_lost_records_total', { listener }), listener).toBe(0);
      expect(sum(after, 'ovs_ipfix_exporter_restarts_total', { listener }), listener).toBe(0);
      expect(sum(after, 'ovs_ipfix_decode_errors_total', { listener }), listener).toBe(0);
      expect(sum(after, 'ovs_telemetry_udp_receive_buffer_drops_total', { listener }), listener).toBe(0);
    }
    // Both bridges' domains (br-int 123, br-tun 124) have their templates; NetFlow v5 has none.
    for (const domain of ['123', '124']) expect(sum(after, 'ovs_ipfix_templates', { listener: 'ipfix', domain, version: '10' }), domain).toBeGreaterThan(0);
    expect(grew('ovs_ipfix_records_total', { listener: 'netflow', version: '5' })).toBeGreaterThan(0);
  });

  it('every record is the local OVS\'s (datapath engine ids 47/209, IPFIX domains 123 and 124)', () => {
    for (const source of ['ipfix', 'netflow']) {
      expect(grew('ovs_flow_records_by_origin_total', { source, origin: 'local_ovs' }), source).toBeGreaterThan(0);
      expect(sum(after, 'ovs_flow_records_by_origin_total', { source, origin: 'other' }), source).toBe(0);
    }
  });

  it.each(['ipfix', 'netflow'] as const)('%s: bytes per network and direction are within a quarter of what iperf3 moved', (source) => {
    const vms = localVms(lab);
    const expected = new Map<string, number>();
    const add = (f: TrafficFlow, direction: string) => {
      const key = `${f.network_id} ${f.project_id} ${direction}`;
      expected.set(key, (expected.get(key) ?? 0) + wireBytes(f, OVERHEAD[source]));
    };
    for (const f of flows()) {
      if (vms.has(f.src_vm)) add(f, 'egress');
      // NetFlow v5 from OVS attributes the sending port only (see the file comment).
      if (source === 'ipfix' && vms.has(f.dst_vm)) add(f, 'ingress');
    }
    expect(expected.size).toBeGreaterThanOrEqual(source === 'ipfix' ? 3 : 2);
    const ratios: string[] = [];
    for (const [key, bytes] of expected) {
      const [network_id, project_id, direction] = key.split(' ');
      const counted = grew('ovs_flow_sampled_bytes_total', { network_id, project_id, direction, proto: 'tcp', source }) +
        grew('ovs_flow_sampled_bytes_total', { network_id, project_id, direction, proto: 'udp', source });
      ratios.push(`${direction} ${(counted / bytes).toFixed(3)}`);
      expect(counted / bytes, `${key}: counted ${counted} vs iperf3 on the wire ${bytes}`).toBeGreaterThan(0.75);
      expect(counted / bytes, `${key}: counted ${counted} vs iperf3 on the wire ${bytes}`).toBeLessThan(1.25);
    }
    console.log(`${source}: counted / iperf3 wire bytes per network and direction: ${ratios.join(', ')}`);
  });

  it('each iperf3 flow\'s IPFIX records carry its own network and project (vm2 and vm3 share an IP)', () => {
    const records = flowRecords(recordsFile());
    for (const f of flows()) {
      const proto = f.kind === 'tcp' ? 6 : 17;
      const mine = records.filter((r) => r.type === 'IPFIX' && r.src_addr === f.src_ip && r.dst_addr === f.dst_ip && r.proto === proto && r.src_port === f.src_port && r.dst_port === f.dst_port);
      expect(mine.length, `records of ${f.id}`).toBeGreaterThan(0);
      for (const r of mine) expect([r.network_id, r.project_id], f.id).toEqual([f.network_id, f.project_id]);
    }
  });
});

describe('softflowd in NetFlow v5, v9 and IPFIX modes on a lab VM\'s port', () => {
  let testLab: TestLab | undefined;
  let lab: LabState;
  let collector: RunningCollector | undefined;
  let ports: { ipfix: number; netflow: number };
  const exporters: ChildProcess[] = [];
  const recordsFile = () => join(testLab!.dir, 'softflowd.jsonl');
  const PINGS = 20;

  beforeAll(async () => {
    testLab = await startTestLab('softflowd', { prefix: PREFIX });
    lab = testLab.lab;
    ports = { ipfix: await freeUdpPort(), netflow: await freeUdpPort() };
    collector = await startCollector(parseConfig({
      web: { listen_address: '127.0.0.1:0' },
      sflow: { enabled: false },
      ipfix: { listen_address: `127.0.0.1:${ports.ipfix}` },
      netflow: { listen_address: `127.0.0.1:${ports.netflow}` },
      flows: { output: { path: recordsFile() } },
    }, 'test'), silentLogger);
  }, 240_000);

  afterAll(async () => {
    for (const p of exporters) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await collector?.stop();
    await testLab?.stop();
  }, 120_000);

  it.each([['NETFLOW_V5', '5', 'netflow'], ['NETFLOW_V9', '9', 'netflow'], ['IPFIX', '10', 'ipfix']] as const)('%s: a counted ping is decoded to the packet and byte, not attributed by interface number', async (type, version, listener) => {
    const [src, dst] = lab.vms.filter((vm) => vm.host === lab.hosts[0].name && vm.network_id === lab.vms[0].network_id);
    const third = lab.vms.find((vm) => vm !== src && vm !== dst && vm.network_id === src.network_id);
    const elsewhere = lab.vms.find((vm) => vm.host === lab.hosts[0].name && vm.network_id !== src.network_id);
    expect(dst, 'two local VMs on one network').toBeDefined();
    expect(third, 'a third VM on their network').toBeDefined();
    expect(elsewhere, 'a local VM on another network').toBeDefined();
    // The number softflowd gives its interface: what would name `elsewhere`'s port if taken for OVS's.
    const ifNumber = version === '5' ? elsewhere!.ofport : Number(readFileSync(`/sys/class/net/${elsewhere!.interface}/ifindex`, 'utf8'));
    // -d: foreground; -T full: one flow per 5-tuple; SIGTERM makes it expire and send every flow.
    // -B: a small capture buffer, so libpcap hands a few packets over without waiting for a full block.
    const p = spawn('/usr/sbin/softflowd', ['-d', '-B', '65536', '-i', `${ifNumber}:${src.interface}`, '-n', `127.0.0.1:${ports[listener]}`, '-v', version, '-T', 'full', '-t', 'maxlife=2', '-t', 'expint=1'], { stdio: 'ignore' });
    exporters.push(p);
    await new Promise((r) => setTimeout(r, 1000)); // pcap open before the first ping
    await run('ip', ['netns', 'exec', src.netns, 'ping', '-c', String(PINGS), '-i', '0.05', '-q', dst.ip]);
    // Filler to another VM: libpcap (TPACKET_V3) hands packets over a block at a time, and a few
    // pings do not fill one.
    await run('ip', ['netns', 'exec', src.netns, 'ping', '-f', '-c', '2000', '-s', '1000', '-q', third!.ip]);
    await new Promise((r) => setTimeout(r, 3000)); // past maxlife: flows expire and are sent
    const exited = new Promise((r) => p.once('exit', r));
    process.kill(p.pid!, 'SIGTERM');
    await exited;
    let mine: Record<string, string | number>[] = [];
    for (let i = 0; i < 50 && mine.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      mine = flowRecords(recordsFile()).filter((r) => r.type === type && r.proto === 1 && [src.ip, dst.ip].includes(String(r.src_addr)) && [src.ip, dst.ip].includes(String(r.dst_addr)));
    }
    const direction = (from: string) => mine.filter((r) => r.src_addr === from);
    const packets = (rs: typeof mine) => rs.reduce((n, r) => n + Number(r.packets), 0);
    const bytes = (rs: typeof mine) => rs.reduce((n, r) => n + Number(r.bytes), 0);
    // Echo requests and replies: 84 IP bytes each (20 IP + 8 ICMP + 56 data).
    expect(packets(direction(src.ip))).toBe(PINGS);
    expect(packets(direction(dst.ip))).toBe(PINGS);
    expect(bytes(direction(src.ip))).toBe(PINGS * 84);
    expect(bytes(direction(dst.ip))).toBe(PINGS * 84);
    // The trap is set (softflowd reports the number as its interface) and not sprung.
    expect(mine.some((r) => r.in_if === ifNumber || r.out_if === ifNumber), `in_if/out_if ${ifNumber} in ${JSON.stringify(mine[0])}`).toBe(true);
    for (const r of mine) expect([r.in_neutron_port_id, r.out_neutron_port_id]).not.toContain(elsewhere!.neutron_port_id);
    const { series } = await waitForScrape(collector!.url, () => true, 5000);
    // No v5 templates: the format is fixed.
    if (version !== '5') expect(sum(series, 'ovs_ipfix_templates', { listener, version })).toBeGreaterThan(0);
    expect(sum(series, 'ovs_ipfix_decode_errors_total', { listener })).toBe(0);
    expect(sum(series, 'ovs_ipfix_lost_records_total', { listener })).toBe(0);
    const source = version === '10' ? 'ipfix' : 'netflow';
    expect(sum(series, 'ovs_flow_records_by_origin_total', { source, origin: 'other' })).toBeGreaterThanOrEqual(mine.length);
    expect(sum(series, 'ovs_flow_records_by_origin_total', { source, origin: 'local_ovs' })).toBe(0);
  }, 60_000);
});
