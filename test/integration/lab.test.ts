/**
 * The lab against real Open vSwitch (userspace datapath), iproute2, ping and iperf3, through
 * the real CLI (`ovs-telemetry lab …` run from source). compute-1 of the lab runs in the root
 * network namespace by design, so this file refuses to start when another lab is up.
 */
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, type LabState, type LabStateFile, type TrafficReport } from '../../lab/index.js';
import { planLab } from '../../lab/topology.js';
import { acquireLabLock } from '../helpers/lab-lock.js';
import { cli, startCli } from '../helpers/cli.js';


function sh(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8' });
}

function shOk(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const netnsNames = () => (JSON.parse(sh('ip', ['-j', 'netns', 'list']) || '[]') as { name: string }[]).map((n) => n.name);
const rootLinks = () => (JSON.parse(sh('ip', ['-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);

/** Live processes whose command line mentions the directory (pgrep never lists zombies' args). */
function processesMentioning(dir: string): string[] {
  try {
    return sh('pgrep', ['-a', '-f', `${dir}/`]).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Everything a lab in `dir` with `prefix` could have left behind. */
function leftovers(dir: string, prefix: string, tapNames: readonly string[]): string[] {
  const links = rootLinks();
  return [
    ...processesMentioning(dir).map((p) => `process ${p}`),
    ...netnsNames()
      .filter((n) => n.startsWith(`${prefix}-`))
      .map((n) => `netns ${n}`),
    ...links.filter((l) => l.startsWith(`${prefix}-`) || l === 'ovs-netdev' || tapNames.includes(l)).map((l) => `link ${l}`),
  ];
}

function readState(dir: string): LabStateFile | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as LabStateFile;
  } catch {
    return null;
  }
}

/** Starts `lab up`, waits until its journal satisfies `when`, then kills its process group. */
async function crashLabUp(args: readonly string[], dir: string, when: (s: LabStateFile) => boolean): Promise<LabStateFile> {
  const { child, done } = startCli(['lab', 'up', ...args]);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = readState(dir);
    if (state !== null && when(state)) {
      process.kill(-child.pid!, 'SIGKILL');
      await done;
      return readState(dir)!;
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`lab up did not reach the crash point: ${(await done).stderr}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A UDP socket on a free loopback port, standing in for the collector; counts datagrams. */
async function udpSink(): Promise<{ socket: Socket; port: number; datagrams: () => number }> {
  const socket = createSocket('udp4');
  let count = 0;
  socket.on('message', () => count++);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port, datagrams: () => count };
}

/** A column of one OVSDB row as JSON (`ovs-vsctl --format=json`): maps become plain objects. */
function ovsdbColumn(db: string, table: string, record: string, column: string): unknown {
  const out = JSON.parse(sh('ovs-vsctl', [`--db=${db}`, '--format=json', `--columns=${column}`, 'list', table, record])) as { data: unknown[][] };
  const value = out.data[0]![0];
  if (Array.isArray(value) && value[0] === 'map') return Object.fromEntries(value[1] as [string, string][]);
  if (Array.isArray(value) && value[0] === 'set') return value[1];
  return value;
}

const ping = (netns: string, ip: string) => shOk('ip', ['netns', 'exec', netns, 'ping', '-n', '-c', '2', '-i', '0.2', '-W', '1', ip]);

const id = Math.random().toString(36).slice(2, 7);
const prefix = `t${id}`;
const base = mkdtempSync(join(tmpdir(), 'otl-lab-test-'));
const dir = join(base, 'lab');
const sinks: Awaited<ReturnType<typeof udpSink>>[] = [];
let lab: LabState;
let releaseLock: (() => void) | undefined;

describe('lab (two OVS hosts, VXLAN, Neutron-style OVSDB)', () => {
  beforeAll(async () => {
    releaseLock = await acquireLabLock();
    if (rootLinks().includes('ovs-netdev')) {
      throw new Error('another lab (ovs-netdev) is up in the root network namespace: run "ovs-telemetry lab down" first');
    }
    for (let i = 0; i < 3; i++) sinks.push(await udpSink());
  });

  afterAll(async () => {
    await labDown(dir, { prefix }).catch(() => {});
    for (const s of sinks) s.socket.close();
    rmSync(base, { recursive: true, force: true });
    releaseLock?.();
  });

  const upArgs = () => [
    '--dir',
    dir,
    '--prefix',
    prefix,
    '--sflow-target',
    `127.0.0.1:${sinks[0]!.port}`,
    '--ipfix-target',
    `127.0.0.1:${sinks[1]!.port}`,
    '--netflow-target',
    `127.0.0.1:${sinks[2]!.port}`,
    '--sflow-sampling',
    '16',
    '--ipfix-sampling',
    '16',
    '--sflow-polling',
    '1',
  ];

  it('lab down removes a lab whose lab up was killed half way, even without its state file', async () => {
    // Killed while creating VM namespaces: both hosts' OVS daemons run, nothing is configured.
    const state = await crashLabUp(upArgs(), dir, (s) => s.resources.filter((r) => r.kind === 'netns').length >= 3);
    expect(state.status).toBe('building');
    const taps = planLab(prefix, dir).vms.map((v) => v.interface);
    expect(leftovers(dir, prefix, taps).length).toBeGreaterThan(0);
    rmSync(join(dir, 'state.json'));

    const down = await cli(['lab', 'down', '--dir', dir, '--prefix', prefix]);
    expect(down.stderr).not.toMatch(/could not remove/);
    expect(down.code).toBe(0);
    expect(leftovers(dir, prefix, taps)).toEqual([]);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
  });

  it('lab up that fails half way names the failed command and removes what it made', async () => {
    // A link already holding vm1's tap name makes creating vm1's veth pair fail.
    const tap = planLab(prefix, dir).vms[0]!.interface;
    sh('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    try {
      const up = await cli(['lab', 'up', ...upArgs()]);
      expect(up.code).toBe(1);
      expect(up.stderr).toMatch(new RegExp(`command failed \\(exit 2\\): ip link add ${tap} .*type veth.*File exists`));
      expect(leftovers(dir, prefix, [])).toEqual([]);
    } finally {
      sh('ip', ['link', 'del', tap]);
    }
  });

  it('lab up cleans up a half-built lab first, then builds it', async () => {
    // Killed while configuring bridges, then every OVS daemon of the lab dies too: the userspace
    // datapath's taps (ovs-netdev, br-int, ...) persist in the root namespace without their owner.
    await crashLabUp(upArgs(), dir, (s) => s.resources.filter((r) => r.kind === 'netns').length >= 7 && rootLinks().includes('ovs-netdev'));
    for (const line of processesMentioning(dir)) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect(rootLinks()).toContain('ovs-netdev');

    const started = Date.now();
    const up = await cli(['lab', 'up', ...upArgs(), '--json']);
    expect(up.stderr).toMatch(/up in/);
    expect(up.code).toBe(0);
    lab = JSON.parse(up.stdout) as LabState;
    console.log(`lab up (after cleaning a half-built lab): ${Date.now() - started} ms`);
  });

  it('refuses a second lab in the same root namespace', async () => {
    const other = join(base, 'other');
    const result = await cli(['lab', 'up', '--dir', other, '--prefix', `u${id}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ovs-netdev already exists/);
    expect(netnsNames().filter((n) => n.startsWith(`u${id}-`))).toEqual([]);
  });

  it('status --json prints the contract, and it matches the OVSDB', async () => {
    const status = await cli(['lab', 'status', '--json'], { ...process.env, OVS_TELEMETRY_LAB_DIR: dir });
    expect(status.code).toBe(0);
    const state = JSON.parse(status.stdout) as LabState;
    expect(state).toEqual(lab);
    expect(state.rundir).toBe(join(dir, 'compute-1'));
    expect(state.ovsdb).toBe(`unix:${join(dir, 'compute-1', 'db.sock')}`);
    expect(state.bridges).toEqual(['br-int', 'br-tun', 'br-phy']);
    for (const vm of state.vms) {
      expect(Object.keys(vm)).toEqual(
        expect.arrayContaining(['name', 'netns', 'interface', 'mac', 'ip', 'neutron_port_id', 'network_id', 'project_id', 'vlan', 'vni']),
      );
      expect(vm.netns.startsWith(`${prefix}-`)).toBe(true);
      expect(vm.interface).toBe(`tap${vm.neutron_port_id.slice(0, 11)}`);
      expect(vm.mac).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
    }
    const onHost = (host: string) => state.vms.filter((v) => v.host === host);
    expect(onHost('compute-1').length).toBeGreaterThanOrEqual(3);
    expect(onHost('compute-2').length).toBeGreaterThanOrEqual(1);
    expect(new Set(state.vms.map((v) => v.network_id)).size).toBe(2);
    expect(new Set(state.vms.map((v) => v.project_id)).size).toBe(2);
    // The same IP on both networks, and local VLANs that differ per host.
    const vm2 = state.vms.find((v) => v.name === 'vm2')!;
    const vm3 = state.vms.find((v) => v.name === 'vm3')!;
    expect(vm2.ip).toBe(vm3.ip);
    expect(vm2.network_id).not.toBe(vm3.network_id);
    expect(state.vms.find((v) => v.name === 'vm1')).toMatchObject({ vlan: 1, vni: 1001 });
    expect(state.vms.find((v) => v.name === 'vm4')).toMatchObject({ vlan: 2, vni: 1001 });
    expect(state.vms.find((v) => v.name === 'vm5')).toMatchObject({ vlan: 1, vni: 1002 });

    for (const vm of state.vms) {
      const host = state.hosts.find((h) => h.name === vm.host)!;
      expect(ovsdbColumn(host.ovsdb, 'Interface', vm.interface, 'external_ids')).toEqual({
        'iface-id': vm.neutron_port_id,
        'attached-mac': vm.mac,
        'iface-status': 'active',
        'vm-uuid': vm.vm_uuid,
      });
      expect(ovsdbColumn(host.ovsdb, 'Port', vm.interface, 'tag')).toBe(vm.vlan);
      expect(ovsdbColumn(host.ovsdb, 'Port', vm.interface, 'other_config')).toEqual({
        net_uuid: vm.network_id,
        network_type: 'vxlan',
        physical_network: 'None',
        segmentation_id: String(vm.vni),
        tag: String(vm.vlan),
      });
      expect(ovsdbColumn(host.ovsdb, 'Interface', vm.interface, 'ofport')).toBe(vm.ofport);
    }
    // An agent-made (DHCP) port: iface-id, attached-mac and iface-status only.
    const dhcp = state.agent_ports[0]!;
    expect(ovsdbColumn(state.ovsdb, 'Interface', dhcp.interface, 'external_ids')).toEqual({
      'iface-id': dhcp.neutron_port_id,
      'attached-mac': dhcp.mac,
      'iface-status': 'active',
    });
    for (const bridge of state.bridges) expect(ovsdbColumn(state.ovsdb, 'Bridge', bridge, 'datapath_type')).toBe('netdev');
    expect(ovsdbColumn(state.ovsdb, 'sFlow', '.', 'targets')).toBe(`127.0.0.1:${sinks[0]!.port}`);
  });

  it('VMs reach each other on one host and across the VXLAN tunnel; networks stay isolated', () => {
    const vm = (name: string) => lab.vms.find((v) => v.name === name)!;
    expect(ping(vm('vm1').netns, vm('vm3').ip)).toBe(true); // alpha, compute-1 local
    expect(ping(vm('vm1').netns, vm('vm4').ip)).toBe(true); // alpha, compute-1 -> compute-2
    expect(ping(vm('vm5').netns, vm('vm2').ip)).toBe(true); // bravo, compute-2 -> compute-1
    expect(ping(vm('vm1').netns, lab.agent_ports[0]!.ip)).toBe(true); // the DHCP port
    // vm2 (bravo) cannot reach vm1 (alpha) and sees neither alpha VM behind 10.0.0.13.
    expect(ping(vm('vm2').netns, vm('vm1').ip)).toBe(false);
    const neighbour = sh('ip', ['-n', vm('vm1').netns, 'neigh', 'show', vm('vm3').ip]);
    expect(neighbour).toContain(vm('vm3').mac);
    expect(neighbour).not.toContain(vm('vm2').mac);
  });

  it('br-tun maps VNI <-> local VLAN in tables 4 and 22 on each host', () => {
    const flows = (host: string, table: number) => sh('ovs-ofctl', ['dump-flows', `unix:${join(dir, host, 'br-tun.mgmt')}`, `table=${table}`]);
    expect(flows('compute-1', 4)).toMatch(/tun_id=0x3e9 actions=mod_vlan_vid:1,resubmit\(,10\)/);
    expect(flows('compute-1', 4)).toMatch(/tun_id=0x3ea actions=mod_vlan_vid:2,resubmit\(,10\)/);
    expect(flows('compute-1', 22)).toMatch(/dl_vlan=1 actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID\[\],output:2/);
    expect(flows('compute-2', 4)).toMatch(/tun_id=0x3e9 actions=mod_vlan_vid:2,/);
    expect(flows('compute-2', 22)).toMatch(/dl_vlan=2 actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID\[\],output:2/);
  });

  it('lab traffic reports iperf3 bytes per flow, stops iperf3, and the exporters send', async () => {
    const result = await cli(['lab', 'traffic', '--dir', dir, '--seconds', '2', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as TrafficReport;
    for (const kind of ['icmp', 'icmpv6', 'tcp', 'udp'] as const) {
      expect(report.flows.some((f) => f.kind === kind && f.crosses_tunnel)).toBe(true);
    }
    expect(report.flows.some((f) => f.kind === 'tcp' && !f.crosses_tunnel)).toBe(true);
    for (const flow of report.flows) {
      expect(flow.bytes).toBeGreaterThan(0);
      expect(flow.received_bytes).toBeGreaterThan(0);
    }
    for (const flow of report.flows.filter((f) => f.kind !== 'icmp')) {
      console.log(`${flow.kind} ${flow.src_vm}->${flow.dst_vm} (${flow.crosses_tunnel ? 'vxlan' : 'local'}): ${flow.bytes} B sent, ${(flow.bits_per_second / 1e6).toFixed(1)} Mbit/s`);
    }
    expect(processesMentioning(dir).filter((p) => p.includes('iperf3'))).toEqual([]);
    expect(sinks[0]!.datagrams()).toBeGreaterThan(0); // sFlow
    expect(sinks[1]!.datagrams()).toBeGreaterThan(0); // IPFIX
  });

  it('lab down leaves nothing behind, and status then says no lab is up', async () => {
    const taps = lab.vms.filter((v) => v.host === 'compute-1').map((v) => v.interface);
    const started = Date.now();
    const down = await cli(['lab', 'down', '--dir', dir]);
    console.log(`lab down: ${Date.now() - started} ms`);
    expect(down.code).toBe(0);
    expect(leftovers(dir, prefix, taps)).toEqual([]);
    const status = await cli(['lab', 'status', '--dir', dir]);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/no lab is up/);
  });
});
