/**
 * The datapath poller on the real lab (compute-1: OVS 3.1 userspace datapath in the root
 * namespace, br-int / br-tun / br-phy as neutron-openvswitch-agent wires them):
 *  - flow, table, port and meter numbers equal what `ovs-ofctl -O OpenFlow13 dump-flows /
 *    dump-tables / dump-ports / meter-stats` prints at the same moment (ovs-ofctl is the oracle);
 *  - datapath hit/missed and PMD counters grow with pings between VMs, coverage counters and
 *    memory gauges are there;
 *  - br-tun's VNI ↔ local VLAN tables and provider VLAN translations give each network;
 *  - a bridge added later is polled; an ovs-vswitchd restart is followed by reconnecting and
 *    recovering without a new poller.
 * compute-1 runs in the root namespace, so this file takes the machine's lab lock.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labTenancyMapping } from '../../cli/local-ovs.js';
import { silentLogger } from '../../common/log.js';
import { DatapathPoller } from '../../collector/datapath/poller.js';
import { VswitchSource } from '../../collector/ovs/source.js';
import { TenancyResolver } from '../../collector/tenancy/resolver.js';
import { PrometheusRegistry } from '../../exporters/prometheus/registry.js';
import type { LabState, LabVm } from '../../lab/index.js';
import { OvsHost } from '../../lab/ovs-host.js';
import { isProcessAlive, readPidFile, waitForExit } from '../../lab/processes.js';
import { planLab } from '../../lab/topology.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';
import { startTestLab, type TestLab } from '../helpers/test-lab.js';
import { RecordingSink, sinkOf } from '../unit/datapath/fakes.js';
import { parseDumpFlows, parseDumpTables, parseMeterStats, parsePortStats } from '../unit/openflow/ofctl-oracle.js';

const run = promisify(execFile);
const PREFIX = 'otd';
const LATE_BRIDGE = `${PREFIX}-brx`;
const METER_COOKIE = '0x77';
/** An ofport no port has: flows on it never match (they only describe a VLAN translation). */
const NO_PORT = 99;

