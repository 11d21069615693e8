import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { decodeMatch, decodeOxm, encodeMatch, matchLength, type MatchField } from '../../../collector/openflow/oxm.js';
import { hex } from './hex.js';

/** Byte vectors from OF1.3.5 §7.2.3 (OXM) and OVS's NXM classes (nicira-ext.h, meta-flow.h). */
describe('OXM decoding', () => {
  const cases: [string, string, MatchField][] = [
    ['in_port (OXM_OF_IN_PORT, 32 bits)', '80000004 00000003', { field: 'in_port', value: 3 }],
    ['eth_type', '80000a02 0806', { field: 'eth_type', value: 0x0806 }],
    ['masked eth_dst', '8000070c 000000000000 010000000000', { field: 'eth_dst', value: '00:00:00:00:00:00', mask: '01:00:00:00:00:00' }],
    ['vlan_vid with OFPVID_PRESENT', '80000c02 1001', { field: 'vlan_vid', value: 0x1001 }],
    ['masked ipv4 src', '80001708 0a000000 ffffff00', { field: 'ip_src', value: '10.0.0.0', mask: '255.255.255.0' }],
    ['ipv6 src', '80003410 20010db8000000000000000000000001', { field: 'ipv6_src', value: '2001:db8::1' }],
    ['tun_id (OXM_OF_TUNNEL_ID, 64 bits)', '80004c08 00000000000003e9', { field: 'tun_id', value: 0x3e9n }],
    ['metadata masked', '80000510 0000000000000001 00000000000000ff', { field: 'metadata', value: 1n, mask: 0xffn }],
    ['NXM reg5', '00010a04 00000007', { field: 'reg5', value: 7 }],
    ['NXM ct_state masked', '0001d308 00000022 00000022', { field: 'ct_state', value: 0x22, mask: 0x22 }],
    ['NXM ct_label (128 bits)', '0001d810 000000000000000000000000000000ff', { field: 'ct_label', value: '0x000000000000000000000000000000ff' }],
    ['NXM_OF vlan_tci masked', '00000904 1001 1fff', { field: 'vlan_tci', value: 0x1001, mask: 0x1fff }],
    ['ONF experimenter tcp_flags (OF1.3)', 'ffff5406 4f4e4600 0012', { field: 'tcp_flags', value: 0x12 }],
    ['OF1.5 xreg2 low half = reg5', '8001051 0 0000000000000007 00000000ffffffff', { field: 'reg5', value: 7 }],
    ['OF1.5 xreg2 high half = reg4', '80010510 0000000900000000 ffffffff00000000', { field: 'reg4', value: 9 }],
    ['unknown class keeps its numbers', '12340202 abcd', { field: 'oxm_1234_1', value: '0xabcd' }],
    ['known field with an unexpected width decodes as hex', '80000003 000001', { field: 'in_port', value: '0x000001' }],
  ];
  it.each(cases)('%s', (_name, bytes, expected) => {
    const buf = hex(bytes);
    const { field, next } = decodeOxm(buf, 0, buf.length);
    expect(field).toEqual(expected);
    expect(next).toBe(buf.length);
  });

  it('decodes an ofp_match with padding and reports the padded end', () => {
    // type OXM, length 4 + 8 + 6 = 18 -> padded to 24
    const buf = hex('0001 0012 80000004 00000001 80000a02 0800 000000000000 ffff');
    const { match, next } = decodeMatch(buf, 0, buf.length);
    expect(match).toEqual([
      { field: 'in_port', value: 1 },
      { field: 'eth_type', value: 0x800 },
    ]);
    expect(next).toBe(24);
  });

  it('decodes the empty match', () => {
    const buf = hex('0001 0004 00000000');
    expect(decodeMatch(buf, 0, buf.length)).toEqual({ match: [], next: 8 });
  });

  const malformed: [string, string, RegExp][] = [
    ['OXM longer than the match', '0001 000c 80000008 00000001 00000000', /OXM field truncated/],
    ['match padding beyond the buffer', '0001 000c 80000004 00000001', /match truncated/],
    ['standard match type (OF1.0/1.1)', '0000 0058 00000000', /match type 0/],
    ['match length below its header', '0001 0002 00000000', /match length 2/],
    ['partial OXM header', '0001 0006 8000 0000', /OXM header truncated/],
    ['masked OXM with odd payload', '0001 000b 80000103 000000 0000000000', /odd length/],
    ['experimenter OXM shorter than its id', '0001 000a ffff0002 0000 000000000000', /experimenter OXM/],
  ];
  it.each(malformed)('rejects %s with a PROTOCOL error', (_name, bytes, message) => {
    const buf = hex(bytes);
    let err: unknown;
    try {
      decodeMatch(buf, 0, buf.length);
    } catch (e) {
      err = e;
    }
    expect(isTelemetryError(err, 'PROTOCOL')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('never throws anything but PROTOCOL on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        const buf = Buffer.from(bytes);
        try {
          decodeMatch(buf, 0, buf.length);
        } catch (e) {
          expect(isTelemetryError(e, 'PROTOCOL')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('OXM encoding', () => {
  it('encodes the br-tun table-22 match exactly as OVS sends it', () => {
    const match: MatchField[] = [{ field: 'vlan_vid', value: 0x1001 }];
    const buf = Buffer.alloc(matchLength(match));
    expect(encodeMatch(buf, 0, match)).toBe(16);
    expect(buf.toString('hex')).toBe('0001000a80000c021001000000000000');
  });

  it('rejects unknown names and values that do not fit', () => {
    expect(() => matchLength([{ field: 'nope', value: 1 }])).toThrow(/unknown field nope/);
    const buf = Buffer.alloc(16);
    expect(() => encodeMatch(buf, 0, [{ field: 'vlan_pcp', value: 256 }])).toThrow(/does not fit/);
    expect(() => encodeMatch(buf, 0, [{ field: 'eth_src', value: 5 }])).toThrow(/text address/);
  });

  it('round-trips fields through encode and decode (property)', () => {
    const arbField = fc.oneof(
      fc.record({ field: fc.constant('in_port'), value: fc.integer({ min: 0, max: 0xffffffff }) }),
      fc.record({ field: fc.constant('tcp_dst'), value: fc.integer({ min: 0, max: 0xffff }), mask: fc.integer({ min: 0, max: 0xffff }) }),
      fc.record({ field: fc.constant('tun_id'), value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
      fc.record({ field: fc.constant('ip_dst'), value: fc.ipV4() }),
      fc.record({ field: fc.constant('eth_src'), value: fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':')) }),
      fc.record({ field: fc.constant('reg3'), value: fc.integer({ min: 0, max: 0xffffffff }) }),
    );
    fc.assert(
      fc.property(fc.array(arbField, { maxLength: 6 }), (fields) => {
        const buf = Buffer.alloc(matchLength(fields));
        encodeMatch(buf, 0, fields);
        const expected = fields.map((f) => ({ mask: undefined, ...f }));
        expect(decodeMatch(buf, 0, buf.length).match).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
