/**
 * The sFlow replay sender of the ingest benchmark, run as its own process (fork): sends the
 * real OVS datagrams of ovs-lab/sflow.pcap to 127.0.0.1:PORT at a paced rate, whole passes over
 * the capture, with each datagram's sequence number rewritten so a receiver sees one unbroken
 * stream per agent and sub-agent. Commanded over IPC:
 *   → { port, rate, seconds }     ← { sent, passes, elapsedMs }
 */
import { createSocket } from 'node:dgram';
import path from 'node:path';
import { loadDatagrams, ovsLabDir } from './ovs-lab.js';

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
const RING_PASSES = 64;
const BATCH = 256;

const datagrams = loadDatagrams(path.join(ovsLabDir(), 'sflow.pcap'));
/** Offset of the datagram sequence number: after version, address type, address and sub-agent id. */
const sequenceOffset = datagrams.map((d) => (new DataView(d.buffer, d.byteOffset).getUint32(4) === 2 ? 28 : 16));
/** The stream (agent address + sub-agent) of each datagram, as a key. */
const streamOf = datagrams.map((d, i) => Buffer.from(d.subarray(8, sequenceOffset[i])).toString('hex'));
const ring = Array.from({ length: RING_PASSES }, () => datagrams.map((d) => Buffer.from(d)));
const sequences = new Map<string, number>();

const socket = createSocket('udp4');

function nextSequence(stream: string): number {
  const seq = ((sequences.get(stream) ?? 0) + 1) >>> 0;
  sequences.set(stream, seq);
  return seq;
}

async function replay(cmd: ReplayCommand): Promise<ReplayResult> {
  const passes = Math.max(1, Math.round((cmd.rate * cmd.seconds) / datagrams.length));
  const total = passes * datagrams.length;
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * cmd.rate) + 1);
    for (let n = 0; sent < due && n < BATCH; n++, sent++) {
      const i = sent % datagrams.length;
      const buf = ring[Math.floor(sent / datagrams.length) % RING_PASSES][i];
      buf.writeUInt32BE(nextSequence(streamOf[i]), sequenceOffset[i]);
      socket.send(buf, cmd.port, '127.0.0.1');
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (socket.getSendQueueCount() > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  return { sent, passes, elapsedMs: performance.now() - start };
}

process.on('message', (cmd: ReplayCommand) => {
  void replay(cmd).then((result) => process.send?.(result));
});
process.on('disconnect', () => socket.close());
