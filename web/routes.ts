/**
 * The topology page's routes on the collector's HTTP server (same TLS and auth as /metrics):
 * `/` (the page), `/api/topology` (its JSON) and `/assets/…` (its scripts, stylesheet and
 * cytoscape from node_modules). The page's scripts are read once, at start: compiled JavaScript
 * next to this module when running from dist (`npm run build` compiles web/page/), else the
 * TypeScript sources with their types stripped (Node's stripTypeScriptTypes; the page uses
 * erasable syntax only), so the page also works when the CLI runs from source.
 */
import { existsSync, readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Topology } from '../collector/topology/types.js';
import type { HttpRoute } from '../exporters/prometheus/server.js';
import { PAGE_CSP, PAGE_CSS, pageHtml } from './html.js';

/** The page's modules (web/page/NAME.ts), served as /assets/NAME.js. */
const PAGE_MODULES = ['topology', 'layout', 'style'] as const;

export interface TopologyPageOptions {
  readonly title: string;
  readonly telemetryPath: string;
  readonly topology: () => Topology;
}

/** Compiled next to this module (dist), else the sources beside it (source) or in the tree (dist without the page build). */
function pageModule(name: string): string {
  const here = import.meta.dirname;
  const candidates = [join(here, 'page', `${name}.js`), join(here, 'page', `${name}.ts`), join(here, '..', '..', 'web', 'page', `${name}.ts`)];
  const file = candidates.find((f) => existsSync(f));
  if (file === undefined) throw new Error(`topology page module ${name} not found (looked for ${candidates.join(', ')})`);
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.ts') ? stripTypeScriptTypes(text) : text;
}

function asset(contentType: string, body: string): HttpRoute {
  const headers = { 'content-type': contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
  return (_req, res) => void res.writeHead(200, headers).end(body);
}

export function topologyRoutes(opts: TopologyPageOptions): Map<string, HttpRoute> {
  const routes = new Map<string, HttpRoute>();
  const html = pageHtml(opts.title, opts.telemetryPath);
  routes.set('/', (_req, res) => void res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  }).end(html));
  routes.set('/api/topology', (_req, res) => void res.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  }).end(JSON.stringify(opts.topology())));
  routes.set('/assets/topology.css', asset('text/css; charset=utf-8', PAGE_CSS));
  for (const name of PAGE_MODULES) routes.set(`/assets/${name}.js`, asset('text/javascript; charset=utf-8', pageModule(name)));
  const cytoscape = fileURLToPath(import.meta.resolve('cytoscape/dist/cytoscape.esm.min.mjs'));
  routes.set('/assets/cytoscape.mjs', asset('text/javascript; charset=utf-8', readFileSync(cytoscape, 'utf8')));
  return routes;
}
