/**
 * sFlow decode throughput on one core: the real Open vSwitch datagrams of
 * ../shared/testdata/ovs-lab/sflow.pcap, decoded over and over into one reused context
 * (records handed to a sink that only counts). Goal: >= 2 million samples/s.
 * Run: `npm run bench`, or after a build `node dist/bench/sflow-decode.js`.
 */
import path from 'node:path';
import { decodeDatagram, SflowContext, type SflowSink } from '../collector/sflow/decode.js';
import { loadDatagrams, ovsLabDir } from './ovs-lab.js';

export async function benchSflowDecode(seconds = 3): Promise<{ name: string; samplesPerSecond: number; datagrams: number; notes: string }> {
  const datagrams = loadDatagrams(path.join(ovsLabDir(), 'sflow.pcap'));
  const ctx = new SflowContext();
  let samples = 0;
  let bytes = 0;
  const sink: SflowSink = {
    flow(rec) {
      samples++;
      bytes += rec.bytes;
    },
    counters(rec) {
      samples++;
      bytes += rec.if_in_octets;
    },
  };
  const pass = () => {
    for (const d of datagrams) decodeDatagram(d, ctx, sink);
  };
  for (let i = 0; i < 2000; i++) pass(); // warm-up: let the JIT settle
  samples = 0;
  let decoded = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 200; i++) pass();
    decoded += 200 * datagrams.length;
    elapsed = process.hrtime.bigint() - start;
  }
  const secs = Number(elapsed) / 1e9;
  const samplesPerSecond = Math.round(samples / secs);
  return {
    name: 'sflow-decode',
    samplesPerSecond,
    datagrams: decoded,
    notes:
      `${datagrams.length} OVS datagrams (ovs-lab/sflow.pcap, ${samples / (decoded / datagrams.length)} samples per pass), ` +
      `${Math.round(decoded / secs)} datagrams/s, one core, records reused (checksum ${bytes % 1000})`,
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchSflowDecode()));
}
