/**
 * The enforcer's HTTP endpoint (default 127.0.0.1:9478): `POST /alertmanager` (the webhook),
 * `GET /metrics` (its own metrics), `GET /healthz`. TLS and basic auth on every path come from an
 * optional exporter-toolkit web config file (common/web-server.ts); the webhook itself needs the
 * bearer token or basic-auth user of webhook.auth. Answers: 401 without valid credentials,
 * 400 for a malformed body, 413 for one too large, 200 otherwise (alerts no mapping acts on
 * included); none of the refusals reaches OVS.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { SampledLog } from '../../common/log.js';
import { closeHttp, createWebServer, listenHttp } from '../../common/web-server.js';
import type { ThrottleRef } from '../policy/resolve.js';
import type { AlertHandler } from './alerts.js';
import type { WebhookAuth } from './auth.js';
import { parsePayload } from './payload.js';

export interface EnforcerServerOptions {
  readonly host: string;
  readonly port: number;
  readonly webConfigFile?: string;
  readonly maxBodyBytes: number;
  /** Absent when no alert mappings are configured: the webhook then answers 404. */
  readonly webhook?: {
    readonly auth: WebhookAuth;
    readonly handler: AlertHandler;
    /**
     * Makes the ports these alert actions name match them; resolves when that reconcile is done,
     * true if it applied everything.
     */
    readonly reconcile: (changed: readonly ThrottleRef[]) => Promise<boolean>;
  };
  readonly metrics: () => Promise<{ body: Buffer; contentType: string }>;
  readonly healthy: () => boolean;
  readonly logger: Logger;
}

/** How long a webhook request waits for the reconcile it caused before answering. */
const RECONCILE_WAIT_MS = 5000;

class TooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the rest is read and dropped so the 413 can be sent (then the connection closes).
        req.off('data', onData);
        req.resume();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(`${JSON.stringify(body)}\n`);
}

export class EnforcerServer {
  private readonly server: Server | HttpsServer;
  private readonly warn: SampledLog;

  constructor(private readonly opts: EnforcerServerOptions) {
    this.warn = new SampledLog(opts.logger);
    this.server = createWebServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        opts.logger.error({ err: describeError(err), url: req.url }, 'enforcer: request failed');
        if (!res.headersSent) send(res, 500, { status: 'error', error: 'internal error' });
        else res.end();
      });
    }, { webConfigFile: opts.webConfigFile, logger: opts.logger, realm: 'ovs-telemetry enforcer' });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/alertmanager') return this.webhook(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { status: 'error', error: 'method not allowed' }, { allow: 'GET, HEAD' });
    if (path === '/metrics') {
      const { body, contentType } = await this.opts.metrics();
      res.writeHead(200, { 'content-type': contentType }).end(body);
    } else if (path === '/healthz') {
      const ok = this.opts.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not connected to OVS\n');
    } else {
      send(res, 404, { status: 'error', error: 'not found' });
    }
  }

  private async webhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hook = this.opts.webhook;
    if (!hook) return send(res, 404, { status: 'error', error: 'no alert mappings are configured' });
    if (req.method !== 'POST') return send(res, 405, { status: 'error', error: 'method not allowed' }, { allow: 'POST' });
    if (!(await hook.auth.check(req.headers.authorization))) {
      this.warn.warn('webhook-401', { remote: req.socket.remoteAddress }, 'enforcer: webhook request without valid credentials');
      return send(res, 401, { status: 'error', error: 'unauthorized' }, { 'www-authenticate': hook.auth.challenge() });
    }
    let body: string;
    try {
      body = await readBody(req, this.opts.maxBodyBytes);
    } catch (err) {
      if (err instanceof TooLarge) return send(res, 413, { status: 'error', error: `body larger than ${this.opts.maxBodyBytes} bytes` }, { connection: 'close' });
      throw err;
    }
    const parsed = parsePayload(body);
    if (!parsed.ok) {
      this.warn.warn('webhook-400', { remote: req.socket.remoteAddress, error: parsed.error }, 'enforcer: malformed webhook payload');
      return send(res, 400, { status: 'error', error: parsed.error });
    }
    const { outcomes, changed, saved } = hook.handler.handle(parsed.payload);
    // Answer once OVS matches (or after a bound: the action is stored and will be applied anyway;
    // `reconciled: false` says OVS does not match yet, e.g. while OVSDB is unreachable), and once
    // the actions are on disk (written while the reconcile runs). A failed write is a 500:
    // Alertmanager sends the notification again.
    const reconcile = changed.length === 0
      ? Promise.resolve(true)
      : Promise.race([hook.reconcile(changed), new Promise<boolean>((r) => setTimeout(() => r(false), RECONCILE_WAIT_MS).unref())]);
    const [reconciled] = await Promise.all([reconcile, saved]);
    send(res, 200, { status: 'ok', reconciled, alerts: outcomes });
  }

  async listen(): Promise<AddressInfo> {
    const { host, port } = this.opts;
    return listenHttp(this.server, host, port);
  }

  async close(): Promise<void> {
    await closeHttp(this.server);
  }
}
