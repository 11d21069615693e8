/**
 * UDP ingest on loopback, the method every ingest benchmark shares: a replay sender process
 * (replay-sender.ts, sendmmsg in C) sends a capture as one unbroken stream at a paced rate, and for each
 * receiver the highest rate with no loss is searched by steps. A trial is loss-free when,
 * within SETTLE_LIMIT_MS of the last datagram sent, the receiver has accounted for everything
 * sent (what it counts: datagrams decoded, or for pmacct the flows its memory plugin holds),
 * saw no gap in sequence numbers, and the kernel dropped nothing on its socket
 * (/proc/net/udp). The settle limit keeps a large internal queue from passing for speed: a
 * receiver that only catches up seconds later was not keeping up.
 *
 * Receivers, all searched in turn in the same run: ovs-telemetry's listener with its whole
 * pipeline, a bare node:dgram receive loop that only counts (the issue's "ceiling for our
 * runtime"), pmacct's daemon (memory plugin) in two configurations, and a bare loop on the
 * native batch socket the listeners receive with (the ceiling of that path). All get the same receive buffer
 * and run with the collector's V8 flags where they are Node. The machine has 2 cores: the
 * sender takes one, the receiver (pmacct: core and plugin processes) the other.
 *
 * On a shared machine the loss-free rate measures stalls as much as speed (a receiver that is
 * not scheduled for 0.25 s overflows its 8 MiB buffer at 15k datagrams/s), so each receiver is
 * also saturated and what it accounts is divided by its CPU time: the receivers' own costs.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProcNetUdp } from '../collector/udp/udp-stats.js';
import type { ReceiverStats } from './ingest-receiver.js';
import { STREAMS, type StreamName } from './ingest-streams.js';
import { ReplaySender, type ReplayCommand, type ReplayResult } from './replay-sender.js';
import { freeUdpPort } from '../test/helpers/ovsdb-server.js';

/** The V8 flags cli/main.ts sets for the collector. */
export const COLLECTOR_V8_FLAGS = ['--optimize-for-size'];
/** Asked for by every receiver (the kernel caps it at net.core.rmem_max). */
export const RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;
const TRIAL_SECONDS = 4;
/** Everything must be accounted for this soon after the last datagram (see above). */
const SETTLE_LIMIT_MS = 500;
const POLL_MS = 100;
const START_RATE = 10_000;
const MAX_TRIALS = 20;
const WARM_UP_RATE = 5_000;
/** A rate is lossy when every one of these trials at it loses. */
const TRIES_PER_RATE = 2;
/** Stop refining when the lowest lossy rate is within this factor of the highest loss-free one. */
const RESOLUTION = 1.08;

export interface Receiver {
  readonly name: string;
  readonly port: number;
  /** The receiver's process; its CPU time is counted with its descendants' (pmacct's plugins). */
  readonly pid: number;
  /** What the receiver has accounted for so far, and datagrams it saw missing from sequence numbers. */
  stats(): Promise<ReceiverStats>;
  /** What it should account for after a replay. */
  expected(replay: ReplayResult): number;
  /** Pushes what the receiver buffers internally through to its count, until `deadline` (ms). */
  flush?(deadline: number): Promise<void>;
  stop(): Promise<void>;
}

export interface Trial {
  readonly rate: number;
  readonly achieved: number;
  readonly sent: number;
  /** Accounted for within the settle limit, and in all once the count stopped moving. */
  readonly counted: number;
  readonly countedLate: number;
  readonly expected: number;
  readonly kernelDrops: number;
  readonly ok: boolean;
}

