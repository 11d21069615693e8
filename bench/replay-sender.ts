/**
 * The replay sender of the ingest benchmarks: replay-sender.c, compiled at bench time with the
 * machine's `cc -O2` into a temp dir, sends a ReplayStream's datagrams with sendmmsg(2) at a
 * paced rate. One Node process could not: without sendmmsg it ran out of CPU near 160k
 * datagrams/s, below what a bare Node receive loop takes, so it hid the ceiling it was to find.
 *
 * This side turns the stream into the C program's table (the capture's datagrams and, per
 * continuity field, where it is and how far it moves per pass) and speaks its line protocol.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { repoRoot } from './ovs-lab.js';
import type { ReplayEntry } from './replay-stream.js';

export interface ReplayCommand {
  readonly port: number;
  /** Datagrams per second. */
  readonly rate: number;
  readonly seconds: number;
}

export interface ReplayResult {
  readonly sent: number;
  /** Whole passes over the capture: sent = passes x datagrams per pass. */
  readonly passes: number;
  /** From the first send to the return of the last (achieved rate = sent / elapsed). */
  readonly elapsedMs: number;
}

/** "OTRS" as a little-endian u32 (replay-sender.c's MAGIC). */
const MAGIC = 0x5352544f;

/** The table replay-sender.c reads (its header comment has the layout). */
export function encodeReplayTable(entries: readonly ReplayEntry[], sources: number): Buffer {
  const words = (n: number) => 4 * n;
  const size = entries.reduce((n, e) => n + words(3 + 3 * e.patches.length) + ((e.payload.length + 3) & ~3), words(3));
  const out = Buffer.alloc(size);
  let o = out.writeUInt32LE(MAGIC, 0);
  o = out.writeUInt32LE(entries.length, o);
  o = out.writeUInt32LE(sources, o);
  for (const e of entries) {
    o = out.writeUInt32LE(e.source, o);
    o = out.writeUInt32LE(e.payload.length, o);
    o = out.writeUInt32LE(e.patches.length, o);
    for (const p of e.patches) {
      o = out.writeUInt32LE(p.offset, o);
      o = out.writeUInt32LE(p.base, o);
      o = out.writeUInt32LE(p.perPass, o);
    }
    out.set(e.payload, o);
    o += (e.payload.length + 3) & ~3;
  }
  return out;
}

/** Compiles replay-sender.c into `dir`; a missing compiler is said plainly, not as a spawn error. */
function compile(dir: string): string {
  const binary = path.join(dir, 'replay-sender');
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', binary, path.join(repoRoot(), 'bench', 'replay-sender.c'), '-lm'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error('the ingest benchmarks need a C compiler: `cc` is not on PATH (Debian: apt-get install gcc)', { cause: err });
    throw new Error(`cc could not compile replay-sender.c: ${String((err as { stderr?: Buffer }).stderr ?? err)}`, { cause: err });
  }
  return binary;
}

export class ReplaySender {
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dir: string,
  ) {
    this.lines = createInterface({ input: child.stdout });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
    child.stderr.pipe(process.stderr);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Compiles the sender and starts it on the stream `entries` (a ReplayStream's) from `sources` sockets. */
  static start(entries: readonly ReplayEntry[], sources: number): ReplaySender {
    const dir = mkdtempSync(path.join(tmpdir(), 'otl-replay-'));
    try {
      const binary = compile(dir);
      const table = path.join(dir, 'stream.table');
      writeFileSync(table, encodeReplayTable(entries, sources));
      return new ReplaySender(spawn(binary, [table], { stdio: ['pipe', 'pipe', 'pipe'] }), dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Sends whole passes, rate x seconds datagrams rounded, continuing the stream of `port`. */
  replay(cmd: ReplayCommand): Promise<ReplayResult> {
    return new Promise((resolve, reject) => {
      if (this.child.exitCode !== null) return reject(new Error(`replay sender exited with ${this.child.exitCode}`));
      const onExit = () => reject(new Error('replay sender exited during a replay'));
      this.child.once('exit', onExit);
      this.waiting.push((line) => {
        this.child.off('exit', onExit);
        const [sent, passes, elapsedUs] = line.split(' ').map(Number);
        resolve({ sent, passes, elapsedMs: elapsedUs / 1000 });
      });
      this.child.stdin.write(`${cmd.port} ${cmd.rate} ${cmd.seconds}\n`);
    });
  }

  /** Ends the sender (EOF on its commands) and removes its temp dir. */
  async stop(): Promise<void> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
    this.lines.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
