/**
 * The replay sender of the ingest benchmarks, run as its own process (fork) with argv[2] the
 * stream to send (a key of STREAMS): the real Open vSwitch datagrams of a capture, replayed as
 * an unbroken export stream (replay-stream.ts) to 127.0.0.1:PORT at a paced rate, whole passes
 * over the capture; each port gets a stream of its own. Commanded over IPC:
 *   → { port, rate, seconds }     ← { sent, passes, elapsedMs }
 */
import { createSocket, type Socket } from 'node:dgram';
import { STREAMS, type StreamName } from './ingest-streams.js';
import type { ReplayStream } from './replay-stream.js';

export interface ReplayCommand {
  readonly port: number;
  /** Datagrams per second. */
  readonly rate: number;
  readonly seconds: number;
}

export interface ReplayResult {
  readonly sent: number;
  readonly passes: number;
  readonly elapsedMs: number;
}

/** Copies of each datagram in flight at once: a copy is rewritten only long after its send. */
const COPIES = 64;
const BATCH = 256;

const makeStream = STREAMS[process.argv[2] as StreamName];
const streams = new Map<number, ReplayStream>();
/** One socket per UDP source of the capture (an exporter's identity is its address and port). */
const sockets: Socket[] = [];

async function replay(cmd: ReplayCommand): Promise<ReplayResult> {
  let stream = streams.get(cmd.port);
  if (stream === undefined) {
    stream = makeStream(COPIES);
    streams.set(cmd.port, stream);
    while (sockets.length < stream.sources) sockets.push(createSocket('udp4'));
  }
  const perPass = stream.datagramsPerPass;
  const passes = Math.max(1, Math.round((cmd.rate * cmd.seconds) / perPass));
  const total = passes * perPass;
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * cmd.rate) + 1);
    for (let n = 0; sent < due && n < BATCH; n++, sent++) {
      const datagram = stream.next();
      sockets[stream.source].send(datagram, cmd.port, '127.0.0.1');
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (sockets.some((s) => s.getSendQueueCount() > 0)) await new Promise((resolve) => setTimeout(resolve, 1));
  return { sent, passes, elapsedMs: performance.now() - start };
}

process.on('message', (cmd: ReplayCommand) => {
  void replay(cmd).then((result) => process.send?.(result));
});
process.on('disconnect', () => sockets.forEach((s) => s.close()));
