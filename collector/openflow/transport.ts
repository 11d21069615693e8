/**
 * OpenFlow targets in OVS's own syntax (ovs-ofctl(8) "Connection Methods"): `unix:FILE` (a
 * bridge's management socket, <rundir>/<bridge>.mgmt), `tcp:IP[:PORT]` and `ssl:IP[:PORT]`
 * (IPv6 in brackets; port 6653 by default). The socket itself is opened by the OVSDB client's
 * opener, which already handles unix/tcp/ssl the way OVS does (CA check, no host name check).
 */
import { TelemetryError } from '../../common/errors.js';
import type { OvsdbEndpoint } from '../ovsdb/endpoint.js';

export { openSocket } from '../ovsdb/connect.js';
export type { TlsFiles } from '../ovsdb/endpoint.js';

/** Same shape as an OVSDB endpoint: both speak OVS's connection-method syntax. */
export type Target = OvsdbEndpoint;

/** IANA's OpenFlow port, OVS's default for tcp:/ssl: OpenFlow targets. */
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
