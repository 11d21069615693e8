/**
 * The datapath poller with fake switches and a fake ovs-vswitchd: bridges follow the model,
 * one unreachable bridge leaves the rest (partial results, health, error count, no stale
 * numbers), recovery with a reconnect count, unixctl commands each with their own health, PMD
 * only on the userspace datapath, scrapes that never touch OVS, the segment map and its change
 * callback, the background schedule, and a promtool-clean exposition.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/log.js';
import type { InterfaceState } from '../../../common/model.js';
import { DatapathPoller, type DatapathPollerOptions } from '../../../collector/datapath/poller.js';
import type { Instruction } from '../../../collector/openflow/instructions.js';
import { PrometheusRegistry } from '../../../exporters/prometheus/registry.js';
import { promtoolCheckMetrics } from '../../helpers/promtool.js';
import { iface } from '../flows/fixtures.js';
import { FakeSession, FakeSwitch, FakeVswitchd, flow, portDesc, portStats, sinkOf } from './fakes.js';

const pollers: DatapathPoller[] = [];

afterEach(async () => {
  for (const p of pollers.splice(0)) await p.stop();
});

function bridgeSwitch(name: string, n: number): FakeSwitch {
  const sw = new FakeSwitch();
  sw.ports = [portDesc(1, `${name}-p1`)];
  sw.portCounters = [portStats(1, n)];
  sw.tables = [{ tableId: 0, activeCount: 1, lookupCount: n, matchedCount: n }];
  sw.flows = [flow(0, 0x1n, n, n * 100)];
  return sw;
}

interface Harness {
  poller: DatapathPoller;
  bridges: string[];
  switches: Map<string, FakeSwitch>;
  sessions: Map<string, FakeSession>;
  vswitchd: FakeVswitchd;
  interfaces: InterfaceState[];
  segmentChanges: number;
}

function harness(options: Partial<DatapathPollerOptions> = {}, bridges = ['br-int', 'br-tun']): Harness {
  const h: Harness = {
    bridges,
    switches: new Map(bridges.map((b, i) => [b, bridgeSwitch(b, 10 * (i + 1))])),
    sessions: new Map(),
    vswitchd: new FakeVswitchd(),
    interfaces: [],
    segmentChanges: 0,
  } as unknown as Harness;
  h.poller = new DatapathPoller({
    bridges: () => h.bridges,
    interfaces: () => h.interfaces,
    rundir: '/run/ovs-test',
    logger: silentLogger,
    vswitchd: h.vswitchd,
    openflowSession: (bridge, target) => {
      const session = new FakeSession(target, h.switches.get(bridge) ?? bridgeSwitch(bridge, 1));
      h.sessions.set(bridge, session);
      return session;
    },
    onSegmentsChange: () => h.segmentChanges++,
    ...options,
  });
  pollers.push(h.poller);
  return h;
}

describe('DatapathPoller', () => {
  it('polls every bridge of the model on <rundir>/<bridge>.mgmt and every unixctl command', async () => {
    const h = harness();
    await h.poller.poll();
    expect([...h.sessions.values()].map((s) => s.target)).toEqual(['unix:/run/ovs-test/br-int.mgmt', 'unix:/run/ovs-test/br-tun.mgmt']);
    const sink = sinkOf(h.poller);
    expect(sink.value('ovs_openflow_table_lookups_total', { bridge: 'br-int', table: '0' })).toBe(10);
    expect(sink.value('ovs_openflow_port_receive_packets_total', { bridge: 'br-tun', port: 'br-tun-p1' })).toBe(20);
    expect(sink.value('ovs_openflow_flow_bytes_total', { bridge: 'br-tun', table: '0', cookie: '0x1' })).toBe(2000);
    expect(sink.value('ovs_datapath_lookup_hits_total', { datapath: 'netdev@ovs-netdev' })).toBe(40);
    expect(sink.value('ovs_datapath_lookup_misses_total')).toBe(7);
    expect(sink.value('ovs_datapath_lookup_lost_total')).toBe(1);
    expect(sink.value('ovs_datapath_flows')).toBe(4);
    expect(sink.of('ovs_datapath_masks')).toEqual([]);
    expect(sink.value('ovs_vswitchd_upcall_flows')).toBe(4);
    expect(sink.value('ovs_vswitchd_upcall_flows_max')).toBe(9);
    expect(sink.value('ovs_vswitchd_upcall_flow_limit')).toBe(10000);
    expect(sink.value('ovs_vswitchd_upcall_dump_duration_seconds')).toBe(0.002);
    expect(sink.value('ovs_vswitchd_revalidator_keys', { revalidator: '5' })).toBe(4);
    expect(sink.value('ovs_vswitchd_coverage_events_total', { event: 'netdev_received' })).toBe(14);
    expect(sink.value('ovs_vswitchd_memory_objects', { object: 'udpif keys' })).toBe(4);
    expect(sink.value('ovs_vswitchd_memory_objects', { object: 'handlers' })).toBe(1);
    // userspace datapath: PMD statistics, per lookup result
    expect(sink.value('ovs_datapath_pmd_received_packets_total', { thread: 'main', numa_id: '', core_id: '' })).toBe(8);
    expect(sink.value('ovs_datapath_pmd_lookups_total', { result: 'megaflow' })).toBe(4);
    expect(sink.value('ovs_datapath_pmd_lookups_total', { result: 'upcall' })).toBe(4);
    expect(sink.of('ovs_datapath_pmd_lookups_total', { result: 'phwol' })).toEqual([]);
    for (const target of ['br-int', 'br-tun']) expect(sink.value('ovs_telemetry_poll_success', { source: 'openflow', target })).toBe(1);
    for (const target of ['dpctl/show', 'upcall/show', 'coverage/show', 'memory/show', 'dpif-netdev/pmd-stats-show']) {
      expect(sink.value('ovs_telemetry_poll_success', { source: 'unixctl', target })).toBe(1);
      expect(sink.value('ovs_telemetry_poll_errors_total', { source: 'unixctl', target })).toBe(0);
      expect(sink.value('ovs_telemetry_poll_last_success_timestamp_seconds', { target })).toBeGreaterThan(Date.now() / 1000 - 60);
    }
  });

  it('scrapes read memory only: collect() makes no request', async () => {
    const h = harness();
    await h.poller.poll();
    const calls = h.switches.get('br-int')!.calls.length + h.vswitchd.calls.length;
    for (let i = 0; i < 5; i++) sinkOf(h.poller);
    expect(h.switches.get('br-int')!.calls.length + h.vswitchd.calls.length).toBe(calls);
  });

  it('a bridge added later is polled from the next round on; a deleted one is closed and its series vanish', async () => {
    const h = harness();
    await h.poller.poll();
    h.bridges = ['br-int', 'br-tun', 'br-new'];
    h.switches.set('br-new', bridgeSwitch('br-new', 7));
    await h.poller.poll();
    expect(sinkOf(h.poller).value('ovs_openflow_table_lookups_total', { bridge: 'br-new' })).toBe(7);
    const tun = h.sessions.get('br-tun')!;
    h.bridges = ['br-int', 'br-new'];
    await h.poller.poll();
    expect(tun.closed).toBe(true);
    expect(sinkOf(h.poller).samples.filter((s) => s.labels.bridge === 'br-tun' || s.labels.target === 'br-tun')).toEqual([]);
  });

  it('one unreachable bridge: the others still report; it reports failure and errors, not its old numbers; then recovers', async () => {
    const h = harness();
    await h.poller.poll();
    h.sessions.get('br-tun')!.down = true;
    await h.poller.poll();
    await h.poller.poll();
    let sink = sinkOf(h.poller);
    expect(sink.value('ovs_openflow_table_lookups_total', { bridge: 'br-int' })).toBe(10);
    expect(sink.of('ovs_openflow_table_lookups_total', { bridge: 'br-tun' })).toEqual([]);
    expect(sink.value('ovs_telemetry_poll_success', { target: 'br-tun' })).toBe(0);
    expect(sink.value('ovs_telemetry_poll_errors_total', { target: 'br-tun' })).toBe(2);
    expect(sink.value('ovs_telemetry_poll_success', { target: 'br-int' })).toBe(1);
    const lastOk = sink.value('ovs_telemetry_poll_last_success_timestamp_seconds', { target: 'br-tun' })!;
    expect(sink.value('ovs_datapath_lookup_hits_total')).toBe(40);

    h.sessions.get('br-tun')!.down = false;
    h.switches.get('br-tun')!.tables = [{ tableId: 0, activeCount: 1, lookupCount: 3, matchedCount: 3 }];
    await h.poller.poll();
    sink = sinkOf(h.poller);
    expect(sink.value('ovs_openflow_table_lookups_total', { bridge: 'br-tun' })).toBe(3);
    expect(sink.value('ovs_telemetry_poll_success', { target: 'br-tun' })).toBe(1);
    expect(sink.value('ovs_telemetry_poll_errors_total', { target: 'br-tun' })).toBe(2);
    expect(sink.value('ovs_telemetry_poll_last_success_timestamp_seconds', { target: 'br-tun' })).toBeGreaterThanOrEqual(lastOk);
    expect(sink.value('ovs_telemetry_openflow_reconnects_total', { bridge: 'br-tun' })).toBe(1);
    expect(sink.value('ovs_telemetry_openflow_reconnects_total', { bridge: 'br-int' })).toBe(0);
  });

  it('a request a bridge rejects makes its poll partial: failure and an error, with the rest of its series', async () => {
    const h = harness();
    h.switches.get('br-int')!.fail.add('groupStats');
    await h.poller.poll();
    const sink = sinkOf(h.poller);
    expect(sink.value('ovs_telemetry_poll_success', { target: 'br-int' })).toBe(0);
    expect(sink.value('ovs_telemetry_poll_errors_total', { target: 'br-int' })).toBe(1);
    expect(sink.value('ovs_openflow_table_lookups_total', { bridge: 'br-int' })).toBe(10);
  });

  it('ovs-vswitchd unreachable over unixctl: each command fails on its own, OpenFlow is unaffected', async () => {
    const h = harness();
    await h.poller.poll();
    h.vswitchd.down = true;
    await h.poller.poll();
    const sink = sinkOf(h.poller);
    for (const target of ['dpctl/show', 'upcall/show', 'coverage/show', 'memory/show', 'dpif-netdev/pmd-stats-show']) {
      expect(sink.value('ovs_telemetry_poll_success', { source: 'unixctl', target })).toBe(0);
      expect(sink.value('ovs_telemetry_poll_errors_total', { source: 'unixctl', target })).toBe(1);
    }
    expect(sink.of('ovs_datapath_lookup_hits_total')).toEqual([]);
    expect(sink.of('ovs_vswitchd_coverage_events_total')).toEqual([]);
    expect(sink.value('ovs_openflow_table_lookups_total', { bridge: 'br-int' })).toBe(10);
  });

  it('no PMD statistics without a userspace datapath; unixctl and flow dumps can be switched off', async () => {
    const h = harness();
    h.vswitchd.dpctl = 'system@ovs-system:\n  lookups: hit:1 missed:2 lost:0\n  flows: 0\n  masks: hit:5 total:1 hit/pkt:1.00\n  port 0: ovs-system (internal)\n';
    await h.poller.poll();
    expect(h.vswitchd.calls).not.toContain('dpif-netdev/pmd-stats-show');
    const sink = sinkOf(h.poller);
    expect(sink.of('ovs_telemetry_poll_success', { target: 'dpif-netdev/pmd-stats-show' })).toEqual([]);
    expect(sink.value('ovs_datapath_mask_hits_total', { datapath: 'system@ovs-system' })).toBe(5);
    expect(sink.value('ovs_datapath_masks', { datapath: 'system@ovs-system' })).toBe(1);

    const quiet = harness({ unixctl: false, flowDump: false, vswitchd: undefined });
    await quiet.poller.poll();
    expect(quiet.vswitchd.calls).toEqual([]);
    expect(quiet.switches.get('br-int')!.calls).not.toContain('flowStats');
    const out = sinkOf(quiet.poller);
    expect(out.of('ovs_openflow_flows')).toEqual([]);
    expect(out.value('ovs_openflow_table_lookups_total', { bridge: 'br-int' })).toBe(10);
  });

  it('caps cookie series per bridge and counts the overflow', async () => {
    const h = harness({ maxCookiesPerBridge: 1 });
    h.switches.get('br-int')!.flows = [flow(0, 1n, 1, 10), flow(0, 2n, 2, 20), flow(0, 3n, 3, 30)];
    await h.poller.poll();
    const sink = sinkOf(h.poller);
    expect(sink.of('ovs_openflow_flow_packets_total', { bridge: 'br-int' }).map((s) => [s.labels.cookie, s.value])).toEqual([['0x1', 1], ['other', 5]]);
    expect(sink.value('ovs_openflow_flow_cookies_overflow', { bridge: 'br-int' })).toBe(2);
  });

  it('segments: br-tun VNI -> local VLAN -> network of the br-int ports; change callback only on change; kept while br-tun is down', async () => {
    const h = harness();
    h.interfaces = [iface('tap-a', { localVlan: 1, tenant: { networkId: 'net-a', projectId: 'proj-a' } })];
    const inbound: Instruction[] = [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'vlan_vid', value: 0x1001 } }] }];
    h.switches.get('br-tun')!.flows = [flow(4, 1n, 0, 0, { match: [{ field: 'tun_id', value: 5001n }], instructions: inbound })];
    await h.poller.poll();
    expect(h.poller.segments.networkByVni(5001)).toEqual({ networkId: 'net-a', projectId: 'proj-a' });
    expect(h.segmentChanges).toBe(1);
    expect(sinkOf(h.poller).of('ovs_network_segment_info')).toEqual([
      { name: 'ovs_network_segment_info', labels: { segment_type: 'tunnel', segmentation_id: '5001', local_vlan: '1', network_id: 'net-a', project_id: 'proj-a' }, value: 1 },
    ]);
    await h.poller.poll();
    expect(h.segmentChanges).toBe(1);
    h.sessions.get('br-tun')!.down = true;
    await h.poller.poll();
    expect(h.poller.segments.networkByVni(5001)?.networkId).toBe('net-a');
    expect(h.segmentChanges).toBe(1);
  });

  it('meters(): the same array while polls read no meter change; a new one when a metering flow or a band changes', async () => {
    const h = harness();
    const sw = h.switches.get('br-int')!;
    const metering = (inPort: number, meterId: number, packets: number) =>
      flow(0, 0x5n, packets, packets * 100, { match: [{ field: 'in_port', value: inPort }], instructions: [{ type: 'meter', meterId }, { type: 'goto_table', tableId: 1 }] });
    sw.flows = [metering(5, 7, 1)];
    sw.meterConfigs = [{ meterId: 7, flags: ['kbps'], bands: [{ type: 'drop', rate: 1000, burstSize: 100 }] }];
    await h.poller.poll();
    const first = h.poller.meters();
    expect(first.map((m) => [m.bridge, m.ports.of(5, '').map((p) => p.meter.meterId)])).toEqual([['br-int', [7]], ['br-tun', []]]);
    // New counters, same meters (configs read afresh, as new objects): no change.
    sw.flows = [metering(5, 7, 50)];
    sw.meterConfigs = [{ meterId: 7, flags: ['kbps'], bands: [{ type: 'drop', rate: 1000, burstSize: 100 }] }];
    await h.poller.poll();
    expect(h.poller.meters()).toBe(first);
    h.sessions.get('br-int')!.down = true;
    await h.poller.poll();
    expect(h.poller.meters()).toBe(first);
    h.sessions.get('br-int')!.down = false;

    sw.meterConfigs = [{ meterId: 7, flags: ['kbps'], bands: [{ type: 'drop', rate: 2000, burstSize: 100 }] }];
    await h.poller.poll();
    const rerated = h.poller.meters();
    expect(rerated).not.toBe(first);
    expect(rerated[0].configs.get(7)?.bands[0].rate).toBe(2000);
    // The bridge whose meters did not change keeps its object.
    expect(rerated[1]).toBe(first[1]);

    sw.flows = [metering(5, 7, 60), metering(6, 7, 1)];
    await h.poller.poll();
    const added = h.poller.meters();
    expect(added).not.toBe(rerated);
    expect(added[0].ports.of(6, '').map((p) => p.meter.meterId)).toEqual([7]);
    await h.poller.poll();
    expect(h.poller.meters()).toBe(added);
  });

  it('runs in the background every intervalMs until stopped', async () => {
    const h = harness({ intervalMs: 20 });
    h.poller.start();
    await expect.poll(() => h.vswitchd.calls.filter((c) => c === 'dpctl/show').length, { timeout: 2000 }).toBeGreaterThanOrEqual(3);
    await h.poller.stop();
    const calls = h.vswitchd.calls.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(h.vswitchd.calls.length).toBe(calls);
    expect(h.vswitchd.closed).toBe(true);
    expect([...h.sessions.values()].every((s) => s.closed)).toBe(true);
  });

  it('the exposition passes promtool check metrics', async () => {
    const h = harness();
    h.interfaces = [iface('tap-a', { localVlan: 1 })];
    h.switches.get('br-int')!.meters = [{ meterId: 1, flowCount: 1, packetInCount: 5, byteInCount: 500, durationSec: 1, bands: [{ packetCount: 1, byteCount: 100 }] }];
    h.switches.get('br-int')!.groups = [{ groupId: 1, refCount: 0, packetCount: 0, byteCount: 0, durationSec: 1, buckets: [{ packetCount: 0, byteCount: 0 }] }];
    h.switches.get('br-int')!.queues = [{ portNo: 1, queueId: 1, txBytes: 1, txPackets: 1, txErrors: 0, durationSec: 1 }];
    await h.poller.poll();
    const text = (await new PrometheusRegistry([h.poller], silentLogger).render()).toString();
    expect(text).toContain('ovs_openflow_meter_band_packets_total{');
    expect(text).toContain('ovs_datapath_pmd_lookups_total{');
    expect(promtoolCheckMetrics(text)).toBe('');
  });
});
