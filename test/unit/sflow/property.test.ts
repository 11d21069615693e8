/**
 * Property tests: whatever the bytes, decodeDatagram either returns or throws an
 * SflowDecodeError (TelemetryError 'DECODE'); it never throws anything else (a RangeError
 * would mean a length drove an allocation or a read unchecked) and never loops long.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDatagram, SflowContext, SflowDecodeError } from '../../../collector/sflow/decode.js';
import {
  concat,
  counterSample,
  datagram,
  ethernet,
  extendedSwitch,
  flowSample,
  genericCounters,
  ipv4Packet,
  opaque,
  rawHeader,
  tagged,
  tcpPacket,
  u32,
  udpPacket,
  vxlan,
} from '../../helpers/sflow-encoder.js';

const ctx = new SflowContext();
let delivered = 0;
const sink = { flow: () => void delivered++, counters: () => void delivered++ };

function decodesOrThrowsDecodeError(bytes: Uint8Array): void {
  try {
    decodeDatagram(bytes, ctx, sink);
  } catch (err) {
    if (!(err instanceof SflowDecodeError) || err.code !== 'DECODE') throw err;
  }
}

const inner = ethernet('fa:16:3e:00:00:02', 'fa:16:3e:00:00:01', 0x0800, ipv4Packet({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcpPacket(1, 2, 0x02)));
const seed = datagram({
  agent: '2001:db8::1',
  samples: [
    flowSample({
      records: [
        extendedSwitch(1, 0, 2, 0),
        rawHeader(ethernet('52:54:00:00:00:02', '52:54:00:00:00:01', 0x0800, ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, udpPacket(1, 4789, vxlan(5, inner))))),
        tagged(1030, u32(5)),
      ],
    }),
    counterSample({ records: [genericCounters(), tagged(1005, opaque(new TextEncoder().encode('br-int')))] }),
  ],
});

/** Offsets of every 32-bit word that is a count or a length in `seed`. */
const wordOffsets = Array.from({ length: seed.length / 4 }, (_, i) => i * 4);

describe('decodeDatagram on hostile input', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => decodesOrThrowsDecodeError(bytes)), { numRuns: 2000 });
  });

  it('random bytes behind a valid v5 header (so the sample loop is reached)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.uint8Array({ maxLength: 4096 }), (count, body) =>
        decodesOrThrowsDecodeError(concat(u32(5, 1, 0x7f000001, 0, 1, 0, count), body)),
      ),
      { numRuns: 2000 },
    );
  });

  it('a real datagram truncated anywhere', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: seed.length }), (cut) => decodesOrThrowsDecodeError(seed.subarray(0, cut))), { numRuns: 1000 });
    for (let cut = 0; cut < seed.length; cut++) decodesOrThrowsDecodeError(seed.subarray(0, cut));
  });

  it('a real datagram with any word set to a huge, zero or off-by-a-little value (lengths, counts)', () => {
    const interesting = fc.oneof(
      fc.constantFrom(0, 1, 3, 4, 0x7fffffff, 0xffffffff, 1000, 1001, 0x10000),
      fc.integer({ min: 0, max: 0xffffffff }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...wordOffsets), interesting), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = seed.slice();
        const view = new DataView(bytes.buffer);
        for (const [offset, value] of edits) view.setUint32(offset, value);
        const start = performance.now();
        decodesOrThrowsDecodeError(bytes);
        expect(performance.now() - start).toBeLessThan(50);
      }),
      { numRuns: 3000 },
    );
  });

  it('random byte flips in a real datagram', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: seed.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }), (flips) => {
        const bytes = seed.slice();
        for (const [i, v] of flips) bytes[i] = v;
        decodesOrThrowsDecodeError(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('the seed itself decodes fully', () => {
    delivered = 0;
    decodeDatagram(seed, ctx, sink);
    expect(delivered).toBe(2);
    expect(ctx.flow.tunnel_id).toBe(5);
  });
});
