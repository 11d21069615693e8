/**
 * The C replay sender of the ingest benchmarks (bench/replay-sender.c, compiled with cc by
 * replay-sender.ts): what it sends must be, datagram for datagram and byte for byte, what
 * ReplayStream.next() gives for the same stream, each from its source's socket, each port's
 * stream continuing across commands; and the rate it reports is the one it achieved.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { STREAMS } from '../../../bench/ingest-streams.js';
import { encodeReplayTable, ReplaySender } from '../../../bench/replay-sender.js';
import { ReplayStream } from '../../../bench/replay-stream.js';

interface Received {
  readonly payload: Buffer;
  readonly srcPort: number;
}

async function receiver(): Promise<{ socket: Socket; port: number; got: Received[] }> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const got: Received[] = [];
  socket.on('message', (payload, rinfo) => got.push({ payload, srcPort: rinfo.port }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, got };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** What the sender sent must equal `stream.next()`, in order; each source keeps one UDP port, distinct from the others'. */
function expectSameAs(stream: ReplayStream, got: readonly Received[]): void {
  const portOf = new Map<number, number>();
  got.forEach((r, n) => {
    const source = stream.entries()[n % stream.datagramsPerPass].source;
    expect(r.payload.equals(stream.next()), `datagram ${n}`).toBe(true);
    if (!portOf.has(source)) portOf.set(source, r.srcPort);
    expect(r.srcPort).toBe(portOf.get(source));
  });
  expect(new Set(portOf.values()).size).toBe(stream.sources);
}

describe('replay sender', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('encodes the table replay-sender.c reads: header, entries, payloads padded to 4', () => {
    const table = encodeReplayTable([{ payload: Uint8Array.of(1, 2, 3, 4, 5), source: 1, patches: [{ offset: 1, base: 0xfffffffe, perPass: 3 }] }], 2);
    expect(table.toString('hex')).toBe(
      ['4f545253', '01000000', '02000000', '01000000', '05000000', '01000000', '01000000', 'feffffff', '03000000', '0102030405000000'].join(''),
    );
  });

  it.each(['sflow', 'ipfix'] as const)('sends the %s stream as ReplayStream gives it, each port continuing its own stream', async (name) => {
    const stream = STREAMS[name]();
    const sender = ReplaySender.start(stream.entries(), stream.sources);
    cleanups.push(() => sender.stop());
    const [a, b] = [await receiver(), await receiver()];
    cleanups.push(() => a.socket.close(), () => b.socket.close());

    const first = await sender.replay({ port: a.port, rate: 20_000, seconds: (2.4 * stream.datagramsPerPass) / 20_000 });
    expect(first).toMatchObject({ passes: 2, sent: 2 * stream.datagramsPerPass });
    const second = await sender.replay({ port: a.port, rate: 20_000, seconds: 0.001 });
    expect(second).toMatchObject({ passes: 1, sent: stream.datagramsPerPass });
    await sender.replay({ port: b.port, rate: 20_000, seconds: 0.001 });
    await until(() => a.got.length === 3 * stream.datagramsPerPass && b.got.length === stream.datagramsPerPass);

    expectSameAs(stream, a.got); // passes 0, 1 and 2: the second command went on from pass 2
    expectSameAs(STREAMS[name](), b.got); // another port starts at pass 0
  });

  it('wraps patched fields at 2^32 and paces to the rate it reports', async () => {
    // Two datagrams from one source; a counter near 2^32 that moves by 7 a pass, another by 1.
    const payload = (n: number) => Buffer.from([0xff, 0xff, 0xff, 0xfa + n, 0, 0, 0, n, 0xee]);
    const capture = [0, 1].map((n) => ({ payload: payload(n), srcAddr: '127.0.0.1', srcPort: 1 }));
    const stream = new ReplayStream(capture, () => [
      { offset: 0, key: 'wrapping', advance: 6 },
      { offset: 4, key: 'plain', advance: 1 },
    ]);
    const sender = ReplaySender.start(stream.entries(), stream.sources);
    cleanups.push(() => sender.stop());
    const r = await receiver();
    cleanups.push(() => r.socket.close());

    const result = await sender.replay({ port: r.port, rate: 2000, seconds: 0.5 });
    expect(result).toMatchObject({ sent: 1000, passes: 500 });
    // 1,000 datagrams at 2,000/s: the last is due 499.5 ms after the first, never sent before
    // (the sender may be later than that on a busy machine, and then says so).
    expect(result.elapsedMs).toBeGreaterThanOrEqual(499);
    expect(result.elapsedMs).toBeLessThan(2000);
    await until(() => r.got.length === 1000);
    expectSameAs(stream, r.got);
    // Pass 1 of datagram 0: 0xfffffffa + 7 wrapped; pass 499 of datagram 1: 1 + 2 x 499.
    expect(r.got[2].payload.readUInt32BE(0)).toBe(1);
    expect(r.got[999].payload.readUInt32BE(4)).toBe(1 + 2 * 499);
  });
});
