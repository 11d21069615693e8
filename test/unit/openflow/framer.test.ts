import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { MessageFramer } from '../../../collector/openflow/framer.js';
import { hex } from './hex.js';

function message(type: number, bodyLength: number, xid: number): Buffer {
  const m = Buffer.alloc(8 + bodyLength, xid & 0xff);
  m[0] = 4;
  m[1] = type;
  m.writeUInt16BE(8 + bodyLength, 2);
  m.writeUInt32BE(xid, 4);
  return m;
}

function collect(): { framer: MessageFramer; out: Buffer[] } {
  const out: Buffer[] = [];
  return { framer: new MessageFramer((m) => out.push(Buffer.from(m))), out };
}

describe('MessageFramer', () => {
  it('delivers coalesced messages from one chunk', () => {
    const { framer, out } = collect();
    const a = message(2, 0, 1);
    const b = message(19, 100, 2);
    framer.push(Buffer.concat([a, b]));
    expect(out).toEqual([a, b]);
    expect(framer.buffered).toBe(0);
  });

  it('reassembles a message split inside its header and body', () => {
    const { framer, out } = collect();
    const m = message(19, 40, 7);
    framer.push(m.subarray(0, 3));
    framer.push(m.subarray(3, 5));
    expect(framer.buffered).toBe(5);
    framer.push(m.subarray(5, 30));
    framer.push(Buffer.concat([m.subarray(30), message(3, 0, 8).subarray(0, 4)]));
    expect(out).toEqual([m]);
    expect(framer.buffered).toBe(4);
  });

  it('handles a 64 KiB message fed byte by byte', () => {
    const { framer, out } = collect();
    const m = message(19, 0xffff - 8, 9);
    for (let i = 0; i < m.length; i += 1) framer.push(m.subarray(i, i + 1));
    expect(out).toHaveLength(1);
    expect(out[0].equals(m)).toBe(true);
  });

  it('rejects a header whose length is below 8', () => {
    const { framer } = collect();
    let err: unknown;
    try {
      framer.push(hex('04 00 0004 00000001'));
    } catch (e) {
      err = e;
    }
    expect(isTelemetryError(err, 'PROTOCOL')).toBe(true);
    expect((err as Error).message).toMatch(/length 4/);
  });

  it('rejects a bad length that arrives split across chunks', () => {
    const { framer } = collect();
    framer.push(hex('04 00'));
    expect(() => framer.push(hex('0000 00000001'))).toThrow(/length 0/);
  });

  it('yields the same messages however the stream is cut (property)', () => {
    const arbMessages = fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(arbMessages, fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 50 }), (specs, cuts) => {
        const messages = specs.map(([type, len], i) => message(type, len, i + 1));
        const stream = Buffer.concat(messages);
        const { framer, out } = collect();
        let pos = 0;
        for (let i = 0; pos < stream.length; i++) {
          const size = cuts[i % cuts.length];
          framer.push(stream.subarray(pos, pos + size));
          pos += size;
        }
        expect(out).toEqual(messages);
        expect(framer.buffered).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
