import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { JsonMessageSplitter } from '../../../collector/ovsdb/framing.js';
import type { JsonObject } from '../../../collector/ovsdb/json.js';

const MESSAGES: JsonObject[] = [
  { id: 1, result: ['Open_vSwitch', '_Server'], error: null },
  { method: 'update3', params: ['m1', '00000000-0000-0000-0000-000000000000', { T: { a: { modify: { s: 'x}{][' } } } }], id: null },
  { id: 'echo', method: 'echo', params: ['quote " and backslash \\ and "} {\\"'] },
  { id: 4, result: { name: 'ünïcödé ✓ 🚀 ሰላም', nested: [[[{}]], [], {}] }, error: null },
];

/** OVS writes messages back to back; allow the whitespace JSON permits between them. */
const STREAM = Buffer.from(MESSAGES.map((m) => JSON.stringify(m)).join('\n '));

function feed(splitter: JsonMessageSplitter, chunks: Buffer[]): JsonObject[] {
  return chunks.flatMap((chunk) => splitter.push(chunk));
}

function expectProtocolError(fn: () => unknown, text: string | RegExp): void {
  try {
    fn();
    expect.unreachable('expected a PROTOCOL error');
  } catch (err) {
    expect(isTelemetryError(err, 'PROTOCOL')).toBe(true);
    expect((err as Error).message).toMatch(text);
  }
}

describe('JsonMessageSplitter', () => {
  it('splits coalesced messages given in one chunk', () => {
    expect(feed(new JsonMessageSplitter(), [STREAM])).toEqual(MESSAGES);
  });

  it('handles a split at every byte boundary (including inside strings, escapes and UTF-8 sequences)', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const splitter = new JsonMessageSplitter();
      expect(feed(splitter, [STREAM.subarray(0, cut), STREAM.subarray(cut)])).toEqual(MESSAGES);
      expect(splitter.pendingBytes).toBe(0);
    }
  });

  it('handles the stream fed one byte at a time', () => {
    const bytes = [...STREAM].map((b) => Buffer.from([b]));
    expect(feed(new JsonMessageSplitter(), bytes)).toEqual(MESSAGES);
  });

  it('reports the bytes of an unfinished message', () => {
    const splitter = new JsonMessageSplitter();
    const first = Buffer.from(JSON.stringify(MESSAGES[0]));
    expect(splitter.push(Buffer.concat([first, Buffer.from('{"id":2,')]))).toEqual([MESSAGES[0]]);
    expect(splitter.pendingBytes).toBe(8);
    expect(splitter.push(Buffer.from('"result":[],"error":null}'))).toEqual([{ id: 2, result: [], error: null }]);
    expect(splitter.pendingBytes).toBe(0);
  });

  it('splits any sequence of objects cut anywhere (property)', () => {
    const message = fc.dictionary(fc.string(), fc.jsonValue()) as fc.Arbitrary<JsonObject>;
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (messages, cuts) => {
        const stream = Buffer.from(messages.map((m) => JSON.stringify(m)).join(' '));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const point of [...points, stream.length]) {
          chunks.push(stream.subarray(from, point));
          from = point;
        }
        // JSON.stringify turns -0 into 0: compare with what JSON itself round-trips to.
        expect(feed(new JsonMessageSplitter(), chunks)).toEqual(JSON.parse(`[${messages.map((m) => JSON.stringify(m)).join(',')}]`));
      }),
      { numRuns: 300 },
    );
  });

  it('reassembles a 20 MB message from 64 KiB chunks in linear time', () => {
    const rows: Record<string, unknown> = {};
    for (let i = 0; i < 60_000; i++) {
      rows[`00000000-0000-4000-8000-${i.toString().padStart(12, '0')}`] = {
        initial: { name: `tap${i}`, external_ids: ['map', [['iface-id', `{"quoted"} ${i}`]]], statistics: ['map', [['rx_bytes', i * 1000]]] },
      };
    }
    const text = JSON.stringify({ id: 7, error: null, result: { Interface: rows, padding: 'x'.repeat(20_000_000 - 9_000_000) } });
    const big = Buffer.from(text);
    expect(big.length).toBeGreaterThan(20_000_000);
    const splitter = new JsonMessageSplitter();
    const started = performance.now();
    const chunks: Buffer[] = [];
    for (let off = 0; off < big.length; off += 65536) chunks.push(big.subarray(off, off + 65536));
    const [message, ...rest] = feed(splitter, chunks);
    const elapsed = performance.now() - started;
    expect(rest).toEqual([]);
    const result = message.result as { Interface: Record<string, { initial: { name: string } }> };
    expect(Object.keys(result.Interface)).toHaveLength(60_000);
    expect(result.Interface['00000000-0000-4000-8000-000000059999'].initial.name).toBe('tap59999');
    // Rescanning from the start on every chunk would be quadratic: ~300 chunks x 20 MB.
    expect(elapsed).toBeLessThan(5000);
  });

  it('rejects a message above the size limit, also while it is still arriving', () => {
    const small = new JsonMessageSplitter(100);
    expectProtocolError(() => small.push(Buffer.from(JSON.stringify({ id: 1, result: 'x'.repeat(200) }))), /exceeds the 100-byte limit/);
    const streaming = new JsonMessageSplitter(100);
    expect(streaming.push(Buffer.from('{"id":1,"result":"' + 'x'.repeat(50)))).toEqual([]);
    expectProtocolError(() => streaming.push(Buffer.from('x'.repeat(60))), /exceeds the 100-byte limit/);
  });

  it.each([
    ['a top-level array', '[1,2]', /expected a JSON-RPC message \(a JSON object\) but the stream has "\["/],
    ['a top-level string', '"hello"', /but the stream has """/],
    ['a top-level number', '42', /but the stream has "4"/],
    ['garbage after a message', '{"id":1,"result":null} oops', /but the stream has "o"/],
    ['a stray closing brace', '}', /but the stream has "}"/],
    ['bad JSON inside an object', '{"id":1,"result":}', /malformed JSON in a JSON-RPC message/],
    ['mismatched brackets', '{"a":[}]', /malformed JSON/],
    ['a control byte', '\u0000', /byte 0x00/],
  ])('rejects %s with a PROTOCOL error', (_what, input, message) => {
    const splitter = new JsonMessageSplitter();
    expectProtocolError(() => splitter.push(Buffer.from(input)), message);
    // The stream cannot be resynchronised: later input is refused with the same error.
    expectProtocolError(() => splitter.push(Buffer.from('{"id":2,"result":null}')), message);
  });
});
