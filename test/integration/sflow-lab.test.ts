/**
 * sFlow from the real lab (OVS 3.1 userspace datapath, br-int and br-tun sampling 1:16) into the
 * collector's listener: after `lab traffic`, the sampled bytes of each tenant network are
 * within ±25% of what iperf3 moved, every iperf3 flow lands on its own network and project
 * (although vm2 and vm3 share 10.0.0.13 on two networks), and the iperf3 pair is the top talker
 * of its network. compute-1 runs in the root namespace: this file takes the lab lock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../common/config.js';
import { silentLogger } from '../../common/log.js';
import { startCollector, type RunningCollector } from '../../cli/collect.js';
import { runTraffic, type LabState, type TrafficFlow, type TrafficReport } from '../../lab/index.js';
import { freeUdpPort } from '../helpers/ovsdb-server.js';
import { seriesOf } from '../helpers/promtool.js';
import { scrape, waitForScrape, waitForSettled, type Exposition } from '../helpers/scrape.js';
import { startTestLab, type TestLab } from '../helpers/test-lab.js';
import { iperfFlows, localVms, seriesSum, wireBytes } from '../helpers/flow-lab.js';

const PREFIX = 'ots';
const SAMPLING = 16;
const TRAFFIC_SECONDS = 4;
/**
 * sFlow counts frame_length: the whole Ethernet frame plus its 4-byte FCS (sflow_version_5.txt,
 * sampled_header; OVS adds the 4). iperf3 counts payload. A TCP segment adds 14 (Ethernet) +
 * 20 (IP) + 32 (TCP with timestamps) + 4 (FCS) = 70 bytes; a UDP datagram 14 + 20 + 8 + 4 = 46.
 * What this leaves out is small against the ±25% tolerance: the receivers' ACKs (one 70-byte
 * frame per one or two segments, 2.5-5% of a TCP flow, counted as the receiver's egress),
 * iperf3's control connections, pings and ARP, and the binomial error of 1:16 sampling over
 * thousands of samples (a few %).
 */
const OVERHEAD = { tcp: 70, udp: 46 } as const;
const wire = (f: TrafficFlow): number => wireBytes(f, OVERHEAD);

const sum = seriesSum;

