/**
 * An HTTP(S) server that enforces a web config file (web-config.ts) around a request handler, the
 * way the Prometheus exporter-toolkit does: TLS with the configured versions, suites and client
 * certificate policy, basic auth on every path, configured response headers. The file and the
 * certificate, key and client CA files are read again on each new connection, so certificates
 * rotate (and users change) without a restart; a file that became invalid is logged and the last
 * good configuration stays in force. Without a web config file: plain HTTP, no auth.
 */
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { describeError } from './errors.js';
import type { Logger } from './log.js';
import { SampledLog } from './log.js';
import { BasicAuthChecker, loadWebConfig, readTlsMaterial, type TlsMaterial, type WebConfig, type WebTlsConfig } from './web-config.js';

export interface WebServerOptions {
  /** exporter-toolkit web config file; absent = plain HTTP without auth. */
  readonly webConfigFile?: string;
  readonly logger: Logger;
  /** The realm sent with 401 responses. */
  readonly realm?: string;
}

type Tls = WebConfig & { tls: WebTlsConfig };

function secureOptions(t: WebTlsConfig, m: TlsMaterial): Record<string, unknown> {
  return {
    cert: m.cert,
    key: m.key,
    ca: m.ca,
    minVersion: t.minVersion,
    maxVersion: t.maxVersion,
    ciphers: t.ciphers,
    honorCipherOrder: t.honorCipherOrder,
    ecdhCurve: t.ecdhCurve,
    // Client certificates are asked for unless the policy is NoClientCert; only
    // RequireAndVerifyClientCert makes OpenSSL refuse the handshake itself (see checkClient).
    requestCert: t.clientAuth !== 'NoClientCert',
    rejectUnauthorized: t.clientAuth === 'RequireAndVerifyClientCert',
  };
}

const sameBytes = (a: Buffer | undefined, b: Buffer | undefined): boolean => (a === undefined ? b === undefined : b !== undefined && a.equals(b));

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key) && sameBytes(a.ca, b.ca);
}

/** The policies OpenSSL does not enforce by itself: a certificate required, verified if given, allowed SANs. */
function checkClient(t: WebTlsConfig, socket: TLSSocket): string | undefined {
  const cert = socket.getPeerCertificate();
  const present = cert !== null && Object.keys(cert).length > 0;
  if (t.clientAuth === 'RequireAnyClientCert' && !present) return 'client certificate required';
  if ((t.clientAuth === 'VerifyClientCertIfGiven' || t.clientAuth === 'RequireAndVerifyClientCert') && present && !socket.authorized) {
    return `client certificate not verified: ${String(socket.authorizationError)}`;
  }
  if (t.allowedSans !== undefined) {
    const sans = (cert?.subjectaltname ?? '').split(',').map((s) => s.trim().replace(/^(DNS|IP Address|email|URI):/, ''));
    if (!t.allowedSans.some((allowed) => sans.includes(allowed))) return 'client certificate SAN not allowed';
  }
  return undefined;
}

/**
 * Creates the server (not listening yet). Throws TelemetryError CONFIG_INVALID (naming the web
 * config file and key) when the file or a file it names is missing or invalid.
 */
export function createWebServer(handler: RequestListener, opts: WebServerOptions): Server | HttpsServer {
  const file = opts.webConfigFile;
  if (file === undefined) return createHttpServer(handler);
  const warn = new SampledLog(opts.logger);
  const auth = new BasicAuthChecker();
  const realm = opts.realm ?? 'ovs-telemetry';
  let config = loadWebConfig(file);
  const initialTls = config.tls;
  let material = initialTls ? readTlsMaterial(config as Tls) : undefined;
  // Whether the server does TLS is fixed at start (a listener cannot switch); the rest may change.
  const tlsMode = initialTls !== undefined;

  const guarded: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    const current = config;
    for (const [name, value] of Object.entries(current.headers)) res.setHeader(name, value);
    const users = current.users;
    if (users === undefined) {
      handler(req, res);
      return;
    }
    auth.check(users, req.headers.authorization).then(
      (ok) => {
        if (ok) {
          handler(req, res);
          return;
        }
        res.writeHead(401, { 'www-authenticate': `Basic realm="${realm}"`, 'content-type': 'text/plain' }).end('Unauthorized\n');
      },
      (err: unknown) => {
        opts.logger.error({ err: describeError(err) }, 'basic auth check failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
      },
    );
  };

  const server = tlsMode && material && initialTls ? createHttpsServer(secureOptions(initialTls, material), guarded) : createHttpServer(guarded);

  /** Re-reads the web config and the TLS files; swaps the secure context when they changed. */
  const refresh = (): void => {
    let next: WebConfig;
    let nextMaterial: TlsMaterial | undefined;
    try {
      next = loadWebConfig(file);
      if (tlsMode && next.tls === undefined) throw new Error('tls_server_config was removed; restart to serve plain HTTP');
      if (!tlsMode && next.tls !== undefined) throw new Error('tls_server_config was added; restart to serve HTTPS');
      nextMaterial = next.tls ? readTlsMaterial(next as Tls) : undefined;
    } catch (err) {
      warn.warn('web-config-reload', { file, err: describeError(err) }, 'web config reload failed; keeping the last good one');
      return;
    }
    const tlsChanged = next.tls !== undefined && nextMaterial !== undefined &&
      (material === undefined || !sameMaterial(material, nextMaterial) || JSON.stringify(next.tls) !== JSON.stringify(config.tls));
    config = next;
    if (tlsChanged && next.tls && nextMaterial) {
      material = nextMaterial;
      const options = secureOptions(next.tls, nextMaterial);
      (server as HttpsServer).setSecureContext(options);
      // setSecureContext covers the context only; these two are read per connection from the server.
      Object.assign(server, { requestCert: options.requestCert, rejectUnauthorized: options.rejectUnauthorized });
    }
  };

  // Before the TLS socket is made from the new connection (tls.Server's own 'connection' listener).
  server.prependListener('connection', refresh);
  if (tlsMode) {
    server.on('secureConnection', (socket: TLSSocket) => {
      const tls = config.tls;
      const refused = tls && checkClient(tls, socket);
      if (refused) {
        warn.warn(`tls-client:${refused}`, { remote: socket.remoteAddress, reason: refused }, 'TLS client refused');
        socket.destroy();
      }
    });
  }
  return server;
}

/** Binds `server`; resolves with the bound address (port 0 picks a free port), rejects on EADDRINUSE and the like. */
export async function listenHttp(server: Server | HttpsServer, host: string, port: number): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

/** Stops listening and ends open keep-alive connections at once (a scraper's idle socket must not hold the stop). */
export async function closeHttp(server: Server | HttpsServer): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
