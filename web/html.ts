/**
 * The topology page's HTML shell and stylesheet. The graph and everything from OVSDB arrive
 * through /api/topology and are put in place by the page's script (web/page/topology.ts).
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../exporters/prometheus/server.js';

/** Maps the page's bare `cytoscape` import to the copy the collector serves (no CDN, no bundler). */
export const IMPORT_MAP = JSON.stringify({ imports: { cytoscape: '/assets/cytoscape.mjs' } });

/** Only our own scripts (and the import map above, by hash) run; cytoscape injects a <style> of its own. */
export const PAGE_CSP = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${createHash('sha256').update(IMPORT_MAP).digest('base64')}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function pageHtml(title: string, telemetryPath: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/topology.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/assets/topology.js"></script>
</head><body>
<header><h1>${escapeHtml(title)}</h1><p id="status">loading…</p>
<p><a href="/status">Status</a> · <a href="${escapeHtml(telemetryPath)}">Metrics</a></p></header>
<main><div id="graph"></div>
<aside>
<h2>Tenant networks</h2><ul id="legend"></ul>
<p class="key">◆ patch port · ⬢ tunnel port · ● agent port (DHCP, router) · ■ VM port ·
red border: dropping now · orange border: dropped before · purple outline: rate limit (dashed: set by the enforcer)</p>
<h2>Port</h2><p class="key">Click a port for its details and its path through OVS.</p>
<dl id="details"></dl>
<pre id="explain"></pre>
</aside></main>
</body></html>
`;
}

export const PAGE_CSS = `html, body { margin: 0; height: 100%; font-family: sans-serif; font-size: 14px; }
body { display: flex; flex-direction: column; }
header { padding: 0.5em 1em; border-bottom: 1px solid #ddd; display: flex; gap: 1.5em; align-items: baseline; }
header h1 { font-size: 1.1em; margin: 0; }
header p { margin: 0; }
.ok { color: #080; }
.bad { color: #b00; }
main { flex: 1; display: flex; min-height: 0; }
#graph { flex: 1; min-width: 0; }
aside { width: 34em; overflow: auto; border-left: 1px solid #ddd; padding: 0.5em 1em; }
aside h2 { font-size: 1em; margin: 0.8em 0 0.3em; }
#legend { list-style: none; padding: 0; margin: 0; }
#legend li { margin: 0.2em 0; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: middle; }
.key { font-size: 0.9em; color: #555; }
#details { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 0.8em; margin: 0; }
#details dt { color: #555; }
#details dd { margin: 0; word-break: break-all; }
#explain { white-space: pre-wrap; font-size: 12px; background: #f7f7f7; padding: 0.5em; }
`;