describe('sFlow from the lab into the collector', () => {
  let testLab: TestLab | undefined;
  let lab: LabState;
  let collector: RunningCollector;
  let report: TrafficReport;
  let after: Exposition;
  let before: Exposition;
  const recordsFile = () => join(testLab!.dir, 'flows.jsonl');

  beforeAll(async () => {
    const sflowPort = await freeUdpPort();
    testLab = await startTestLab('sflow', { prefix: PREFIX, sflowTarget: `127.0.0.1:${sflowPort}`, sflowSampling: SAMPLING });
    lab = testLab.lab;
    const config = parseConfig(
      {
        web: { listen_address: '127.0.0.1:0' },
        sflow: { listen_address: `127.0.0.1:${sflowPort}` },
        ipfix: { enabled: false },
        netflow: { enabled: false },
        flows: { top_talkers: { per_network: 5 }, output: { path: recordsFile() } },
      },
      'test',
    );
    collector = await startCollector(config, silentLogger);
    // OVSDB synced and sFlow arriving (counter samples every 2 s) before the traffic starts.
    before = (await waitForScrape(collector.url, (s) => sum(s, 'ovs_sflow_samples_total', { type: 'counters' }) > 0 && seriesOf(s, 'ovs_interface_info', {}).length > 0, 15_000)).series;
    report = await runTraffic(lab, { seconds: TRAFFIC_SECONDS });
    // Samples of the last packets reach the collector within OVS's 1 s flush; wait until they stop
    // growing, for two readings in a row (a busy ovs-vswitchd can flush late).
    after = await waitForSettled(collector.url, (s) => String(sum(s, 'ovs_sflow_samples_total', { type: 'flow' })), { timeoutMs: 20_000, intervalMs: 1500, stableReadings: 2 });
  }, 300_000);

  afterAll(async () => {
    await collector?.stop();
    await testLab?.stop();
  }, 120_000);

  const local = () => localVms(lab);
  const flows = () => iperfFlows(report);
  const grew = (name: string, labels: Record<string, string>) => sum(after, name, labels) - sum(before, name, labels);

  it('the listener got both sub-agents (br-int, br-tun) without loss or decode errors', () => {
    for (const subAgent of ['0', '1']) {
      expect(grew('ovs_sflow_datagrams_total', { agent: '127.0.0.1', sub_agent: subAgent })).toBeGreaterThan(0);
      expect(grew('ovs_sflow_samples_total', { agent: '127.0.0.1', sub_agent: subAgent, type: 'flow' })).toBeGreaterThan(0);
    }
    expect(sum(after, 'ovs_sflow_lost_datagrams_total', {})).toBe(0);
    expect(sum(after, 'ovs_sflow_decode_errors_total', {})).toBe(0);
    expect(sum(after, 'ovs_sflow_agent_restarts_total', {})).toBe(0);
    expect(sum(after, 'ovs_telemetry_udp_receive_buffer_drops_total', { listener: 'sflow' })).toBe(0);
    expect(sum(after, 'ovs_flow_attributions_total', { method: 'unknown' })).toBe(0);
    // The agent is sFlow.agent "lo": 127.0.0.1 is the local OVS (collector/flows/local-exporters.ts).
    expect(grew('ovs_flow_records_by_origin_total', { source: 'sflow', origin: 'local_ovs' })).toBeGreaterThan(0);
    expect(sum(after, 'ovs_flow_records_by_origin_total', { source: 'sflow', origin: 'other' })).toBe(0);
    expect(sum(after, 'ovs_flow_attributions_total', { method: 'not_local' })).toBe(0);
  });

  it('sampled bytes per network and direction are within ±25% of what iperf3 moved', () => {
    const vms = local();
    const expected = new Map<string, number>();
    const add = (network: string, project: string, direction: string, bytes: number) => {
      const key = `${network} ${project} ${direction}`;
      expected.set(key, (expected.get(key) ?? 0) + bytes);
    };
    for (const f of flows()) {
      // Sampled once on compute-1 where it is sent by a local VM (egress) and once where it is delivered to one (ingress).
      if (vms.has(f.src_vm)) add(f.network_id, f.project_id, 'egress', wire(f));
      if (vms.has(f.dst_vm)) add(f.network_id, f.project_id, 'ingress', wire(f));
    }
    expect(expected.size).toBeGreaterThanOrEqual(3);
    const ratios: string[] = [];
    for (const [key, bytes] of expected) {
      const [network_id, project_id, direction] = key.split(' ');
      const sampled = grew('ovs_flow_sampled_bytes_total', { network_id, project_id, direction, proto: 'tcp' }) +
        grew('ovs_flow_sampled_bytes_total', { network_id, project_id, direction, proto: 'udp' });
      ratios.push(`${key.split(' ')[2]} ${(sampled / bytes).toFixed(3)}`);
      expect(sampled / bytes, `${key}: sampled ${sampled} vs iperf3 on the wire ${bytes}`).toBeGreaterThan(0.75);
      expect(sampled / bytes, `${key}: sampled ${sampled} vs iperf3 on the wire ${bytes}`).toBeLessThan(1.25);
    }
    console.log(`sFlow 1:${SAMPLING} sampled / iperf3 wire bytes per network and direction: ${ratios.join(', ')}`);
  });

  it('each iperf3 flow\'s records carry its own network and project, and its ports on this host', () => {
    const vms = new Map(lab.vms.map((vm) => [vm.name, vm]));
    const records = readFileSync(recordsFile(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, string | number>);
    for (const f of flows()) {
      const proto = f.kind === 'tcp' ? 6 : 17;
      const mine = records.filter((r) => r.src_addr === f.src_ip && r.dst_addr === f.dst_ip && r.proto === proto && r.src_port === f.src_port && r.dst_port === f.dst_port);
      expect(mine.length, `records of ${f.id}`).toBeGreaterThan(10);
      for (const r of mine) {
        expect([r.network_id, r.project_id], f.id).toEqual([f.network_id, f.project_id]);
        const src = vms.get(f.src_vm)!;
        const dst = vms.get(f.dst_vm)!;
        if (src.host === lab.hosts[0].name) expect(r.in_neutron_port_id, f.id).toBe(src.neutron_port_id);
        if (dst.host === lab.hosts[0].name) expect(r.out_neutron_port_id, f.id).toBe(dst.neutron_port_id);
      }
    }
  });

  it('the iperf3 pair is the top talker of its network', async () => {
    const { series } = await scrape(collector.url);
    const byNetwork = Map.groupBy(flows(), (f) => f.network_id);
    for (const [network, flows] of byNetwork) {
      const talkers = seriesOf(series, 'ovs_flow_top_talker_bytes_total', { network_id: network, project_id: flows[0].project_id }).sort((a, b) => b.value - a.value);
      const name = (t: { labels: Record<string, string> }) => `${t.labels.src}>${t.labels.dst}/${t.labels.proto}`;
      const pairs = flows.map((f) => `${f.src_ip}>${f.dst_ip}/${f.kind}`);
      // Every iperf3 pair of the network is among its top talkers, above anything else.
      expect(talkers.slice(0, flows.length).map(name).sort(), `top talkers of ${flows[0].network_name}`).toEqual(pairs.sort());
      // And the heaviest is the one iperf3 says moved the most, when that is clear beyond sampling error.
      const [first, second] = [...flows].sort((a, b) => wire(b) - wire(a));
      if (second === undefined || wire(first) > 1.15 * wire(second)) {
        expect(name(talkers[0])).toBe(`${first.src_ip}>${first.dst_ip}/${first.kind}`);
      }
    }
  });
});
