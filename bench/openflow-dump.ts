/**
 * Dumping 100,000 flows from a real bridge: the native OpenFlow client (every entry decoded: match,
 * instructions, counters) against `ovs-ofctl dump-flows` on the same bridge in the same run, for
 * OF1.3 (the goal: native <= 1.0x ovs-ofctl's wall time) and OF1.5 (what the client negotiates by
 * default with OVS 3.1), with this process's RSS.
 *
 * Also home of `startNetnsOvs`, the real-OVS sandbox the OpenFlow and unixctl integration tests
 * share: ovsdb-server in a temp dir (root namespace), ovs-vswitchd inside a network namespace of
 * its own so its userspace-datapath tap devices never meet the lab's.
 *
 * Run: `npx tsc -p tsconfig.build.json && node dist/bench/openflow-dump.js` (as root).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, readFile, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { OpenFlowClient } from '../collector/openflow/client.js';
import { OFP13, OFP15, type OfVersion } from '../collector/openflow/constants.js';
import { startOvsdbServer, type OvsdbServer } from '../test/helpers/ovsdb-server.js';
import type { BenchResult } from './run.js';

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

// ---------------------------------------------------------------------------------------------
// The benchmark

const FLOWS = 100_000;
const ROUNDS = 3;
const BRIDGE = 'br-bench';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

/** Neutron-ish flows, all distinct: per-port IPv4 ACL-like matches with VLAN and output actions. */
async function writeFlowFile(path: string): Promise<void> {
  const out = createWriteStream(path);
  for (let start = 0; start < FLOWS; start += 1000) {
    let chunk = '';
    for (let i = start; i < start + 1000; i++) {
      chunk += `table=${i % 8},priority=${100 + (i % 50)},cookie=${i},tcp,in_port=${(i % 16) + 1},nw_src=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255},tp_dst=${i % 65536},actions=mod_vlan_vid:${(i % 4000) + 1},output:${(i % 16) + 1}\n`;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Native dump: connect, HELLO, one multipart flow request, every entry decoded and looked at. */
async function nativeDump(target: string, version: OfVersion): Promise<{ ms: number; flows: number; matchFields: number }> {
  const start = performance.now();
  const client = new OpenFlowClient({ target, versions: [version], timeoutMs: 60_000, echoIntervalMs: 0 });
  await client.connect();
  let matchFields = 0;
  const flows = await client.flowStats({}, (f) => {
    matchFields += f.match.length;
  });
  client.close();
  return { ms: performance.now() - start, flows, matchFields };
}

/** `ovs-ofctl -O <version> dump-flows BRIDGE`, output read and discarded: its wall time. */
async function ofctlDump(ovs: NetnsOvs, version: string): Promise<{ ms: number; lines: number }> {
  const start = performance.now();
  const child = spawn('ovs-ofctl', ['-O', version, 'dump-flows', BRIDGE], { env: ovs.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let lines = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`ovs-ofctl dump-flows exited with ${code}`);
  return { ms: performance.now() - start, lines };
}

export async function benchOpenflowDump(): Promise<BenchResult> {
  const ovs = await startNetnsOvs();
  try {
    await ovs.addBridge(BRIDGE);
    const file = join(ovs.dir, 'flows.txt');
    await writeFlowFile(file);
    const addStart = performance.now();
    await ovs.ofctl('add-flows', BRIDGE, file);
    const addMs = performance.now() - addStart;
    const target = ovs.mgmt(BRIDGE);

    const figures: Record<string, number | string> = { flows: FLOWS, ofctl_add_flows_s: round(addMs / 1000, 1) };
    const rssBefore = process.memoryUsage().rss;
    const ratios: Record<string, number> = {};
    for (const [label, version, ofctlVersion] of [
      ['of13', OFP13, 'OpenFlow13'],
      ['of15', OFP15, 'OpenFlow15'],
    ] as const) {
      const native: number[] = [];
      const ofctl: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const n = await nativeDump(target, version);
        if (n.flows !== FLOWS + 1) throw new Error(`native dump returned ${n.flows} flows, expected ${FLOWS + 1}`);
        figures.native_match_fields_decoded = n.matchFields;
        native.push(n.ms);
        const o = await ofctlDump(ovs, ofctlVersion);
        if (o.lines < FLOWS) throw new Error(`ovs-ofctl printed ${o.lines} lines, expected at least ${FLOWS}`);
        ofctl.push(o.ms);
      }
      figures[`native_${label}_ms`] = round(median(native));
      figures[`ofctl_${label}_ms`] = round(median(ofctl));
      ratios[label] = median(native) / median(ofctl);
      figures[`ratio_${label}`] = round(ratios[label], 2);
      figures[`native_${label}_flows_per_s`] = Math.round((FLOWS / median(native)) * 1000);
    }
    figures.rss_before_mb = round(rssBefore / 1e6);
    figures.rss_after_mb = round(process.memoryUsage().rss / 1e6);
    figures.max_rss_mb = round(process.resourceUsage().maxRSS / 1e3);
    return {
      name: 'openflow-dump',
      figures,
      goals: [
        { goal: 'native OF1.3 dump of 100k flows <= 1.0x ovs-ofctl -O OpenFlow13 dump-flows wall time', met: ratios.of13 <= 1.0 },
        { goal: 'native OF1.5 dump <= 1.0x ovs-ofctl -O OpenFlow15 dump-flows wall time', met: ratios.of15 <= 1.0 },
      ],
    };
  } finally {
    await ovs.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchOpenflowDump();
  for (const [k, v] of Object.entries(result.figures)) process.stdout.write(`  ${k.padEnd(28)} ${v}\n`);
  for (const g of result.goals) process.stdout.write(`  ${g.met ? 'MET    ' : 'MISSED '} ${g.goal}\n`);
}
