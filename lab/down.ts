/**
 * `lab down`: removes every process, namespace, link and file a lab made, from its journal
 * (state.json) and, for what a crash kept out of the journal or when the journal is gone, by
 * scanning for the naming prefix and for processes that mention the lab's directory.
 */
import { rmSync, rmdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TelemetryError } from '../common/errors.js';
import { tryRun } from './exec.js';
import { ip, linkKind, listLinks, listNetns, netnsPids } from './links.js';
import { controlSocketOf, type OvsProgram } from './ovs-host.js';
import { commandLineOf, findInOwnNetns, findProcessesMentioning, isProcessAlive, readPidFile, stopProcesses, waitForExit } from './processes.js';
import { defaultLabDir, readStateFile, stateFilePath, type LabResource } from './state.js';
import { DATAPATH_DEVICES, DEFAULT_PREFIX, netnsPrefix, planLab } from './topology.js';

export interface LabDownOptions {
  /** Prefix to scan for when state.json is missing; default: the journal's, else "otl". */
  readonly prefix?: string;
  readonly onStep?: (message: string) => void;
}

export interface LabDownReport {
  readonly dir: string;
  readonly prefix: string;
  /** Whether a state.json was found (false: everything was found by scanning). */
  readonly journal: boolean;
  readonly processes: number;
  readonly netns: string[];
  readonly links: string[];
}

type DaemonResource = Extract<LabResource, { kind: 'daemon' }>;

/** Asks an OVS daemon to exit (ovs-vswitchd with --cleanup: it deletes its datapath and taps). */
async function stopDaemon(daemon: DaemonResource): Promise<number> {
  const pid = readPidFile(daemon.pidfile) ?? daemon.pid ?? null;
  // The command line names the lab's rundir: a recycled pid is never touched.
  if (pid === null || !isProcessAlive(pid) || !commandLineOf(pid).includes(daemon.rundir)) return 0;
  const program: OvsProgram = daemon.program;
  const exitArgs = program === 'ovs-vswitchd' ? ['exit', '--cleanup'] : ['exit'];
  await tryRun('ovs-appctl', ['--timeout=5', '-t', controlSocketOf(daemon.rundir, program, pid), ...exitArgs], { timeoutMs: 8_000 });
  if (!(await waitForExit([pid], 3_000))) await stopProcesses([pid]);
  return 1;
}

const unique = <T>(items: Iterable<T>) => [...new Set(items)];

export async function labDown(dir: string = defaultLabDir(), options: LabDownOptions = {}): Promise<LabDownReport> {
  const labDir = resolve(dir);
  const step = options.onStep ?? (() => {});
  const state = readStateFile(labDir);
  const prefix = state?.prefix ?? options.prefix ?? DEFAULT_PREFIX;
  const resources = state?.resources ?? [];
  const plan = planLab(prefix, labDir);
  let processes = 0;

  // 1. OVS daemons, hosts in parallel, newest first, so ovs-vswitchd goes before its ovsdb-server.
  const daemons = resources.filter((r): r is DaemonResource => r.kind === 'daemon').reverse();
  const stopped = await Promise.all(
    unique(daemons.map((d) => d.host)).map(async (host) => {
      let count = 0;
      for (const daemon of daemons.filter((d) => d.host === host)) {
        step(`stopping ${daemon.program} of ${daemon.host}`);
        count += await stopDaemon(daemon);
      }
      return count;
    }),
  );
  processes += stopped.reduce((a, b) => a + b, 0);

  // 2. Whatever still runs in the lab's namespaces or mentions its directory (iperf3, daemons
  //    whose pid file was never written).
  const namespaces = unique([
    ...resources.flatMap((r) => (r.kind === 'netns' ? [r.name] : [])),
    ...(await listNetns()).filter((ns) => ns.startsWith(netnsPrefix(prefix))),
  ]);
  const stray = unique([...(await Promise.all(namespaces.map(netnsPids))).flat(), ...findProcessesMentioning(`${labDir}/`)]).filter(isProcessAlive);
  if (stray.length > 0) step(`stopping ${stray.length} remaining process(es)`);
  await stopProcesses(stray);
  processes += stray.length;

  // 3. Root-namespace links: the journal's, the prefix's, and the VM taps the plan names
  //    (deleted here rather than left to the namespace teardown, which the kernel finishes
  //    asynchronously: a quick `lab up` would find the name still taken).
  const rootLinks = await listLinks(null);
  const rootCandidates = unique([
    ...resources.flatMap((r) => (r.kind === 'link' && r.netns === null ? [r.name] : [])),
    ...rootLinks.filter((name) => name.startsWith(netnsPrefix(prefix))),
    ...[...plan.vms, ...plan.agentPorts].filter((p) => plan.hosts.find((h) => h.name === p.host)?.netns === null).map((p) => p.interface),
  ]).filter((name) => rootLinks.includes(name));
  const links: string[] = [];
  await Promise.all(
    rootCandidates.map(async (name) => {
      if ((await linkKind(name)) !== 'veth') return;
      step(`deleting link ${name}`);
      await ip(null, 'link', 'del', name);
      links.push(name);
    }),
  );

  // 4. The userspace datapath's persistent taps in the root namespace, when no ovs-vswitchd
  //    there still owns them (another lab cannot be up: it would have needed the same names).
  if (findInOwnNetns('ovs-vswitchd').length === 0) {
    for (const name of DATAPATH_DEVICES) {
      if ((await linkKind(name)) !== 'tun') continue;
      step(`deleting leftover datapath device ${name}`);
      await ip(null, 'link', 'del', name);
      links.push(name);
    }
  }

  // 5. Namespaces (their links go with them).
  const existing = await listNetns();
  const removedNetns = namespaces.filter((n) => existing.includes(n));
  await Promise.all(
    removedNetns.map((ns) => {
      step(`deleting netns ${ns}`);
      return tryRun('ip', ['netns', 'del', ns]);
    }),
  );

  // 6. Files: the hosts' directories, traffic pid files, the journal; the directory itself when
  //    lab up created it.
  for (const name of [...plan.hosts.map((h) => h.name), 'traffic']) rmSync(join(labDir, name), { recursive: true, force: true });
  rmSync(stateFilePath(labDir), { force: true });
  if (resources.some((r) => r.kind === 'dir' && r.path === labDir)) {
    try {
      if (readdirSync(labDir).length === 0) rmdirSync(labDir);
    } catch {
      // Already gone.
    }
  }

  await assertNothingLeft(labDir, prefix);
  return { dir: labDir, prefix, journal: state !== null, processes, netns: removedNetns, links };
}

async function assertNothingLeft(dir: string, prefix: string): Promise<void> {
  const left = [
    ...findProcessesMentioning(`${dir}/`).map((pid) => `process ${pid}`),
    ...(await listNetns()).filter((ns) => ns.startsWith(netnsPrefix(prefix))).map((ns) => `netns ${ns}`),
    ...(await listLinks(null)).filter((l) => l.startsWith(netnsPrefix(prefix))).map((l) => `link ${l}`),
  ];
  if (left.length > 0) throw new TelemetryError('LAB', `lab down could not remove: ${left.join(', ')}`);
}