export function sibling(name: string): string {
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), `${name}${path.extname(here)}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function request<T>(child: ChildProcess, message: object): Promise<T> {
  return new Promise<T>((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(message);
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(3000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Kernel drops of the UDP socket bound to `port` on 127.0.0.1 (whichever process holds it). */
function kernelDrops(port: number): number {
  let drops = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const row of parseProcNetUdp(readFileSync(file, 'latin1'))) if (row.localPort === port) drops += row.drops;
  }
  return drops;
}

const CLOCK_TICKS = 100; // USER_HZ of /proc/PID/stat on Linux

/** CPU seconds (user + system) of process `root` and its descendants so far, from /proc. */
export function treeCpuSeconds(root: number): number {
  const stats = new Map<number, { parent: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // proc(5): after the command name's ")", field 3 (state) on: ppid is field 4, utime 14, stime 15.
      const f = readFileSync(`/proc/${entry}/stat`, 'latin1').split(') ').pop()!.split(' ');
      stats.set(Number(entry), { parent: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // exited between readdir and read
    }
  }
  let ticks = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.parent === pid) pending.push(child);
  }
  return ticks / CLOCK_TICKS;
}

/** The receive buffer the kernel accounts for the socket on `port` (ss skmem rb). */
export function receiveBuffer(port: number): number {
  const out = execFileSync('ss', ['-H', '-u', '-a', '-n', '-m', `sport = :${port}`], { encoding: 'utf8' });
  const m = /rb(\d+)/.exec(out);
  return m ? Number(m[1]) : 0;
}

/** A Node receiver (ingest-receiver.ts) in its own process, with the collector's V8 flags. */
export async function nodeReceiver(mode: string, name: string): Promise<Receiver> {
  const child = fork(sibling('ingest-receiver'), [mode, String(RECEIVE_BUFFER_BYTES)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: COLLECTOR_V8_FLAGS,
  });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  return {
    name,
    port,
    pid: child.pid!,
    stats: () => request<ReceiverStats>(child, { cmd: 'stats' }),
    expected: (replay) => replay.sent,
    stop: () => stopChild(child),
  };
}

// ------------------------------------------------------------------ pmacct

/** Flows in the memory table marked as the flush stream's: sent from this address. */
export const FLUSH_SOURCE = '10.255.0.1';
const FLUSH_BATCH = 40;

/**
 * How pmacct is run. `debian`: what Debian's packaged sfacctd.conf / nfacctd.conf set for
 * this (aggregate: src_host,dst_host; no plugin named, so the memory plugin) with pmacct's
 * defaults for the core → plugin queue (plugin_pipe_size 4 MB, no plugin_buffer_size).
 * `buffered`: the same plus the buffering CONFIG-KEYS recommends for heavy traffic,
 * plugin_buffer_size : plugin_pipe_size = 1 : 1000 (64 KB : 64 MB).
 */
export type PmacctProfile = 'debian' | 'buffered';

export interface PmacctOptions {
  readonly daemon: 'sfacctd' | 'nfacctd';
  readonly profile: PmacctProfile;
  /** The socket receive buffer to ask for (sfacctd_pipe_size / nfacctd_pipe_size). */
  readonly socketBuffer: number;
  /** Datagram n of the flush stream: flows from FLUSH_SOURCE, never part of the replay. */
  readonly flushDatagram: (n: number) => Buffer;
}

/**
 * The absolute path of a program on PATH, looked up once: `pmacct -s` runs every 50 ms, and
 * execvp stops at the first odd PATH entry (a run died of ELOOP from a shims directory).
 */
const executables = new Map<string, string>();
function executable(name: string): string {
  let found = executables.get(name);
  if (found === undefined) {
    found = (process.env.PATH ?? '').split(':').map((dir) => path.join(dir, name)).find((file) => existsSync(file));
    if (found === undefined) throw new Error(`${name} is not on PATH (Debian: apt-get install pmacct)`);
    executables.set(name, found);
  }
  return found;
}

/** The memory table as `pmacct -s` prints it (aggregate src_host,dst_host): packets from the replay, and from the flush stream. */
function pmacctCounts(pipe: string): { real: number; flush: number } {
  const out = execFileSync(executable('pmacct'), ['-p', pipe, '-s'], { encoding: 'utf8' });
  let real = 0;
  let flush = 0;
  for (const line of out.split('\n')) {
    const m = /^(\S+)\s+\S+\s+(\d+)\s+\d+\s*$/.exec(line);
    if (m === null) continue;
    if (m[1] === FLUSH_SOURCE) flush += Number(m[2]);
    else real += Number(m[2]);
  }
  return { real, flush };
}

export interface PmacctReceiver extends Receiver {
  /** Sets what pmacct accounts per pass over the capture (from a slow trial). */
  calibrate(perPass: number): void;
  /** Lines of pmacct's log saying its core → plugin queue overflowed. */
  overflowWarnings(): number;
}

export async function pmacctReceiver(o: PmacctOptions): Promise<PmacctReceiver> {
  const dir = mkdtempSync(path.join(tmpdir(), `otl-${o.daemon}-`));
  const port = await freeUdpPort();
  const pipe = path.join(dir, 'memory.pipe');
  const log = path.join(dir, `${o.daemon}.log`);
  const config = path.join(dir, `${o.daemon}.conf`);
  const prefix = o.daemon === 'sfacctd' ? 'sfacctd' : 'nfacctd';
  const lines = [
    'daemonize: false',
    `${prefix}_ip: 127.0.0.1`,
    `${prefix}_port: ${port}`,
    `${prefix}_pipe_size: ${o.socketBuffer}`,
    'aggregate: src_host,dst_host',
    `imt_path: ${pipe}`,
    `logfile: ${log}`,
  ];
  if (o.profile === 'buffered') lines.push('plugin_buffer_size: 65536', 'plugin_pipe_size: 67108864');
  writeFileSync(config, lines.join('\n') + '\n');
  const child = spawn(executable(o.daemon), ['-f', config], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(existsSync(log) && /waiting for .* data/.test(readFileSync(log, 'utf8')) && existsSync(pipe))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${o.daemon} did not start (see ${log})`);
    await sleep(100);
  }
  const flusher = createSocket('udp4');
  let flushed = 0;
  let perPass = 0;
  return {
    name: `${o.daemon} (${o.profile})`,
    port,
    pid: child.pid!,
    stats: async () => ({ decoded: pmacctCounts(pipe).real, lost: 0 }),
    // The core hands flows to the plugin a buffer at a time: flush flows sent after the
    // replay push everything before them through (the queue is first in, first out).
    async flush(until) {
      const before = pmacctCounts(pipe).flush;
      do {
        for (let i = 0; i < FLUSH_BATCH; i++) flusher.send(o.flushDatagram(++flushed), port, '127.0.0.1');
        await sleep(POLL_MS);
      } while (pmacctCounts(pipe).flush === before && Date.now() < until);
    },
    expected: (replay) => perPass * replay.passes,
    calibrate: (n) => void (perPass = n),
    overflowWarnings: () => (readFileSync(log, 'utf8').match(/missing data/gi) ?? []).length,
    async stop() {
      flusher.close();
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ trials and the search

/** Pushes through what `r` buffers and waits until its count stops moving; its stats then. */
async function quiesce(r: Receiver): Promise<ReceiverStats> {
  await r.flush?.(Date.now() + 10_000);
  let last = await r.stats();
  for (;;) {
    await sleep(3 * POLL_MS);
    const next = await r.stats();
    if (next.decoded === last.decoded) return last;
    last = next;
  }
}

async function trial(sender: ReplaySender, r: Receiver, rate: number): Promise<Trial & { replay: ReplayResult }> {
  const [before, drops0] = [await r.stats(), kernelDrops(r.port)];
  const replay = await sender.replay({ port: r.port, rate, seconds: TRIAL_SECONDS });
  const limit = Date.now() + SETTLE_LIMIT_MS;
  const expected = r.expected(replay);
  await r.flush?.(limit);
  let now = await r.stats();
  while (now.decoded - before.decoded < expected && Date.now() < limit) {
    await sleep(POLL_MS / 2);
    now = await r.stats();
  }
  const counted = now.decoded - before.decoded;
  // Then until the count stops moving: what came late, and what never came.
  const last = await quiesce(r);
  const drops = kernelDrops(r.port) - drops0;
  return {
    rate,
    achieved: Math.round(replay.sent / (replay.elapsedMs / 1000)),
    sent: replay.sent,
    counted,
    countedLate: last.decoded - before.decoded,
    expected,
    kernelDrops: drops,
    ok: counted === expected && last.decoded - before.decoded === expected && drops === 0 && last.lost === before.lost,
    replay,
  };
}

/**
 * One receiver's search for its highest loss-free rate: up by 1.5x until a loss, then halving
 * the interval. A lossy rate is tried again (up to TRIES_PER_RATE): on a shared machine one
 * stall of the receiver's core is not its capacity.
 */
class RateSearch {
  readonly trials: Trial[] = [];
  good = 0;
  senderLimited = false;
  private bad = Infinity;
  private rate = START_RATE;
  private tries = 0;
  private done = false;

  constructor(readonly receiver: Receiver) {}

  /** The next rate to try, or null when the search is over. */
  next(): number | null {
    return this.done || this.trials.length >= MAX_TRIALS ? null : this.rate;
  }

  record(t: Trial): void {
    this.trials.push(t);
    this.tries++;
    const verdict = t.ok ? 'no loss' : t.countedLate === t.expected && t.kernelDrops === 0 ? 'LATE' : 'LOSS';
    process.stderr.write(
      `  ${this.receiver.name}: ${t.rate}/s -> sent ${t.sent} at ${t.achieved}/s, counted ${t.counted} in time, ${t.countedLate} in all, of ${t.expected}, kernel drops ${t.kernelDrops}: ${verdict}\n`,
    );
    if (!t.ok && this.tries < TRIES_PER_RATE) return;
    this.tries = 0;
    if (t.ok) this.good = Math.max(this.good, t.achieved);
    else this.bad = Math.min(this.bad, t.rate);
    if (t.ok && t.achieved < 0.9 * t.rate) {
      // The sender cannot go faster: what the receiver took is a lower bound.
      this.senderLimited = true;
      this.done = true;
    } else if (this.bad !== Infinity && this.good > 0 && this.bad / this.good < RESOLUTION) {
      this.done = true;
    }
    this.rate = Math.round(this.bad === Infinity ? t.rate * 1.5 : this.good > 0 ? (this.good + this.bad) / 2 : this.bad / 2);
  }
}

export interface SearchResult {
  readonly name: string;
  /** Highest loss-free datagrams/s (0 when none was). */
  readonly rate: number;
  readonly senderLimited: boolean;
  readonly trials: readonly Trial[];
}

/** A sender process for `stream`. */
export function startSender(name: StreamName): ReplaySender {
  const stream = STREAMS[name]();
  return ReplaySender.start(stream.entries(), stream.sources);
}

/** A slow trial: what `r` accounts per pass over the capture. */
export async function perPass(sender: ReplaySender, r: Receiver): Promise<number> {
  const t = await trial(sender, { ...r, expected: () => 0 }, 1000);
  if (t.countedLate % t.replay.passes !== 0) throw new Error(`${r.name} counted ${t.countedLate} in ${t.replay.passes} passes at 1000/s`);
  return t.countedLate / t.replay.passes;
}

/**
 * Searches every receiver, one trial each in turn, so that a change in the machine's load
 * (it is shared) falls on all of them alike rather than on whichever runs last.
 */
export async function searchAll(sender: ReplaySender, receivers: readonly Receiver[]): Promise<SearchResult[]> {
  for (const r of receivers) {
    // Warm-up (the JIT of a Node receiver): not measured.
    await sender.replay({ port: r.port, rate: WARM_UP_RATE, seconds: TRIAL_SECONDS / 2 } satisfies ReplayCommand);
    await r.flush?.(Date.now() + 10_000);
  }
  await sleep(500);
  const searches = receivers.map((r) => new RateSearch(r));
  for (;;) {
    const active = searches.filter((search) => search.next() !== null);
    if (active.length === 0) break;
    for (const search of active) {
      const t = await trial(sender, search.receiver, search.next()!);
      search.record(t);
      // Datagrams lost at the end of a trial show as a sequence gap only when the next one
      // arrives: one pass at a slow rate takes that gap out of the next measured trial.
      if (!t.ok) {
        await sender.replay({ port: search.receiver.port, rate: WARM_UP_RATE, seconds: 0.01 });
        await quiesce(search.receiver);
      }
    }
  }
  return searches.map((s) => ({ name: s.receiver.name, rate: s.good, senderLimited: s.senderLimited, trials: s.trials }));
}

/** Offered far above what any receiver takes (the sender's own ceiling), for this long. */
const SATURATION_RATE = 1_000_000;
const SATURATION_SECONDS = 0.5;
const SATURATION_ROUNDS = 2;

/**
 * Datagrams `r` accounts per CPU second of its processes when it is never idle: offered more
 * than it takes, the kernel dropping the rest. Unlike the loss-free rate this hardly depends on
 * what else the shared machine runs, so it shows the receivers' own costs side by side. 0 when
 * the kernel dropped nothing: then the receiver was not saturated and the figure would flatter it.
 */
async function perCpuSecond(sender: ReplaySender, r: Receiver): Promise<{ perCpuSecond: number; sent: number; saturated: boolean }> {
  const [before, drops] = [await r.stats(), kernelDrops(r.port)];
  const cpu = treeCpuSeconds(r.pid);
  const replay = await sender.replay({ port: r.port, rate: SATURATION_RATE, seconds: SATURATION_SECONDS });
  const after = await quiesce(r);
  const sent = Math.round(replay.sent / (replay.elapsedMs / 1000));
  // pmacct accounts flows, not datagrams: scaled by what a loss-free replay would account.
  const datagrams = ((after.decoded - before.decoded) * replay.sent) / r.expected(replay);
  // A receiver that kept up with the sender was idle part of the time: its figure is a floor.
  return { perCpuSecond: Math.round(datagrams / (treeCpuSeconds(r.pid) - cpu)), sent, saturated: kernelDrops(r.port) !== drops };
}

export interface CpuSecondFigure {
  readonly perCpuSecond: number;
  /** False when the sender never outran the receiver: the figure is then "at least". */
  readonly saturated: boolean;
}

/** "12345" or "12345 (never saturated: at least)". */
export function cpuText(f: CpuSecondFigure): string {
  return `${f.perCpuSecond}${f.saturated ? '' : ' (never saturated: at least)'}`;
}

/**
 * The best of SATURATION_ROUNDS per receiver, the receivers taking turns, and the highest rate
 * the sender reached meanwhile (its ceiling on this machine as loaded). Saturated trials count
 * first; a receiver the sender never saturated gets the best of its unsaturated ones.
 */
export async function perCpuSecondAll(sender: ReplaySender, receivers: readonly Receiver[]): Promise<{ best: CpuSecondFigure[]; senderMax: number }> {
  const best: CpuSecondFigure[] = receivers.map(() => ({ perCpuSecond: 0, saturated: false }));
  let senderMax = 0;
  for (let round = 0; round < SATURATION_ROUNDS; round++) {
    for (const [i, r] of receivers.entries()) {
      const t = await perCpuSecond(sender, r);
      const b = best[i];
      if ((t.saturated && !b.saturated) || (t.saturated === b.saturated && t.perCpuSecond > b.perCpuSecond)) best[i] = t;
      senderMax = Math.max(senderMax, t.sent);
      process.stderr.write(`  ${r.name}: ${t.saturated ? 'saturated' : 'kept up'} (sender at ${t.sent}/s), ${t.perCpuSecond} datagrams per CPU second\n`);
    }
  }
  return { best, senderMax };
}

/** "12345" or "12345 (sender-limited: at least)". */
export function rateText(r: SearchResult): string {
  return `${r.rate}${r.senderLimited ? ' (sender-limited: at least)' : ''}`;
}

// ------------------------------------------------------------------ the comparison

export interface IngestComparison {
  readonly stream: StreamName;
  /** The ingest-receiver.ts mode of ovs-telemetry's listener for this stream. */
  readonly listenerMode: string;
  readonly daemon: PmacctOptions['daemon'];
  readonly flushDatagram: PmacctOptions['flushDatagram'];
}

export interface IngestResult {
  readonly ours: SearchResult;
  readonly figures: Record<string, number | string>;
  readonly goals: { goal: string; met: boolean }[];
}

/**
 * ovs-telemetry's listener, the bare Node loop and pmacct's daemon in both profiles,
 * searched side by side for their loss-free rates, then each one's datagrams per CPU second.
 */
export async function compareIngest(c: IngestComparison): Promise<IngestResult> {
  const sender = startSender(c.stream);
  const stops: (() => Promise<void>)[] = [() => sender.stop()];
  try {
    const listener = await nodeReceiver(c.listenerMode, 'ovs-telemetry');
    stops.push(listener.stop);
    const bare = await nodeReceiver('bare', 'bare Node loop');
    stops.push(bare.stop);
    const rb = receiveBuffer(listener.port);
    const peers: PmacctReceiver[] = [];
    for (const profile of ['debian', 'buffered'] as const) {
      // SO_RCVBUF n gives rb 2n: ask for half of what the Node sockets got.
      const peer = await pmacctReceiver({ daemon: c.daemon, profile, socketBuffer: rb / 2, flushDatagram: c.flushDatagram });
      stops.push(peer.stop);
      peer.calibrate(await perPass(sender, peer));
      peers.push(peer);
    }
    const bareBatch = await nodeReceiver('bare-batch', 'bare recvmmsg loop');
    stops.push(bareBatch.stop);
    const receivers = [listener, bare, ...peers, bareBatch];
    const results = await searchAll(sender, receivers);
    const { best: cpuFigures, senderMax } = await perCpuSecondAll(sender, receivers);
    const cpu = cpuFigures.map((f) => f.perCpuSecond);
    const [ours, floor, debian, buffered, batchFloor] = results;
    const ratio = (a: number, b: number) => (b > 0 ? Number((a / b).toFixed(2)) : 0);
    const figures: Record<string, number | string> = { receive_buffer_bytes: `${rb} (every receiver)` };
    results.forEach((r, i) => {
      const key = r.name.replace(/\W+/g, '_').replace(/_$/, '').toLowerCase(); // "sfacctd (debian)" → sfacctd_debian
      figures[`${key}_lossless_datagrams_per_s`] = rateText(r);
      figures[`${key}_datagrams_per_cpu_second`] = cpuText(cpuFigures[i]);
      const peer = peers[i - 2] as PmacctReceiver | undefined;
      if (peer !== undefined) figures[`${key}_queue_overflow_log_lines`] = peer.overflowWarnings();
    });
    figures[`ratio_vs_${c.daemon}_debian`] = ratio(ours.rate, debian.rate);
    figures[`ratio_vs_${c.daemon}_buffered`] = ratio(ours.rate, buffered.rate);
    figures.ratio_vs_bare_node_loop = ratio(ours.rate, floor.rate);
    figures.ratio_per_cpu_second_vs_bare_node_loop = ratio(cpu[0], cpu[1]);
    figures.ratio_vs_bare_recvmmsg_loop = ratio(ours.rate, batchFloor.rate);
    figures.ratio_per_cpu_second_vs_bare_recvmmsg_loop = ratio(cpu[0], cpu[4]);
    figures[`ratio_per_cpu_second_vs_${c.daemon}_debian_buffered`] = `${ratio(cpu[0], cpu[2])} / ${ratio(cpu[0], cpu[3])}`;
    figures.sender_ceiling_datagrams_per_s = senderMax;
    return {
      ours,
      figures,
      goals: [
        // The peer: pmacct as packaged, which "loses samples inside its own pipeline".
        { goal: `loss-free UDP ingest >= 5x ${c.daemon} (Debian's configuration)`, met: ours.rate >= 5 * debian.rate },
        { goal: 'loss-free UDP ingest >= 70% of a bare Node receive loop', met: ours.rate >= 0.7 * floor.rate && !floor.senderLimited },
      ],
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}
