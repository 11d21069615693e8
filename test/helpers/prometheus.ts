/**
 * A real Prometheus (Debian's prometheus) for tests: the given config in a temp dir, TSDB there,
 * web UI/API on a free 127.0.0.1 port, stopped by PID (and by a watchdog if the test process dies).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantQuery, startServer, type Server } from './metrics-stores.js';
import { freeTcpPort } from './ovsdb-server.js';

export interface PromTarget {
  readonly labels: Record<string, string>;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
  readonly scrapeUrl: string;
}

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface Prometheus extends Server {
  query(expr: string): Promise<PromSample[]>;
  targets(): Promise<PromTarget[]>;
}

/** Starts Prometheus with `config` (prometheus.yml text). */
export async function startPrometheus(config: string): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-test-'));
  const port = await freeTcpPort();
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const url = `http://127.0.0.1:${port}`;
  const server = await startServer('prometheus', [
    `--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], dir, url, '/-/ready');
  return {
    ...server,
    async query(expr) {
      return (await instantQuery(url, expr)).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const body = (await (await fetch(`${url}/api/v1/targets`)).json()) as { status: string; data: { activeTargets: PromTarget[] }; error?: string };
      if (body.status !== 'success') throw new Error(`prometheus targets: ${body.error}`);
      return body.data.activeTargets;
    },
  };
}
