import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { formatEndpoint, parseEndpoint } from '../../../collector/ovsdb/endpoint.js';

describe('parseEndpoint', () => {
  it.each([
    ['unix:/var/run/openvswitch/db.sock', { kind: 'unix', path: '/var/run/openvswitch/db.sock' }],
    ['unix:relative/db.sock', { kind: 'unix', path: 'relative/db.sock' }],
    ['tcp:127.0.0.1:6640', { kind: 'tcp', host: '127.0.0.1', port: 6640 }],
    ['tcp:192.0.2.10', { kind: 'tcp', host: '192.0.2.10', port: 6640 }],
    ['ssl:10.0.0.1:6641', { kind: 'ssl', host: '10.0.0.1', port: 6641 }],
    ['tcp:[::1]:6640', { kind: 'tcp', host: '::1', port: 6640 }],
    ['ssl:[fe80::1%eth0]:1', { kind: 'ssl', host: 'fe80::1%eth0', port: 1 }],
    ['tcp:[2001:db8::5]', { kind: 'tcp', host: '2001:db8::5', port: 6640 }],
    ['tcp:ovsdb.example.org:65535', { kind: 'tcp', host: 'ovsdb.example.org', port: 65535 }],
  ])('%s', (text, expected) => {
    expect(parseEndpoint(text)).toEqual(expected);
  });

  it.each([
    ['', 'expected unix:PATH'],
    ['/var/run/openvswitch/db.sock', 'expected unix:PATH'],
    ['unix:', 'socket path is empty'],
    ['punix:/tmp/x.sock', 'passive (listening) method; a client needs unix:'],
    ['ptcp:6640', 'a client needs tcp:'],
    ['http://127.0.0.1:6640', 'unknown connection method "http"'],
    ['tcp:', 'the host is empty'],
    ['tcp::6640', 'the host is empty'],
    ['tcp:127.0.0.1:', 'port "" is not a number'],
    ['tcp:127.0.0.1:0', 'port 0 is outside 1..65535'],
    ['tcp:127.0.0.1:65536', 'port 65536 is outside 1..65535'],
    ['tcp:127.0.0.1:66x', 'port "66x" is not a number'],
    ['tcp:::1:6640', 'IPv6 address must be written in brackets'],
    ['tcp:[::1', 'missing "]"'],
    ['tcp:[not-ip]:6640', '"not-ip" is not an IPv6 address'],
    ['tcp:[::1]6640', 'expected ":PORT" after the IPv6 address'],
    ['ssl:bad_host!:6640', 'neither an IP address nor a host name'],
  ])('rejects %j', (text, why) => {
    try {
      parseEndpoint(text);
      expect.unreachable();
    } catch (err) {
      expect(isTelemetryError(err, 'ENDPOINT_INVALID')).toBe(true);
      expect((err as Error).message).toContain(`"${text}"`);
      expect((err as Error).message).toContain(why);
    }
  });
});

describe('formatEndpoint', () => {
  it.each(['unix:/run/ovs/db.sock', 'tcp:127.0.0.1:6640', 'ssl:[::1]:6640', 'tcp:ovsdb.example.org:1'])('round-trips %s', (text) => {
    expect(formatEndpoint(parseEndpoint(text))).toBe(text);
  });

  it('adds the default port', () => {
    expect(formatEndpoint(parseEndpoint('ssl:192.0.2.1'))).toBe('ssl:192.0.2.1:6640');
  });
});
