/** Finding and stopping the lab's processes by pid, through /proc (Linux only). */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isProcessAlive(pid: number): boolean {
  const stat = readProc(pid, 'stat');
  if (stat === null) return false;
  // Field 3 (state) follows the parenthesised command name, which may itself contain ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** The pid in an OVS/iperf3 pid file, or null when the file is missing or empty. */
export function readPidFile(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** The process's arguments joined by spaces ('' when it is gone or a zombie). */
export function commandLineOf(pid: number): string {
  return (readProc(pid, 'cmdline') ?? '').replaceAll('\0', ' ');
}

/** Live processes whose command line contains `text` (e.g. the lab directory). */
export function findProcessesMentioning(text: string): number[] {
  return allPids().filter((pid) => commandLineOf(pid).includes(text) && isProcessAlive(pid));
}

/** The process's command name (`comm`), or null when it is gone. */
export function processName(pid: number): string | null {
  return readProc(pid, 'comm')?.trim() ?? null;
}

export function netnsInode(pid: number | 'self'): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}

/** Live processes named `name` that share this process's network namespace. */
export function findInOwnNetns(name: string): number[] {
  const own = netnsInode('self');
  return allPids().filter((pid) => processName(pid) === name && isProcessAlive(pid) && netnsInode(pid) === own);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until every pid has exited; false when some are still alive after `timeoutMs`. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every((pid) => !isProcessAlive(pid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** SIGTERM, then SIGKILL what is left after `graceMs`. Resolves when all have exited. */
export async function stopProcesses(pids: readonly number[], graceMs = 2_000): Promise<void> {
  const live = pids.filter(isProcessAlive);
  if (live.length === 0) return;
  for (const pid of live) signal(pid, 'SIGTERM');
  if (await waitForExit(live, graceMs)) return;
  for (const pid of live) signal(pid, 'SIGKILL');
  await waitForExit(live, 5_000);
}
