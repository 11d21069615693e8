import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../../collector/topology/types.js';
import { topologyRoutes } from '../../../web/routes.js';

const run = promisify(execFile);

const TOPOLOGY: Topology = {
  generatedAtMs: 1,
  connected: true,
  host: { systemId: 'host-1', ovsVersion: '3.1.0' },
  bridges: [{ name: '<script>alert(1)</script>', datapathType: 'netdev', integration: true }],
  networks: [],
  ports: [],
};

describe('topology page routes', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const routes = topologyRoutes({ title: 'ovs-telemetry <test>', telemetryPath: '/metrics?"x', topology: () => TOPOLOGY });
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://localhost');
      const route = routes.get(u.pathname);
      if (route === undefined) res.writeHead(404).end();
      else void route(req, res, u);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('serves the page with a CSP that admits exactly its import map, and escapes what it prints', async () => {
    const res = await fetch(`${url}/`);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    const importMap = /<script type="importmap">(.*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(JSON.parse(importMap)).toEqual({ imports: { cytoscape: '/assets/cytoscape.mjs' } });
    expect(csp).toContain(`'sha256-${createHash('sha256').update(importMap).digest('base64')}'`);
    expect(csp).toContain("default-src 'self'");
    expect(html).toContain('ovs-telemetry &#60;test&#62;');
    expect(html).toContain('href="/metrics?&#34;x"');
    expect(html).toContain('href="/status"');
  });

  it('serves /api/topology as JSON, uncached', async () => {
    const res = await fetch(`${url}/api/topology`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual(TOPOLOGY);
  });

  it('serves the page modules as JavaScript (types stripped from the sources) and cytoscape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'topology-assets-'));
    try {
      for (const name of ['topology', 'layout', 'style']) {
        const res = await fetch(`${url}/assets/${name}.js`);
        expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        // Valid JavaScript module syntax, no type annotations left (node --check parses without importing).
        writeFileSync(join(dir, `${name}.mjs`), await res.text());
        await run(process.execPath, ['--check', join(dir, `${name}.mjs`)]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const layout = await (await fetch(`${url}/assets/layout.js`)).text();
    expect(layout).toContain('export function layoutTopology(topology');
    expect(layout).not.toContain('topology: Topology');
    const cytoscape = await (await fetch(`${url}/assets/cytoscape.mjs`)).text();
    expect(cytoscape.length).toBeGreaterThan(100_000);
    expect((await fetch(`${url}/assets/topology.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });
});
