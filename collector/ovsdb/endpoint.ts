import { isIP } from 'node:net';
import { TelemetryError } from '../../common/errors.js';

/** An active OVSDB connection method, as ovs-vsctl --db / ovsdb-client take it (ovsdb-server(1) "Database Connection Methods"). */
export type OvsdbEndpoint =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'ssl'; host: string; port: number };

/** PEM file paths, as ovs-vsctl's --private-key, --certificate and --ca-cert take them. */
export interface TlsFiles {
  privateKey: string;
  certificate: string;
  caCert: string;
}

/** OVS's default port for tcp: and ssl: when none is given (IANA-assigned to OVSDB). */
export const DEFAULT_OVSDB_PORT = 6640;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function invalid(text: string, why: string): TelemetryError {
  return new TelemetryError('ENDPOINT_INVALID', `invalid OVSDB endpoint "${text}": ${why}`);
}

/**
 * Parses `unix:PATH`, `tcp:HOST[:PORT]` or `ssl:HOST[:PORT]`; an IPv6 HOST is written in
 * brackets (`tcp:[::1]:6640`). Passive methods (punix:, ptcp:, pssl:) are for servers.
 */
export function parseEndpoint(text: string): OvsdbEndpoint {
  const colon = text.indexOf(':');
  if (colon < 0) throw invalid(text, 'expected unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT');
  const method = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  switch (method) {
    case 'unix':
      if (rest === '') throw invalid(text, 'the socket path is empty');
      return { kind: 'unix', path: rest };
    case 'tcp':
    case 'ssl': {
      const { host, port } = parseHostPort(text, rest);
      return { kind: method, host, port };
    }
    case 'punix':
    case 'ptcp':
    case 'pssl':
      throw invalid(text, `"${method}:" is a passive (listening) method; a client needs ${method.slice(1)}:`);
    default:
      throw invalid(text, `unknown connection method "${method}" (expected unix, tcp or ssl)`);
  }
}

function parseHostPort(text: string, rest: string): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw invalid(text, 'missing "]" after the IPv6 address');
    host = rest.slice(1, close);
    if (isIP(host) !== 6) throw invalid(text, `"${host}" is not an IPv6 address`);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw invalid(text, 'expected ":PORT" after the IPv6 address');
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const parts = rest.split(':');
    if (parts.length > 2) throw invalid(text, 'an IPv6 address must be written in brackets, e.g. tcp:[::1]:6640');
    host = parts[0];
    portText = parts[1];
    if (host === '') throw invalid(text, 'the host is empty');
    if (isIP(host) === 0 && !HOSTNAME.test(host)) throw invalid(text, `"${host}" is neither an IP address nor a host name`);
  }
  return { host, port: portText === undefined ? DEFAULT_OVSDB_PORT : parsePort(text, portText) };
}

function parsePort(text: string, portText: string): number {
  if (!/^\d{1,5}$/.test(portText)) throw invalid(text, `port "${portText}" is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw invalid(text, `port ${port} is outside 1..65535`);
  return port;
}

export function formatEndpoint(e: OvsdbEndpoint): string {
  if (e.kind === 'unix') return `unix:${e.path}`;
  const host = isIP(e.host) === 6 ? `[${e.host}]` : e.host;
  return `${e.kind}:${host}:${e.port}`;
}
