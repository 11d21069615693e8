/**
 * A real-OVS sandbox for tests and benchmarks: ovsdb-server in a temp dir (root namespace),
 * ovs-vswitchd inside a network namespace of its own so its userspace-datapath tap devices never
 * meet the lab's, plus "VMs" (namespaces on veth pairs) and the ovs-* commands aimed at them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startOvsdbServer, type OvsdbServer } from './ovsdb-server.js';

const run = promisify(execFile);

export interface NetnsVm {
  readonly netns: string;
  readonly ip: string;
  readonly mac: string;
  /** The veth end attached to OVS (inside the OVS namespace). */
  readonly port: string;
}

export interface NetnsOvs {
  /** OVS_RUNDIR/OVS_LOGDIR/OVS_DBDIR: sockets, pid files, logs, bridge .mgmt sockets. */
  readonly dir: string;
  readonly netns: string;
  readonly ovsdb: OvsdbServer;
  readonly env: NodeJS.ProcessEnv;
  /** The current ovs-vswitchd pid (changes on restart). */
  readonly vswitchdPid: number;
  /** `unix:<dir>/<bridge>.mgmt`. */
  mgmt(bridge: string): string;
  vsctl(...args: string[]): Promise<string>;
  ofctl(...args: string[]): Promise<string>;
  appctl(...args: string[]): Promise<string>;
  /** A bridge on the userspace datapath. */
  addBridge(name: string): Promise<void>;
  /** A "VM": a namespace with eth0 (IPv6 off, TX checksum offload off) on a veth whose peer is a port of `bridge`. */
  addVm(bridge: string, name: string, ip: string, ofport: number): Promise<NetnsVm>;
  /** Runs a command inside a namespace. */
  exec(netns: string, ...cmd: string[]): Promise<string>;
  /** SIGKILLs ovs-vswitchd and starts it again on the same database. */
  restartVswitchd(): Promise<void>;
  /** Kills ovs-vswitchd and ovsdb-server by pid, deletes the namespaces and the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** ovs-vswitchd processes started here, killed on exit even when a test run dies. */
const vswitchds = new Set<number>();
process.once('exit', () => {
  for (const pid of vswitchds) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function startNetnsOvs(): Promise<NetnsOvs> {
  const tag = randomBytes(3).toString('hex');
  const netns = `oft-${tag}`;
  const ovsdb = await startOvsdbServer();
  const dir = ovsdb.dir;
  const env = ovsdb.env;
  const namespaces = [netns];
  let pid = 0;
  let stopped = false;

  const sh = async (cmd: string, args: string[]): Promise<string> => (await run(cmd, args, { env, maxBuffer: 256 * 1024 * 1024 })).stdout;
  const exec = (ns: string, ...cmd: string[]): Promise<string> => sh('ip', ['netns', 'exec', ns, ...cmd]);
  const pidFile = join(dir, 'ovs-vswitchd.pid');

  const launch = async (): Promise<void> => {
    await rm(pidFile, { force: true });
    await exec(netns, 'ovs-vswitchd', ovsdb.unixEndpoint, `--pidfile=${pidFile}`, '--detach', '--no-chdir', `--log-file=${join(dir, 'ovs-vswitchd.log')}`);
    pid = Number((await readFile(pidFile, 'utf8')).trim());
    vswitchds.add(pid);
    await waitFor('ovs-vswitchd control socket', () => exists(join(dir, `ovs-vswitchd.${pid}.ctl`)));
  };
  const kill = async (): Promise<void> => {
    if (pid === 0) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await waitFor('ovs-vswitchd to exit', async () => !(await alive(pid)));
    vswitchds.delete(pid);
    pid = 0;
  };

  const sandbox: NetnsOvs = {
    dir,
    netns,
    ovsdb,
    env,
    get vswitchdPid() {
      return pid;
    },
    mgmt: (bridge) => `unix:${join(dir, `${bridge}.mgmt`)}`,
    vsctl: (...args) => sh('ovs-vsctl', [`--db=${ovsdb.unixEndpoint}`, '--timeout=20', ...args]),
    ofctl: (...args) => sh('ovs-ofctl', args),
    appctl: (...args) => sh('ovs-appctl', ['-t', join(dir, `ovs-vswitchd.${pid}.ctl`), ...args]),
    async addBridge(name) {
      await sandbox.vsctl('add-br', name, '--', 'set', 'bridge', name, 'datapath_type=netdev');
      await waitFor(`${name}.mgmt`, () => exists(join(dir, `${name}.mgmt`)));
    },
    async addVm(bridge, name, ip, ofport) {
      const vmNetns = `${netns}-${name}`;
      const port = `${name}-${tag}`.slice(0, 15);
      const mac = `02:${tag.slice(0, 2)}:${tag.slice(2, 4)}:${tag.slice(4, 6)}:00:${ofport.toString(16).padStart(2, '0')}`;
      await sh('ip', ['netns', 'add', vmNetns]);
      namespaces.push(vmNetns);
      // No IPv6 anywhere: no router solicitations or DAD packets to disturb the counters.
      for (const ns of [vmNetns, netns]) {
        await exec(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
      }
      await sh('ip', ['-n', netns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vmNetns]);
      await sh('ip', ['-n', vmNetns, 'link', 'set', 'eth0', 'address', mac]);
      await sh('ip', ['-n', vmNetns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      await sh('ip', ['-n', vmNetns, 'link', 'set', 'eth0', 'up']);
      await sh('ip', ['-n', netns, 'link', 'set', port, 'up']);
      await exec(vmNetns, 'ethtool', '-K', 'eth0', 'tx', 'off');
      await exec(netns, 'ethtool', '-K', port, 'tx', 'off');
      await sandbox.vsctl('add-port', bridge, port, '--', 'set', 'interface', port, `ofport_request=${ofport}`);
      return { netns: vmNetns, ip, mac, port };
    },
    exec,
    async restartVswitchd() {
      await kill();
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill();
      for (const ns of namespaces.reverse()) await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
      await ovsdb.stop();
    },
  };

  try {
    await sandbox.vsctl('--no-wait', 'init');
    await sh('ip', ['netns', 'add', netns]);
    await exec(netns, 'ip', 'link', 'set', 'lo', 'up');
    await launch();
  } catch (err) {
    await sandbox.stop();
    throw err;
  }
  return sandbox;
}
