/**
 * The unixctl client against a real ovs-vswitchd 3.1 (userspace datapath, own network namespace)
 * and ovsdb-server: every parser understands every line OVS 3.1 prints (0 skipped), datapath
 * hit/missed and PMD counters grow with traffic, coverage counters are there, bonds show up, and
 * a restart of ovs-vswitchd (new pid, new control socket) is followed without a new client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetnsOvs, type NetnsOvs, type NetnsVm } from '../helpers/netns-ovs.js';
import { UnixctlClient } from '../../collector/unixctl/client.js';

let ovs: NetnsOvs;
let vm1: NetnsVm;
let vm2: NetnsVm;
let vswitchd: UnixctlClient;
let ovsdbServer: UnixctlClient;

async function ping(count: number): Promise<void> {
  await ovs.exec(vm1.netns, 'ping', '-c', String(count), '-i', '0.1', '-W', '1', vm2.ip);
}

beforeAll(async () => {
  ovs = await startNetnsOvs();
  await ovs.addBridge('br-int');
  vm1 = await ovs.addVm('br-int', 'vm1', '10.30.0.1', 1);
  vm2 = await ovs.addVm('br-int', 'vm2', '10.30.0.2', 2);
  for (const p of ['bp1', 'bp2']) {
    await ovs.exec(ovs.netns, 'ip', 'link', 'add', p, 'type', 'veth', 'peer', 'name', `${p}x`);
    await ovs.exec(ovs.netns, 'ip', 'link', 'set', p, 'up');
    await ovs.exec(ovs.netns, 'ip', 'link', 'set', `${p}x`, 'up');
  }
  await ovs.vsctl('add-bond', 'br-int', 'bond0', 'bp1', 'bp2', '--', 'set', 'port', 'bond0', 'bond_mode=balance-slb', 'lacp=off');
  vswitchd = new UnixctlClient({ rundir: ovs.dir, daemon: 'ovs-vswitchd', timeoutMs: 5000 });
  ovsdbServer = new UnixctlClient({ rundir: ovs.dir, daemon: 'ovsdb-server', socketPath: ovs.ovsdb.ctlPath });
});

afterAll(async () => {
  vswitchd?.close();
  ovsdbServer?.close();
  await ovs?.stop();
});

describe('unixctl on a real ovs-vswitchd', () => {
  it('dpif/show: datapath hit+missed grow with traffic; ports as OVSDB has them', async () => {
    const before = await vswitchd.dpifShow();
    expect(before.skippedLines).toBe(0);
    await ping(5);
    const after = await vswitchd.dpifShow();
    expect(after.skippedLines).toBe(0);
    const [dpBefore] = before.value;
    const [dp] = after.value;
    expect(dp.name).toBe('netdev@ovs-netdev');
    expect(dp.hit + dp.missed).toBeGreaterThanOrEqual(dpBefore.hit + dpBefore.missed + 10);
    expect(dp.missed).toBeGreaterThan(dpBefore.missed);
    const ports = new Map(dp.bridges.find((b) => b.name === 'br-int')?.ports.map((p) => [p.name, p]));
    expect(ports.get(vm1.port)).toMatchObject({ ofport: 1, type: 'system' });
    expect(ports.get(vm2.port)).toMatchObject({ ofport: 2, type: 'system' });
    expect(ports.get('br-int')).toMatchObject({ ofport: 65534, type: 'tap' });
    expect(ports.has('bp1') && ports.has('bp2')).toBe(true);
    const ofports = (await ovs.vsctl('--bare', '--columns=name,ofport', 'list', 'Interface')).trim().split(/\s+/);
    for (let i = 0; i < ofports.length; i += 2) expect(ports.get(ofports[i])?.ofport).toBe(Number(ofports[i + 1]));
  });

  it('dpctl/show: lookups with lost, flows and datapath ports', async () => {
    const { value, skippedLines } = await vswitchd.dpctlShow();
    expect(skippedLines).toBe(0);
    const [dp] = value;
    expect(dp.lost).toBe(0);
    expect(dp.hit + dp.missed).toBeGreaterThan(0);
    const dpif = (await vswitchd.dpifShow()).value[0];
    expect(dp.hit).toBe(dpif.hit);
    expect(dp.missed).toBe(dpif.missed);
    expect(dp.ports.map((p) => p.name)).toEqual(expect.arrayContaining(['ovs-netdev', 'br-int', vm1.port, vm2.port]));
  });

  it('coverage/show: counters present and counting', async () => {
    const received = async (): Promise<number> => (await vswitchd.coverageShow()).value.counters.get('netdev_received')?.total ?? 0;
    const before = await received();
    await ping(3);
    // threads fold their counts into the totals about once a second (lib/coverage.c)
    await expect.poll(received, { timeout: 5000, interval: 200 }).toBeGreaterThanOrEqual(before + 6);
    const after = await vswitchd.coverageShow();
    expect(after.skippedLines).toBe(0);
    expect(after.value.counters.size).toBeGreaterThan(20);
    expect(after.value.neverHit).toBeGreaterThan(0);
    expect(after.value.counters.get('bridge_reconfigure')?.total).toBeGreaterThan(0);
    expect(after.value.counters.get('netdev_received')?.per5s).toBeGreaterThanOrEqual(0);
  });

  it('memory/show, upcall/show and version', async () => {
    const memory = await vswitchd.memoryShow();
    expect(memory.skippedLines).toBe(0);
    expect(memory.value.get('handlers')).toBeGreaterThan(0);
    // "ports" counts interfaces: br-int, the two VM ports and the two bond members
    const interfaces = (await ovs.vsctl('--bare', '--columns=name', 'list', 'Interface')).trim().split(/\s+/);
    expect(memory.value.get('ports')).toBe(interfaces.length);
    expect(memory.value.get('rules')).toBeGreaterThan(0);
    const upcall = await vswitchd.upcallShow();
    expect(upcall.skippedLines).toBe(0);
    expect(upcall.value[0]).toMatchObject({ name: 'netdev@ovs-netdev', flowLimit: 10000, ufidEnabled: true });
    expect(upcall.value[0].revalidatorKeys.size).toBeGreaterThan(0);
    expect(await vswitchd.version()).toBe('3.1.0');
  });

  it('dpif-netdev/pmd-stats-show: packets received grow with traffic', async () => {
    const received = async (): Promise<number> => {
      const { value, skippedLines } = await vswitchd.pmdStatsShow();
      expect(skippedLines).toBe(0);
      const main = value.find((t) => t.kind === 'main');
      expect(main?.stats.has('megaflow hits')).toBe(true);
      return main?.stats.get('packets received') ?? 0;
    };
    const before = await received();
    await ping(4);
    expect(await received()).toBeGreaterThanOrEqual(before + 8);
  });

  it('bond/show: the bond, its mode and members', async () => {
    const { value, skippedLines } = await vswitchd.bondShow();
    expect(skippedLines).toBe(0);
    expect(value).toHaveLength(1);
    expect(value[0]).toMatchObject({ name: 'bond0', mode: 'balance-slb', lacpStatus: 'off' });
    expect(value[0].members.map((m) => m.name).sort()).toEqual(['bp1', 'bp2']);
    expect(value[0].members.every((m) => m.mayEnable === true)).toBe(true);
    expect(value[0].members.filter((m) => m.active)).toHaveLength(1);
    expect((await vswitchd.bondShow('bond0')).value[0].name).toBe('bond0');
    await expect(vswitchd.bondShow('nope')).rejects.toMatchObject({ code: 'RPC_ERROR', message: /no such bond/ });
  });

  it('ovsdb-server: memory/show and coverage/show', async () => {
    const memory = await ovsdbServer.memoryShow();
    expect(memory.skippedLines).toBe(0);
    expect(memory.value.get('cells')).toBeGreaterThan(0);
    expect(memory.value.get('monitors')).toBeGreaterThan(0);
    const coverage = await ovsdbServer.coverageShow();
    expect(coverage.skippedLines).toBe(0);
    expect(coverage.value.counters.size).toBeGreaterThan(0);
  });

  it('follows ovs-vswitchd across a restart (new pid, new control socket)', async () => {
    const oldPid = ovs.vswitchdPid;
    await ovs.restartVswitchd();
    expect(ovs.vswitchdPid).not.toBe(oldPid);
    await expect.poll(() => vswitchd.version().catch((e: { code: string }) => e.code), { timeout: 10_000, interval: 100 }).toBe('3.1.0');
    // counters start again in the new process
    await expect
      .poll(async () => (await vswitchd.coverageShow()).value.counters.get('bridge_reconfigure')?.total ?? 0, { timeout: 5000, interval: 200 })
      .toBeGreaterThan(0);
    await expect.poll(async () => (await vswitchd.dpifShow()).value[0]?.bridges.length ?? 0, { timeout: 10_000 }).toBe(1);
  });
});
