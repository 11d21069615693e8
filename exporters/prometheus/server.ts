/**
 * The collector's HTTP endpoint: `/metrics` (Prometheus text format, or OpenMetrics when the
 * scraper asks for it; gzip when accepted), `/healthz` and a small `/status` page that says what
 * is connected; more routes (the topology page at `/`, its API) come in through `routes`. Listens on 127.0.0.1 unless configured otherwise; TLS and basic auth come from an
 * exporter-toolkit web config file (common/web-server.ts).
 */
import { parseListenAddress } from '../../common/listen-address.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from '../../common/log.js';
import { describeError } from '../../common/errors.js';
import { closeHttp, createWebServer, listenHttp } from '../../common/web-server.js';
import type { ExpositionFormat } from './exposition.js';
import type { PrometheusRegistry } from './registry.js';

const gzipAsync = promisify(gzip);

/** What the `/status` page shows: titled sections of key/value rows. */
export interface StatusReport {
  readonly title: string;
  readonly healthy: boolean;
  readonly sections: readonly { readonly name: string; readonly rows: readonly (readonly [string, string])[] }[];
}

/** An extra GET/HEAD endpoint of the collector's HTTP server (same TLS and auth as /metrics). */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface MetricsServerOptions {
  readonly listenAddress: string;
  readonly telemetryPath: string;
  readonly registry: PrometheusRegistry;
  readonly status: () => StatusReport;
  readonly logger: Logger;
  /** exporter-toolkit web config (TLS, basic auth); absent = plain HTTP without auth. */
  readonly webConfigFile?: string;
  /** Extra endpoints by exact path; they take precedence over the built-in ones. */
  readonly routes?: ReadonlyMap<string, HttpRoute>;
}

interface MediaRange {
  readonly type: string;
  readonly q: number;
}

/** An Accept / Accept-Encoding header as (type, q) pairs (RFC 9110 §12.5.1, §12.5.3). */
function parseQualities(header: string | undefined): MediaRange[] {
  if (!header) return [];
  return header.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    return { type, q: Number.isFinite(quality) ? quality : 0 };
  });
}

/** OpenMetrics when the scraper prefers it over the text format (Prometheus sends both, OpenMetrics first). */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  const ranges = parseQualities(accept);
  const om = Math.max(0, ...ranges.filter((r) => r.type === 'application/openmetrics-text').map((r) => r.q));
  const text = Math.max(0, ...ranges.filter((r) => r.type === 'text/plain' || r.type === '*/*' || r.type === 'text/*').map((r) => r.q));
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}

export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return parseQualities(acceptEncoding).some((r) => (r.type === 'gzip' || r.type === '*') && r.q > 0);
}

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderStatusPage(report: StatusReport, telemetryPath: string): string {
  const sections = report.sections
    .map(
      (s) =>
        `<h2>${escapeHtml(s.name)}</h2><table>${s.rows
          .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
          .join('')}</table>`,
    )
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title>
<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em;font-weight:normal;color:#555}
.ok{color:#080}.bad{color:#b00}</style></head>
<body><h1>${escapeHtml(report.title)}</h1>
<p class="${report.healthy ? 'ok' : 'bad'}">${report.healthy ? 'Connected to OVS' : 'Not connected to OVS'}</p>
<p><a href="/">Topology</a> · <a href="${escapeHtml(telemetryPath)}">Metrics</a> · <a href="/healthz">Health</a></p>
${sections}
</body></html>
`;
}

export class MetricsServer {
  private readonly server: Server | HttpsServer;
  /** Whether the endpoint serves HTTPS (a web config with tls_server_config). */
  readonly secure: boolean;

  /** Throws TelemetryError CONFIG_INVALID when the web config (or a file it names) is invalid. */
  constructor(private readonly opts: MetricsServerOptions) {
    this.server = createWebServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        opts.logger.error({ err: describeError(err), url: req.url }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    }, { webConfigFile: opts.webConfigFile, logger: opts.logger });
    this.secure = 'setSecureContext' in this.server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const route = this.opts.routes?.get(path);
    if (route !== undefined) {
      await route(req, res, url);
    } else if (path === this.opts.telemetryPath) {
      const format = negotiateFormat(req.headers.accept);
      const body = await this.opts.registry.render(format);
      const headers: Record<string, string> = { 'content-type': this.opts.registry.contentTypeOf(format), vary: 'Accept, Accept-Encoding' };
      if (acceptsGzip(req.headers['accept-encoding'])) {
        headers['content-encoding'] = 'gzip';
        res.writeHead(200, headers).end(await gzipAsync(body));
      } else {
        res.writeHead(200, headers).end(body);
      }
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/status') {
      const html = renderStatusPage(this.opts.status(), this.opts.telemetryPath);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async listen(): Promise<AddressInfo> {
    const { host, port } = parseListenAddress(this.opts.listenAddress);
    return listenHttp(this.server, host, port);
  }

  async close(): Promise<void> {
    await closeHttp(this.server);
  }
}
