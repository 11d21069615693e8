/**
 * The enforcer on the real lab (OVS 3.1 userspace datapath, Neutron-style br-int with the agent's
 * tables, VMs as network namespaces), measured with iperf3 between vm1 and vm3 (same tenant
 * network, same host):
 *  - a static ingress limit (linux-htb QoS on vm3's port, no set_queue flow: traffic without a
 *    queue takes htb's default class, queue 0) holds a TCP stream within ±20 % of the limit;
 *  - a kbps meter holds a TCP stream under its rate, a pktps meter a UDP flood under its rate;
 *  - removing the policy restores full speed;
 *  - the egress limit's ingress_policing rows are set exactly as Neutron sets them. Their effect
 *    cannot be measured here: this kernel lacks cls_basic (ovs-vswitchd logs "adding cls_basic
 *    policing action failed"), so the test checks the OVSDB state only.
 * Each phase runs its own enforcer (in this process) with that phase's policies; the next one
 * takes over the rows the previous one owned.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/log.js';
import { startEnforcer, type RunningEnforcer } from '../../cli/enforce.js';
import { loadEnforcerConfig } from '../../enforcer/policy/compile.js';
import type { LabState, LabVm } from '../../lab/index.js';
import { startTestLab, type TestLab } from '../helpers/test-lab.js';
import { waitUntil } from './enforcer-sandbox.js';

const run = promisify(execFile);
const PREFIX = 'ote';
const HTB_KBPS = 20_000;
const METER_KBPS = 30_000;
const METER_PPS = 2000;
const METER_BURST_PACKETS = 200;
const PPS_SECONDS = 4;

describe('enforcer on the lab: measured with iperf3', () => {
  let testLab: TestLab | undefined;
  let lab: LabState;
  /** The lab's dir; the enforcer's files go beside the lab's state. */
  let dir: string;
  let enforcer: RunningEnforcer | undefined;
  let vm1: LabVm;
  let vm3: LabVm;
  let baselineBps = 0;
  let iperfPort = 5301;
  const figures: Record<string, number> = {};
  const vsctl = async (...args: string[]) => (await run('ovs-vsctl', [`--db=${lab.ovsdb}`, ...args])).stdout;

  /** TCP from `src` to `dst`: the receiver's rate (first second omitted: slow start and htb's burst). */
  const tcp = async (src: LabVm, dst: LabVm, seconds = 5): Promise<number> => {
    const port = String(iperfPort++);
    const server = run('ip', ['netns', 'exec', dst.netns, 'iperf3', '-s', '-1', '-p', port]);
    await new Promise((r) => setTimeout(r, 300));
    const { stdout } = await run('ip', ['netns', 'exec', src.netns, 'iperf3', '-c', dst.ip, '-p', port, '-t', String(seconds), '-O', '1', '-J']);
    await server;
    return (JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
  };

  /** UDP flood of 1000-byte datagrams: packets per second the receiver got. */
  const udpPps = async (src: LabVm, dst: LabVm, bitrate: string, seconds = 4): Promise<number> => {
    const port = String(iperfPort++);
    const server = run('ip', ['netns', 'exec', dst.netns, 'iperf3', '-s', '-1', '-p', port, '-J']);
    await new Promise((r) => setTimeout(r, 300));
    await run('ip', ['netns', 'exec', src.netns, 'iperf3', '-c', dst.ip, '-p', port, '-u', '-b', bitrate, '-l', '1000', '-t', String(seconds), '-J']);
    const sum = (JSON.parse((await server).stdout) as { end: { sum: { packets: number; lost_packets: number; seconds: number } } }).end.sum;
    return (sum.packets - sum.lost_packets) / sum.seconds;
  };

  /** Starts an enforcer with these policies (stopping the previous one) and waits for its first full reconcile. */
  const enforce = async (name: string, policies: string): Promise<void> => {
    await enforcer?.stop();
    const file = join(dir, `${name}.yml`);
    writeFileSync(file, `state_dir: "${join(dir, 'state')}"\nweb: { listen_address: "127.0.0.1:0" }\nopenflow: { poll_ms: 500 }\npolicies:${policies || ' []'}\n`);
    enforcer = await startEnforcer(loadEnforcerConfig(file), silentLogger);
    await waitUntil(`${name}: nothing left to change`, async () => {
      const report = await enforcer!.reconciler.trigger();
      return report.ready && report.planned.length === 0;
    }, 15_000);
  };

  beforeAll(async () => {
    // The enforcer finds the lab's OVSDB, bridges' .mgmt sockets and tenancy through the lab dir.
    testLab = await startTestLab('enf-lab', { prefix: PREFIX });
    ({ lab, dir } = testLab);
    vm1 = lab.vms.find((v) => v.name === 'vm1') as LabVm;
    vm3 = lab.vms.find((v) => v.name === 'vm3') as LabVm;
    expect(vm1.network_id).toBe(vm3.network_id);
  }, 240_000);

  afterAll(async () => {
    await enforcer?.stop();
    await testLab?.stop();
    console.log(`enforcer lab figures: ${JSON.stringify(figures)}`);
  }, 120_000);

  it('baseline: vm1 → vm3 TCP without limits', async () => {
    baselineBps = await tcp(vm1, vm3);
    figures.baseline_mbps = Math.round(baselineBps / 1e6);
    // Far above every limit below, or the limits would prove nothing.
    expect(baselineBps).toBeGreaterThan(5 * METER_KBPS * 1000);
  });

  it(`linux-htb ingress limit of ${HTB_KBPS / 1000} Mbit/s holds TCP within ±20 %; the egress policing rows are Neutron's`, async () => {
    await enforce('htb', `
  - name: vm3-ingress
    match: { neutron_port_id: ${vm3.neutron_port_id} }
    limits: { ingress: { max_kbps: ${HTB_KBPS} } }
  - name: vm1-egress
    match: { neutron_port_id: ${vm1.neutron_port_id} }
    limits: { egress: { max_kbps: 50000 } }`);
    const qos = (await vsctl('get', 'port', vm3.interface, 'qos')).trim();
    expect(await vsctl('get', 'qos', qos, 'type')).toBe('linux-htb\n');
    const queue = (await vsctl('get', 'qos', qos, 'queues:0')).trim();
    expect(await vsctl('get', 'queue', queue, 'other_config')).toBe(`{burst="${HTB_KBPS * 800}", max-rate="${HTB_KBPS * 1000}"}\n`);
    // The kernel qdisc OVS made from it (on vm3's tap, in the root namespace where compute-1 runs).
    expect((await run('tc', ['class', 'show', 'dev', vm3.interface])).stdout).toMatch(/ceil 20Mbit/);
    const bps = await tcp(vm1, vm3);
    figures.htb_limit_mbps = HTB_KBPS / 1000;
    figures.htb_measured_mbps = Number((bps / 1e6).toFixed(2));
    expect(bps).toBeGreaterThan(HTB_KBPS * 1000 * 0.8);
    expect(bps).toBeLessThan(HTB_KBPS * 1000 * 1.2);
    // Egress: exactly what neutron-openvswitch-agent writes (kbps, burst 0.8 x rate). Not
    // measurable here: this kernel lacks cls_basic, so the policer never takes effect.
    expect(await vsctl('get', 'interface', vm1.interface, 'ingress_policing_rate')).toBe('50000\n');
    expect(await vsctl('get', 'interface', vm1.interface, 'ingress_policing_burst')).toBe('40000\n');
  }, 60_000);

  it(`a ${METER_KBPS / 1000} Mbit/s kbps meter holds TCP under its rate`, async () => {
    await enforce('kbps-meter', `
  - name: vm1-egress-meter
    match: { neutron_port_id: ${vm1.neutron_port_id} }
    limits: { egress: { max_kbps: ${METER_KBPS}, mechanism: meter } }`);
    // The previous phase's htb and policing are gone: the new enforcer took over what it owned.
    expect((await vsctl('get', 'port', vm3.interface, 'qos')).trim()).toBe('[]');
    expect(await vsctl('get', 'interface', vm1.interface, 'ingress_policing_rate')).toBe('0\n');
    const bps = await tcp(vm1, vm3);
    figures.kbps_meter_limit_mbps = METER_KBPS / 1000;
    figures.kbps_meter_measured_mbps = Number((bps / 1e6).toFixed(2));
    expect(bps).toBeLessThan(METER_KBPS * 1000 * 1.05);
    expect(bps).toBeGreaterThan(METER_KBPS * 1000 * 0.5);
  }, 60_000);

  it(`a ${METER_PPS} packets/s meter holds a UDP flood under its rate`, async () => {
    await enforce('pps-meter', `
  - name: vm3-ingress-pps
    match: { neutron_port_id: ${vm3.neutron_port_id} }
    limits: { packet_rate: { ingress: { max_kpps: ${METER_PPS / 1000}, max_burst_kpps: ${METER_BURST_PACKETS / 1000} } } }`);
    const pps = await udpPps(vm1, vm3, '40M', PPS_SECONDS);
    figures.pps_meter_limit = METER_PPS;
    figures.pps_meter_measured = Math.round(pps);
    // A meter lets its burst through on top of the rate: over the run, at most rate + burst / seconds.
    expect(pps).toBeLessThan((METER_PPS + METER_BURST_PACKETS / PPS_SECONDS) * 1.05);
    expect(pps).toBeGreaterThan(METER_PPS * 0.8);
  }, 60_000);

  it('removing the policies removes every owned row, meter and flow and restores full speed', async () => {
    await enforce('none', '');
    expect(await vsctl('--columns=_uuid', 'find', 'qos', 'external_ids:ovs-telemetry\\:owner=enforcer')).toBe('');
    expect(await vsctl('--columns=_uuid', 'find', 'queue', 'external_ids:ovs-telemetry\\:owner=enforcer')).toBe('');
    const mgmt = join(lab.rundir, 'br-int.mgmt');
    expect((await run('ovs-ofctl', ['-O', 'OpenFlow13', 'dump-meters', mgmt])).stdout).not.toMatch(/meter=/);
    expect((await run('ovs-ofctl', ['dump-flows', mgmt])).stdout).not.toContain('cookie=0x6f74656e');
    const bps = await tcp(vm1, vm3);
    figures.restored_mbps = Math.round(bps / 1e6);
    // Full speed: far above every limit, and of the baseline's order (two shared cores vary run to run).
    expect(bps).toBeGreaterThan(5 * METER_KBPS * 1000);
    expect(bps).toBeGreaterThan(0.5 * baselineBps);
  }, 60_000);
});
