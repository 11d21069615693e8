/**
 * A real InfluxDB 1.x (Debian's influxdb) for tests: a generated config in a temp dir (meta, data
 * and WAL there, HTTP and RPC bound to free 127.0.0.1 ports, reporting disabled), started as a
 * child process, stopped and started again on the same data, queried over its HTTP API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from './ovsdb-server.js';

export interface InfluxSeries {
  readonly name: string;
  readonly tags: Record<string, string>;
  readonly columns: string[];
  readonly values: unknown[][];
}

export interface Influxd {
  readonly url: string;
  readonly dir: string;
  readonly pid: number | undefined;
  /** Runs InfluxQL (GET for SELECT/SHOW, POST otherwise) and returns the first statement's series. */
  query(q: string, db?: string): Promise<InfluxSeries[]>;
  /** SIGTERM and wait for the exit; data stays for start(). */
  halt(): Promise<void>;
  /** Starts (again) on the same data and ports; resolves once /ping answers. */
  start(): Promise<void>;
  /** Stops the server and removes its dir. */
  stop(): Promise<void>;
}

/** Kills `pid` when this test process is gone without stopping it (vitest runs no exit handlers). */
function watchdog(pid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null`;
  spawn('sh', ['-c', script], { stdio: 'ignore', detached: true }).unref();
}

export async function startInfluxd(): Promise<Influxd> {
  const dir = await mkdtemp(join(tmpdir(), 'influxd-test-'));
  const httpPort = await freeTcpPort();
  const rpcPort = await freeTcpPort();
  const config = join(dir, 'influxdb.conf');
  await writeFile(config, `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
  logging-enabled = false
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
[logging]
  level = "warn"
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
`);
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | undefined;
  let stderr = '';

  const ping = async (): Promise<boolean> => {
    try {
      return (await fetch(`${url}/ping`)).status === 204;
    } catch {
      return false;
    }
  };

  const server: Influxd = {
    url,
    dir,
    get pid() {
      return child?.pid;
    },
    async query(q, db) {
      const params = new URLSearchParams({ q, epoch: 'ms' });
      if (db !== undefined) params.set('db', db);
      const read = /^\s*(SELECT|SHOW)/i.test(q);
      const res = await fetch(read ? `${url}/query?${params}` : `${url}/query`, read ? {} : { method: 'POST', body: params });
      const body = (await res.json()) as { results?: { series?: InfluxSeries[]; error?: string }[]; error?: string };
      const first = body.results?.[0];
      if (!res.ok || body.error || first?.error) throw new Error(`InfluxQL ${q}: ${body.error ?? first?.error ?? res.status}`);
      return (first?.series ?? []).map((s) => ({ ...s, tags: s.tags ?? {} }));
    },
    async halt() {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    async start() {
      stderr = '';
      const c = spawn('influxd', ['run', '-config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      c.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child = c;
      if (c.pid !== undefined) watchdog(c.pid);
      const deadline = Date.now() + 20_000;
      while (!(await ping())) {
        if (c.exitCode !== null) throw new Error(`influxd exited (${c.exitCode}): ${stderr}`);
        if (Date.now() > deadline) throw new Error(`influxd did not answer /ping within 20 s: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      await server.halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
