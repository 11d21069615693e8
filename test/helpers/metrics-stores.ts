/**
 * The scale-out and alerting side of Prometheus for tests (Debian's packages): Prometheus in
 * agent mode, VictoriaMetrics and Alertmanager, each with a generated config in a temp dir, on a
 * free 127.0.0.1 port, stopped by PID (a watchdog kills it if the test process dies first).
 * A Prometheus server is in prometheus.ts (on startServer below).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freeTcpPort } from './ovsdb-server.js';

export interface Server {
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  /** The last 4 kB the process wrote to stderr. */
  stderr(): string;
  /** SIGTERM (SIGKILL after 5 s), then the temp dir is removed. Safe to call twice. */
  stop(): Promise<void>;
}

/** Kills `pid` when this test process is gone without stopping it (vitest runs no exit handlers). */
function watchdog(pid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null`;
  spawn('sh', ['-c', script], { stdio: 'ignore', detached: true }).unref();
}

/** Starts `command` and waits until `url + readyPath` answers 200 (20 s at most). */
export async function startServer(command: string, args: readonly string[], dir: string, url: string, readyPath: string): Promise<Server> {
  let stderr = '';
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${command} did not start`);
  watchdog(pid);
  let stopped = false;
  const server: Server = {
    url,
    dir,
    pid,
    stderr: () => stderr,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => process.kill(pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}${readyPath}`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await server.stop();
      throw new Error(`${command} not ready on ${url}${readyPath}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One sample of an instant-query result. */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** An instant query on a Prometheus-compatible API; throws with the server's error text. */
export async function instantQuery(url: string, expr: string): Promise<PromSample[]> {
  const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await res.json()) as { status: string; data?: { result: PromSample[] }; errorType?: string; error?: string };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.errorType}: ${body.error}`);
  return body.data!.result;
}

/** Prometheus in agent mode (scrapes and remote-writes; no queries, no rules) with `config`. */
export async function startPrometheusAgent(config: unknown): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-agent-test-'));
  const port = await freeTcpPort();
  const file = join(dir, 'agent.yml');
  await writeFile(file, stringify(config));
  const args = [`--config.file=${file}`, '--enable-feature=agent', `--storage.agent.path=${dir}/wal`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'];
  return startServer('prometheus', args, dir, `http://127.0.0.1:${port}`, '/-/ready');
}

export interface Alertmanager extends Server {
  /** POST /api/v2/alerts. */
  postAlerts(alerts: readonly { labels: Record<string, string>; annotations?: Record<string, string>; startsAt?: string; endsAt?: string }[]): Promise<void>;
}

export async function startAlertmanager(config: unknown): Promise<Alertmanager> {
  const dir = await mkdtemp(join(tmpdir(), 'alertmanager-test-'));
  const port = await freeTcpPort();
  const file = join(dir, 'alertmanager.yml');
  await writeFile(file, stringify(config));
  const url = `http://127.0.0.1:${port}`;
  // An empty cluster address turns the gossip listener (a fixed port 9094) off.
  const args = [`--config.file=${file}`, `--storage.path=${dir}/data`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'];
  const server = await startServer('prometheus-alertmanager', args, dir, url, '/-/ready');
  return {
    ...server,
    async postAlerts(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
      if (!res.ok) throw new Error(`POST /api/v2/alerts: HTTP ${res.status} ${await res.text()}`);
    },
  };
}

export interface VictoriaMetrics extends Server {
  /** Where Prometheus remote-writes to. */
  readonly writeUrl: string;
  query(expr: string): Promise<PromSample[]>;
}

export async function startVictoriaMetrics(): Promise<VictoriaMetrics> {
  const dir = await mkdtemp(join(tmpdir(), 'victoria-metrics-test-'));
  const port = await freeTcpPort();
  const url = `http://127.0.0.1:${port}`;
  // By default VictoriaMetrics hides the last 30 s of samples from queries (search.latencyOffset).
  const args = [`-storageDataPath=${dir}/data`, `-httpListenAddr=127.0.0.1:${port}`, '-search.latencyOffset=0s', '-loggerLevel=WARN'];
  const server = await startServer('victoria-metrics', args, dir, url, '/health');
  return {
    ...server,
    writeUrl: `${url}/api/v1/write`,
    query: (expr) => instantQuery(url, expr),
  };
}
