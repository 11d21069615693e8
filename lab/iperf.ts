/**
 * One iperf3 test between two network namespaces: a one-off server in the destination, the
 * client in the source, the client's --json summary.
 *
 * iperf3 3.12 (Debian 12) opens a UDP test with a 4-byte datagram each way and waits for the
 * server's one with a blocking recv() and no timeout (esnet/iperf#351, #862; a retry came only in
 * later releases): if either datagram is lost the client hangs for ever. The lab's userspace OVS
 * can drop a packet while its only thread is busy (all the lab's flows start at once on 2 loaded
 * cores), so a client that overruns its test is killed and, when the server's log shows that no
 * data moved (nothing was measured, so nothing is counted twice), run again.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isTelemetryError, TelemetryError } from '../common/errors.js';
import { run } from './exec.js';
import { readPidFile, stopProcesses } from './processes.js';

export interface IperfEndpoint {
  readonly name: string;
  readonly netns: string;
  readonly ip: string;
}

export interface IperfRequest {
  readonly src: IperfEndpoint;
  readonly dst: IperfEndpoint;
  readonly port: number;
  /** UDP datagrams of this many payload bytes; TCP when absent. */
  readonly udpLength?: number;
  /** iperf3 `-b`. */
  readonly bitrate: string;
  readonly seconds: number;
  /** Pid and log files go here. */
  readonly workDir: string;
  /** How long past its test the client may take to report before it counts as hung (default 10 s). */
  readonly reportGraceSeconds?: number;
}

/** iperf3's --json summary fields the lab uses. */
export interface IperfSum {
  readonly bytes: number;
  readonly bits_per_second: number;
  readonly retransmits?: number;
  readonly packets?: number;
  readonly lost_packets?: number;
}

export interface IperfRun {
  readonly sent: IperfSum;
  readonly received: IperfSum;
  readonly localPort: number | null;
  readonly remotePort: number | null;
  /** Seconds since the epoch, of the attempt that ran. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** 1, or more when an attempt measured nothing (its server never listened, or its client hung) and was run again. */
  readonly attempts: number;
}

interface IperfJson {
  start?: { connected?: { local_port: number; remote_port: number }[] };
  end?: { sum_sent?: IperfSum; sum_received?: IperfSum };
  error?: string;
}

export const MAX_IPERF_ATTEMPTS = 3;
const DEFAULT_REPORT_GRACE_S = 10;

/** Wall-clock seconds since the epoch, as the traffic report and IperfRun carry them. */
export const nowSeconds = (): number => Date.now() / 1000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * True when an iperf3 server log shows an interval that moved data ("0.00-1.00 sec 122 KBytes").
 * A server whose handshake reply was lost starts its test anyway and logs empty intervals.
 */
export function serverLogShowsData(log: string): boolean {
  for (const match of log.matchAll(/\d+\.\d+-\d+\.\d+\s+sec\s+([\d.]+)\s+\w*Bytes/g)) {
    if (Number(match[1]) > 0) return true;
  }
  return false;
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A daemon slow to start on a busy machine is waited for, then counted as an attempt that measured nothing. */
const LISTEN_TIMEOUT_MS = 10_000;

async function waitForListener(netns: string, port: number): Promise<void> {
  const deadline = Date.now() + LISTEN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const out = await run('ss', ['-H', '-l', '-n', '-t', `sport = :${port}`], { netns });
    if (out.trim() !== '') return;
    await sleep(20);
  }
  throw new TelemetryError('TIMEOUT', `iperf3 server in ${netns} is not listening on port ${port} after ${LISTEN_TIMEOUT_MS / 1000} s`);
}

async function attempt(request: IperfRequest, serverLog: string): Promise<Omit<IperfRun, 'attempts'>> {
  const { src, dst, port } = request;
  const pidfile = join(request.workDir, `iperf3-${dst.name}-${port}.pid`);
  rmSync(serverLog, { force: true }); // iperf3 appends to its --logfile
  try {
    await run('iperf3', ['-s', '-1', '-D', '-B', dst.ip, '-p', String(port), '-I', pidfile, '--logfile', serverLog], { netns: dst.netns });
    await waitForListener(dst.netns, port);
    const udp = request.udpLength === undefined ? [] : ['-u', '-l', String(request.udpLength)];
    const startedAt = nowSeconds();
    const out = await run(
      'iperf3',
      ['-c', dst.ip, '-B', src.ip, '-p', String(port), '-t', String(request.seconds), '--json', '--connect-timeout', '3000', ...udp, '-b', request.bitrate],
      { netns: src.netns, timeoutMs: (request.seconds + (request.reportGraceSeconds ?? DEFAULT_REPORT_GRACE_S)) * 1000 },
    );
    const endedAt = nowSeconds();
    const result = JSON.parse(out) as IperfJson;
    const sent = result.end?.sum_sent;
    const received = result.end?.sum_received;
    if (result.error !== undefined || sent === undefined || received === undefined) {
      throw new TelemetryError('LAB', `iperf3 ${src.name} -> ${dst.name} reported no result: ${result.error ?? out.slice(0, 200)}`);
    }
    const connection = result.start?.connected?.[0];
    return { sent, received, localPort: connection?.local_port ?? null, remotePort: connection?.remote_port ?? null, startedAt, endedAt };
  } finally {
    const pid = readPidFile(pidfile);
    if (pid !== null) await stopProcesses([pid], 1_000);
  }
}

export async function runIperf(request: IperfRequest): Promise<IperfRun> {
  for (let attempts = 1; ; attempts++) {
    const serverLog = join(request.workDir, `iperf3-${request.dst.name}-${request.port}-${attempts}.log`);
    try {
      return { ...(await attempt(request, serverLog)), attempts };
    } catch (err) {
      const log = readLog(serverLog);
      // A server that never listened or a client that hung before any data moved measured nothing.
      const measuredNothing = isTelemetryError(err, 'TIMEOUT') && !serverLogShowsData(log);
      if (!measuredNothing || attempts >= MAX_IPERF_ATTEMPTS) {
        const why = measuredNothing ? `it measured nothing ${attempts} times (a server that never listened, or lost handshake datagrams)` : 'it failed';
        throw new TelemetryError('LAB', `iperf3 ${request.src.name} -> ${request.dst.name} port ${request.port}: ${why}; server log: ${log.trim().slice(-400) || '(empty)'}`, {
          cause: err,
        });
      }
    }
  }
}
