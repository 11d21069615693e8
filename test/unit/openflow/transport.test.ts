import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { parseTarget } from '../../../collector/openflow/transport.js';
import { OpenFlowClient } from '../../../collector/openflow/client.js';

describe('OpenFlow targets (ovs-ofctl connection methods)', () => {
  it.each([
    ['unix:/run/openvswitch/br-int.mgmt', { kind: 'unix', path: '/run/openvswitch/br-int.mgmt' }],
    ['tcp:127.0.0.1:16653', { kind: 'tcp', host: '127.0.0.1', port: 16653 }],
    ['tcp:192.0.2.1', { kind: 'tcp', host: '192.0.2.1', port: 6653 }],
    ['ssl:[::1]:6653', { kind: 'ssl', host: '::1', port: 6653 }],
    ['ssl:[fe80::1]', { kind: 'ssl', host: 'fe80::1', port: 6653 }],
  ])('parses %s', (text, expected) => {
    expect(parseTarget(text)).toEqual(expected);
  });

  it.each(['br-int', 'unix:', 'ptcp:6653', 'tcp:', 'tcp:1.2.3.4:0', 'tcp:1.2.3.4:99999', 'tcp:::1:6653'])('rejects %s with ENDPOINT_INVALID', (text) => {
    let err: unknown;
    try {
      parseTarget(text);
    } catch (e) {
      err = e;
    }
    expect(isTelemetryError(err, 'ENDPOINT_INVALID')).toBe(true);
  });

  it('validates options when the client is built', () => {
    expect(() => new OpenFlowClient({ target: 'nope' })).toThrow(/OpenFlow target "nope"/);
    expect(() => new OpenFlowClient({ target: 'unix:/x', versions: [] })).toThrow(/non-empty subset/);
    expect(() => new OpenFlowClient({ target: 'unix:/x', versions: [1 as never] })).toThrow(/non-empty subset/);
  });

  it('needs TLS files for ssl:', async () => {
    const c = new OpenFlowClient({ target: 'ssl:127.0.0.1:1' });
    await expect(c.connect()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