describe('datapath poller on the lab', () => {
  let testLab: TestLab | undefined;
  let lab: LabState;
  let host: OvsHost;
  let vswitch: VswitchSource;
  let poller: DatapathPoller;
  let vm1: LabVm;
  let vm3: LabVm;

  const ofctl = (command: string, bridge: string, ...args: string[]) => host.ofctl(command, bridge, ...args);
  const ping = (from: LabVm, to: LabVm, count: number, interval = '0.05') =>
    run('ip', ['netns', 'exec', from.netns, 'ping', '-q', '-c', String(count), '-i', interval, '-W', '1', to.ip]).catch((err: { stdout?: string }) => err.stdout ?? '');
  const vswitchdPid = () => readPidFile(join(host.dir, 'ovs-vswitchd.pid'));

  beforeAll(async () => {
    // Exporters aimed at a port nobody listens on: this file reads OpenFlow and unixctl.
    testLab = await startTestLab('datapath', { prefix: PREFIX });
    lab = testLab.lab;
    host = new OvsHost(planLab(lab.prefix, lab.dir).hosts[0]);
    expect(host.dir).toBe(lab.rundir);
    vm1 = lab.vms.find((vm) => vm.name === 'vm1')!;
    vm3 = lab.vms.find((vm) => vm.name === 'vm3')!;
    expect(vm1.network_id).toBe(vm3.network_id);

    // A meter on br-int for vm1's ICMP echo requests: 1 packet/s, so a quick ping is partly dropped.
    await ofctl('add-meter', 'br-int', 'meter=1,pktps,burst,stats,band=type=drop,rate=1,burst_size=1');
    await ofctl('add-flow', 'br-int', `cookie=${METER_COOKIE},table=0,priority=20,icmp,icmp_type=8,in_port=${vm1.ofport},actions=meter:1,resubmit(,25)`);
    // Provider VLAN translations as the agent writes them for VLAN networks (on a port that does
    // not exist, so they never match): br-phy local 1 -> provider 101, br-int provider 102 -> local 2.
    await ofctl('add-flow', 'br-phy', `table=0,priority=4,in_port=${NO_PORT},dl_vlan=1,actions=mod_vlan_vid:101,NORMAL`);
    await ofctl('add-flow', 'br-int', `table=0,priority=3,in_port=${NO_PORT},dl_vlan=102,actions=mod_vlan_vid:2,resubmit(,60)`);

    vswitch = new VswitchSource({ endpoint: lab.ovsdb, logger: silentLogger, tenancy: new TenancyResolver(labTenancyMapping(lab)) });
    vswitch.start();
    for (const deadline = Date.now() + 10_000; !(vswitch.up && vswitch.model.bridgeNames().length === lab.bridges.length); ) {
      if (Date.now() > deadline) throw new Error('the OVSDB model never showed the lab\'s bridges');
      await new Promise((r) => setTimeout(r, 50));
    }
    poller = new DatapathPoller({
      bridges: () => vswitch.model.bridgeNames(),
      interfaces: () => vswitch.model.interfaces(),
      rundir: lab.rundir,
      intervalMs: 300,
      timeoutMs: 3000,
      logger: silentLogger,
    });
  }, 240_000);

  afterAll(async () => {
    await poller?.stop();
    await vswitch?.stop();
    if (host !== undefined && vswitchdPid() !== null && isProcessAlive(vswitchdPid()!)) await host.vsctl(['--if-exists', 'del-br', LATE_BRIDGE]).catch(() => undefined);
    await testLab?.stop();
  }, 120_000);

  /** A poll now, and what the poller reports after it. */
  async function pollNow(): Promise<RecordingSink> {
    await poller.poll();
    return sinkOf(poller);
  }

  /**
   * ovs-ofctl before and after one poll: when the two agree (no counter moved meanwhile), the
   * poller's numbers must equal them. Retries while the lab's background packets move counters
   * (or a background poll that began before the first ovs-ofctl is what the poll joined).
   */
  async function sameMoment<T>(oracle: () => Promise<T>, ours: (sink: RecordingSink) => T): Promise<T> {
    let last: { before: T; mine: T } | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      const before = await oracle();
      const mine = ours(await pollNow());
      const after = await oracle();
      if (JSON.stringify(before) === JSON.stringify(after)) {
        if (JSON.stringify(mine) === JSON.stringify(before)) return mine;
        last = { before, mine };
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    if (last === undefined) throw new Error('ovs-ofctl output never held still for a comparison');
    expect(last.mine).toEqual(last.before);
    return last.mine;
  }

  const sorted = <T>(rows: T[]): T[] => rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  /** dump-flows summed per table and cookie, as the poller reports them. */
  async function ofctlFlowGroups(bridge: string) {
    const groups = new Map<string, { table: string; cookie: string; flows: number; packets: number; bytes: number }>();
    for (const f of parseDumpFlows(await ofctl('dump-flows', bridge))) {
      const key = `${f.tableId}/${f.cookie}`;
      const g = groups.get(key) ?? { table: String(f.tableId), cookie: `0x${f.cookie.toString(16)}`, flows: 0, packets: 0, bytes: 0 };
      g.flows++;
      g.packets += f.packetCount;
      g.bytes += f.byteCount;
      groups.set(key, g);
    }
    return sorted([...groups.values()]);
  }

  function ourFlowGroups(sink: RecordingSink, bridge: string) {
    return sorted(
      sink.of('ovs_openflow_flows', { bridge }).map((s) => ({
        table: s.labels.table,
        cookie: s.labels.cookie,
        flows: s.value,
        packets: sink.value('ovs_openflow_flow_packets_total', s.labels)!,
        bytes: sink.value('ovs_openflow_flow_bytes_total', s.labels)!,
      })),
    );
  }

  it('flows per table and cookie equal ovs-ofctl dump-flows, on every bridge', async () => {
    for (const bridge of lab.bridges) {
      const groups = await sameMoment(() => ofctlFlowGroups(bridge), (sink) => ourFlowGroups(sink, bridge));
      expect(groups.length).toBeGreaterThan(0);
    }
    const sink = sinkOf(poller);
    expect(sink.value('ovs_openflow_flows', { bridge: 'br-int', table: '0', cookie: METER_COOKIE })).toBe(1);
    expect(sink.value('ovs_openflow_flow_cookies_overflow', { bridge: 'br-int' })).toBe(0);
  });

  it('tables equal ovs-ofctl dump-tables (tables with no flow and no lookup left out)', async () => {
    for (const bridge of lab.bridges) {
      const tables = await sameMoment(
        async () =>
          parseDumpTables(await ofctl('dump-tables', bridge))
            .filter((t) => t.activeCount + t.lookupCount + t.matchedCount > 0)
            .map((t) => ({ table: String(t.tableId), active: t.activeCount, lookups: t.lookupCount, matched: t.matchedCount })),
        (sink) =>
          sink.of('ovs_openflow_table_active_flows', { bridge }).map((s) => ({
            table: s.labels.table,
            active: s.value,
            lookups: sink.value('ovs_openflow_table_lookups_total', s.labels)!,
            matched: sink.value('ovs_openflow_table_matches_total', s.labels)!,
          })),
      );
      expect(tables.length).toBeGreaterThan(0);
    }
  });

  it('ports equal ovs-ofctl dump-ports, patch and tunnel ports included, named from PORT_DESC', async () => {
    const counters = [
      ['rxPackets', 'ovs_openflow_port_receive_packets_total'],
      ['rxBytes', 'ovs_openflow_port_receive_bytes_total'],
      ['rxDropped', 'ovs_openflow_port_receive_dropped_total'],
      ['rxErrors', 'ovs_openflow_port_receive_errors_total'],
      ['txPackets', 'ovs_openflow_port_transmit_packets_total'],
      ['txBytes', 'ovs_openflow_port_transmit_bytes_total'],
      ['txDropped', 'ovs_openflow_port_transmit_dropped_total'],
      ['txErrors', 'ovs_openflow_port_transmit_errors_total'],
    ] as const;
    for (const bridge of lab.bridges) {
      await sameMoment(
        async () => sorted(parsePortStats(await ofctl('dump-ports', bridge)).map((p) => Object.fromEntries([['port', p.port], ...counters.map(([k]) => [k, p[k]])]))),
        (sink) =>
          sorted(
            sink.of('ovs_openflow_port_receive_packets_total', { bridge }).map((s) =>
              Object.fromEntries([['port', s.labels.ofport], ...counters.map(([k, name]) => [k, sink.value(name, { bridge, ofport: s.labels.ofport })])]),
            ),
          ),
      );
    }
    const sink = sinkOf(poller);
    expect(sink.of('ovs_openflow_port_receive_packets_total', { bridge: 'br-int', port: 'patch-tun' })[0]?.labels.ofport).toBe('1');
    expect(sink.of('ovs_openflow_port_receive_packets_total', { bridge: 'br-int', port: vm1.interface })[0]?.labels.ofport).toBe(String(vm1.ofport));
    expect(sink.of('ovs_openflow_port_receive_packets_total', { bridge: 'br-tun', ofport: 'LOCAL' })[0]?.labels.port).toBe('br-tun');
  });

  it('meter packets, bytes and band drops equal ovs-ofctl meter-stats', async () => {
    await ping(vm1, vm3, 20, '0.02');
    const meters = await sameMoment(
      async () => parseMeterStats(await ofctl('meter-stats', 'br-int')).map((m) => ({ meter: String(m.meterId), flows: m.flowCount, packets: m.packetInCount, bytes: m.byteInCount, bands: m.bands })),
      (sink) =>
        sink.of('ovs_openflow_meter_packets_total', { bridge: 'br-int' }).map((s) => ({
          meter: s.labels.meter,
          flows: sink.value('ovs_openflow_meter_flows', s.labels)!,
          packets: s.value,
          bytes: sink.value('ovs_openflow_meter_bytes_total', s.labels)!,
          bands: sink.of('ovs_openflow_meter_band_packets_total', s.labels).map((b) => ({
            packetCount: b.value,
            byteCount: sink.value('ovs_openflow_meter_band_bytes_total', b.labels)!,
          })),
        })),
    );
    expect(meters).toHaveLength(1);
    expect(meters[0].packets).toBeGreaterThanOrEqual(20);
    expect(meters[0].bands[0].packetCount).toBeGreaterThan(0);
    expect(sinkOf(poller).of('ovs_openflow_meter_band_packets_total')[0].labels).toMatchObject({ bridge: 'br-int', meter: '1', band: '0', type: 'drop' });
  });

  it('datapath hit+missed and PMD counters grow with traffic; coverage counters and memory gauges are there', async () => {
    const dp = { datapath: 'netdev@ovs-netdev' };
    const main = { thread: 'main' };
    const before = await pollNow();
    await ping(vm3, vm1, 5);
    // ovs-vswitchd folds thread-local counts into the totals about once a second (lib/coverage.c).
    await expect
      .poll(async () => {
        const after = await pollNow();
        const grew = (name: string, labels: Record<string, string>) => after.value(name, labels)! - before.value(name, labels)!;
        return grew('ovs_datapath_lookup_hits_total', dp) + grew('ovs_datapath_lookup_misses_total', dp) >= 10 && grew('ovs_datapath_pmd_received_packets_total', main) >= 10;
      }, { timeout: 5000, interval: 200 })
      .toBe(true);
    const after = sinkOf(poller);
    // lost upcalls are a subset of the misses (the userspace datapath loses a few now and then)
    expect(after.value('ovs_datapath_lookup_lost_total', dp)).toBeGreaterThanOrEqual(0);
    expect(after.value('ovs_datapath_lookup_lost_total', dp)).toBeLessThanOrEqual(after.value('ovs_datapath_lookup_misses_total', dp)!);
    expect(after.value('ovs_datapath_flows', dp)).toBeGreaterThan(0);
    expect(after.value('ovs_vswitchd_upcall_flow_limit', dp)).toBeGreaterThan(0);
    expect(after.value('ovs_vswitchd_upcall_dump_duration_seconds', dp)).toBeGreaterThanOrEqual(0);
    expect(after.of('ovs_vswitchd_coverage_events_total').length).toBeGreaterThan(20);
    expect(after.value('ovs_vswitchd_coverage_events_total', { event: 'netdev_received' })).toBeGreaterThan(0);
    expect(after.value('ovs_vswitchd_coverage_events_total', { event: 'bridge_reconfigure' })).toBeGreaterThan(0);
    expect(after.value('ovs_vswitchd_memory_objects', { object: 'handlers' })).toBeGreaterThan(0);
    expect(after.value('ovs_vswitchd_memory_objects', { object: 'ports' })).toBeGreaterThan(5);
    expect(after.value('ovs_vswitchd_memory_objects', { object: 'udpif keys' })).toBeGreaterThanOrEqual(0);
    expect(after.value('ovs_datapath_pmd_lookups_total', { ...main, result: 'megaflow' })).toBeGreaterThan(0);
    for (const s of after.of('ovs_telemetry_poll_success')) expect(s).toMatchObject({ value: 1 });
    expect(after.of('ovs_telemetry_poll_success').map((s) => s.labels.target).sort()).toEqual(
      ['br-int', 'br-phy', 'br-tun', 'coverage/show', 'dpctl/show', 'dpif-netdev/pmd-stats-show', 'memory/show', 'upcall/show'],
    );
  });

  it('tenancy from flows: br-tun VNIs and the provider VLAN translations name each network', async () => {
    await pollNow();
    for (const network of lab.networks) {
      expect(poller.segments.networkByVni(network.segmentation_id)).toEqual({ networkId: network.id, projectId: network.project_id });
    }
    const [alpha, bravo] = ['alpha-net', 'bravo-net'].map((name) => lab.networks.find((n) => n.name === name)!);
    expect(alpha.local_vlans['compute-1']).toBe(1);
    expect(poller.segments.networkByProviderVlan(101)).toEqual({ networkId: alpha.id, projectId: alpha.project_id });
    expect(poller.segments.networkByProviderVlan(102)).toEqual({ networkId: bravo.id, projectId: bravo.project_id });
    expect(sinkOf(poller).of('ovs_network_segment_info').map((s) => s.labels).sort((a, b) => Number(a.segmentation_id) - Number(b.segmentation_id))).toEqual([
      { segment_type: 'vlan', segmentation_id: '101', local_vlan: '1', network_id: alpha.id, project_id: alpha.project_id },
      { segment_type: 'vlan', segmentation_id: '102', local_vlan: '2', network_id: bravo.id, project_id: bravo.project_id },
      { segment_type: 'tunnel', segmentation_id: String(alpha.segmentation_id), local_vlan: '1', network_id: alpha.id, project_id: alpha.project_id },
      { segment_type: 'tunnel', segmentation_id: String(bravo.segmentation_id), local_vlan: '2', network_id: bravo.id, project_id: bravo.project_id },
    ]);
  });

  it('the exposition passes promtool check metrics', async () => {
    await poller.poll();
    const text = (await new PrometheusRegistry([poller], silentLogger).render()).toString();
    expect(text).toContain('ovs_vswitchd_coverage_events_total{event="netdev_received"}');
    expect(promtoolCheckMetrics(text)).toBe('');
  });

  it('a bridge added later is polled from the next round on, and dropped once deleted', async () => {
    poller.start();
    await host.vsctl(['add-br', LATE_BRIDGE, '--', 'set', 'Bridge', LATE_BRIDGE, 'datapath_type=netdev']);
    await expect.poll(() => sinkOf(poller).value('ovs_telemetry_poll_success', { source: 'openflow', target: LATE_BRIDGE }), { timeout: 5000, interval: 100 }).toBe(1);
    // A new bridge in standalone mode has its NORMAL flow in table 0.
    expect(sinkOf(poller).value('ovs_openflow_table_active_flows', { bridge: LATE_BRIDGE, table: '0' })).toBe(1);
    await host.vsctl(['del-br', LATE_BRIDGE]);
    await expect.poll(() => sinkOf(poller).samples.some((s) => s.labels.bridge === LATE_BRIDGE || s.labels.target === LATE_BRIDGE), { timeout: 5000, interval: 100 }).toBe(false);
  });

  it('ovs-vswitchd restart: polls fail meanwhile, then the same poller reconnects and reports again', async () => {
    // (poller is running in the background since the previous test)
    const pid = vswitchdPid()!;
    expect(pid).toBe(lab.hosts[0].ovs_vswitchd_pid);
    process.kill(pid, 'SIGKILL');
    expect(await waitForExit([pid], 5000)).toBe(true);
    await expect.poll(() => sinkOf(poller).value('ovs_telemetry_poll_success', { source: 'openflow', target: 'br-int' }), { timeout: 5000, interval: 100 }).toBe(0);
    await expect.poll(() => sinkOf(poller).value('ovs_telemetry_poll_success', { source: 'unixctl', target: 'dpctl/show' }), { timeout: 5000, interval: 100 }).toBe(0);
    const down = sinkOf(poller);
    expect(down.of('ovs_openflow_table_lookups_total', { bridge: 'br-int' })).toEqual([]);
    expect(down.value('ovs_telemetry_poll_errors_total', { source: 'openflow', target: 'br-int' })).toBeGreaterThan(0);

    // The lab's own command line and environment (lab/ovs-host.ts), then the agent's flows again
    // (OpenFlow flows do not survive a restart; neutron-openvswitch-agent would reinstall them).
    await host.startVswitchd();
    expect(vswitchdPid()).not.toBe(pid);
    await expect.poll(() => sinkOf(poller).value('ovs_telemetry_poll_success', { source: 'openflow', target: 'br-int' }), { timeout: 15_000, interval: 100 }).toBe(1);
    await expect.poll(() => sinkOf(poller).value('ovs_telemetry_poll_success', { source: 'unixctl', target: 'dpctl/show' }), { timeout: 15_000, interval: 100 }).toBe(1);
    for (const bridge of ['br-int', 'br-tun']) await ofctl('add-flows', bridge, join(host.dir, `flows-${bridge}.txt`));
    for (const bridge of ['br-int', 'br-tun']) await sameMoment(() => ofctlFlowGroups(bridge), (sink) => ourFlowGroups(sink, bridge));
    const up = sinkOf(poller);
    expect(up.value('ovs_telemetry_openflow_reconnects_total', { bridge: 'br-int' })).toBeGreaterThanOrEqual(1);
    // the new daemon's coverage counters appear once its threads fold them in (about a second)
    await expect.poll(() => sinkOf(poller).value('ovs_vswitchd_coverage_events_total', { event: 'bridge_reconfigure' }) ?? 0, { timeout: 5000, interval: 100 }).toBeGreaterThan(0);
    for (const network of lab.networks) expect(poller.segments.networkByVni(network.segmentation_id)?.networkId).toBe(network.id);
  }, 60_000);
});
