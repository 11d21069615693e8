import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { TelemetryError } from '../../common/errors.js';
import { formatEndpoint, type OvsdbEndpoint, type TlsFiles } from './endpoint.js';

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new TelemetryError('CONFIG_UNREADABLE', `cannot read the OVSDB SSL ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Opens a stream to an OVSDB endpoint. For ssl: the PEM files are read on every connection (so
 * rotated certificates are picked up on reconnect) and the server is authenticated the way OVS
 * does it: its certificate must chain to the CA, with no host name check (OVS certificates name
 * switches and controllers, not hosts).
 */
export async function openSocket(
  endpoint: OvsdbEndpoint,
  tls: TlsFiles | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Socket> {
  const name = formatEndpoint(endpoint);
  let socket: Socket;
  let ready: 'connect' | 'secureConnect';
  if (endpoint.kind === 'ssl') {
    if (!tls) throw new TelemetryError('CONFIG_INVALID', `${name} needs a private key, certificate and CA certificate`);
    const [key, cert, ca] = await Promise.all([
      readPem(tls.privateKey, 'private key'),
      readPem(tls.certificate, 'certificate'),
      readPem(tls.caCert, 'CA certificate'),
    ]);
    socket = tlsConnect({
      host: endpoint.host,
      port: endpoint.port,
      key,
      cert,
      ca,
      minVersion: 'TLSv1.2',
      checkServerIdentity: () => undefined,
    });
    ready = 'secureConnect';
  } else {
    socket = endpoint.kind === 'unix' ? netConnect({ path: endpoint.path }) : netConnect({ host: endpoint.host, port: endpoint.port });
    ready = 'connect';
  }
  return new Promise<Socket>((resolve, reject) => {
    const fail = (err: TelemetryError): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error): void =>
      fail(new TelemetryError('CONNECTION_FAILED', `cannot connect to ${name}: ${err.message}`, { cause: err }));
    const onAbort = (): void => fail(new TelemetryError('CONNECTION_CLOSED', `connecting to ${name} was cancelled`));
    const timer = setTimeout(
      () => fail(new TelemetryError('CONNECTION_FAILED', `cannot connect to ${name}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(ready, () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      // Until the JSON-RPC layer adds its own listener, an 'error' (which Node may emit on the next
      // tick) must not go unhandled; that layer learns of it from the 'close' that follows.
      socket.on('error', () => undefined);
      if (endpoint.kind !== 'unix') socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
