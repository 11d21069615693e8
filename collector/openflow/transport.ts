/**
 * OpenFlow targets in OVS's own syntax (ovs-ofctl(8) "Connection Methods"): `unix:FILE` (a
 * bridge's management socket, <rundir>/<bridge>.mgmt), `tcp:IP:PORT` and `ssl:IP:PORT`
 * (IPv6 in brackets). Opens the socket; the protocol lives in client.ts.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { TelemetryError } from '../../common/errors.js';

/** OVS SSL settings (`ovs-vsctl set-ssl` names): PEM files. */
export interface TlsFiles {
  readonly privateKey: string;
  readonly certificate: string;
  readonly caCertificate: string;
}

export type Target =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp' | 'ssl'; readonly host: string; readonly port: number };

export const DEFAULT_OPENFLOW_PORT = 6653;

export function parseTarget(target: string): Target {
  const colon = target.indexOf(':');
  const scheme = colon < 0 ? '' : target.slice(0, colon);
  const rest = target.slice(colon + 1);
  if (scheme === 'unix') {
    if (rest === '') throw invalid(target, 'empty socket path');
    return { kind: 'unix', path: rest };
  }
  if (scheme !== 'tcp' && scheme !== 'ssl') throw invalid(target, 'expected unix:PATH, tcp:IP[:PORT] or ssl:IP[:PORT]');
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(rest);
  if (m === null) throw invalid(target, 'expected IP[:PORT], IPv6 in brackets');
  const host = m[1] ?? m[2];
  const port = m[3] === undefined ? DEFAULT_OPENFLOW_PORT : Number(m[3]);
  if (port < 1 || port > 65535) throw invalid(target, `port ${port} out of range`);
  return { kind: scheme, host, port };
}

function invalid(target: string, why: string): TelemetryError {
  return new TelemetryError('ENDPOINT_INVALID', `OpenFlow target "${target}": ${why}`);
}

/**
 * Connects and resolves once the socket is writable (TLS: handshake done). OVS switch
 * certificates name no host, so the peer is checked against the CA only, as ovs-ofctl does.
 */
export async function openSocket(target: Target, tlsFiles: TlsFiles | undefined, timeoutMs: number): Promise<net.Socket> {
  let options: tls.ConnectionOptions | undefined;
  if (target.kind === 'ssl') {
    if (tlsFiles === undefined) throw new TelemetryError('CONFIG_INVALID', 'OpenFlow ssl: target needs privateKey, certificate and caCertificate files');
    const [key, cert, ca] = await Promise.all([
      readFile(tlsFiles.privateKey),
      readFile(tlsFiles.certificate),
      readFile(tlsFiles.caCertificate),
    ]).catch((err: unknown) => {
      throw new TelemetryError('CONFIG_UNREADABLE', `OpenFlow ssl: cannot read TLS files: ${String(err)}`, { cause: err });
    });
    options = { host: target.host, port: target.port, key, cert, ca, checkServerIdentity: () => undefined };
  }
  return new Promise((resolve, reject) => {
    const where = target.kind === 'unix' ? `unix:${target.path}` : `${target.kind}:${target.host}:${target.port}`;
    const socket =
      target.kind === 'unix'
        ? net.connect({ path: target.path })
        : options !== undefined
          ? tls.connect(options)
          : net.connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TelemetryError('TIMEOUT', `OpenFlow: connecting to ${where} took over ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(new TelemetryError('CONNECTION_FAILED', `OpenFlow: cannot connect to ${where}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.once(options !== undefined ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
