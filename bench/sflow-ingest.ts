/**
 * sFlow ingest benchmark, two parts:
 * 1. Decode → enrich → aggregate on one core (sflow-pipeline.ts, in its own process with the
 *    collector's V8 flags). Goal: >= 2 million samples/s.
 * 2. UDP ingest on loopback (ingest-harness.ts): ovs-telemetry's SflowListener with its whole
 *    pipeline, a bare Node receive loop, and pmacct's sfacctd (memory plugin; what it
 *    accounted is read with `pmacct -s`: without renormalisation a flow sample counts as one
 *    packet), searched side by side for their highest loss-free rate, then saturated for
 *    their datagrams per CPU second. Goals: >= 5x sfacctd (as Debian configures it), >= 70%
 *    of the bare loop.
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { COLLECTOR_V8_FLAGS, compareIngest, FLUSH_SOURCE, sibling } from './ingest-harness.js';
import type { PipelineRates, Rates } from './sflow-pipeline.js';
import type { BenchResult } from './run.js';

/** The protocol of the flush stream's packets: 253, "for experimentation" (RFC 3692). */
const FLUSH_PROTO = 253;
const FLUSH_SAMPLES = 10;

/**
 * An sFlow datagram from agent 127.0.0.2 (not the replayed stream's) with FLUSH_SAMPLES flow
 * samples of an Ethernet/IPv4 header from FLUSH_SOURCE (sflow_version_5.txt layouts).
 */
function flushDatagram(sequence: number): Buffer {
  const header = Buffer.alloc(36); // 14 Ethernet + 20 IPv4, padded to 4
  header.writeUInt16BE(0x0800, 12);
  header.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, FLUSH_PROTO, 0, 0, ...FLUSH_SOURCE.split('.').map(Number), 10, 255, 0, 2], 14);
  const sample = Buffer.alloc(8 + 32 + 8 + 16 + header.length);
  let o = sample.writeUInt32BE(1, 0); // flow_sample
  o = sample.writeUInt32BE(sample.length - 8, o);
  for (const v of [sequence, 1, 1, sequence, 0, 1, 2, 1]) o = sample.writeUInt32BE(v, o); // seq, source, rate, pool, drops, in, out, records
  for (const v of [1, 16 + header.length, 1, 68, 4, 34]) o = sample.writeUInt32BE(v, o); // raw header: tag, length, protocol, frame, stripped, header length
  header.copy(sample, o);
  const head = Buffer.alloc(28);
  [5, 1, 0x7f000002, 0, sequence, sequence * 10, FLUSH_SAMPLES].forEach((v, i) => head.writeUInt32BE(v, i * 4));
  return Buffer.concat([head, ...Array.from({ length: FLUSH_SAMPLES }, () => sample)]);
}

function measurePipeline(): Promise<PipelineRates> {
  const child = fork(sibling('sflow-pipeline'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: COLLECTOR_V8_FLAGS });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as PipelineRates));
    child.once('exit', (code) => reject(new Error(`sflow-pipeline exited with ${code}`)));
  });
}

export async function benchSflowIngest(): Promise<BenchResult> {
  const loadStart = loadavg()[0].toFixed(2);
  const one = await measurePipeline();
  const text = (r: Rates) => `${r.wall[0]} (median window ${r.wall[1]}); per CPU second ${r.cpu[0]} (median ${r.cpu[1]})`;
  process.stderr.write(`  decode only ${text(one.decodeOnly)}; decode+enrich+aggregate ${text(one.pipeline)} samples/s\n`);

  const { ours, figures, goals } = await compareIngest({ stream: 'sflow', listenerMode: 'sflow', daemon: 'sfacctd', flushDatagram });
  return {
    name: 'sflow-ingest',
    figures: {
      load_average_1m: `${loadStart} at the start, ${loadavg()[0].toFixed(2)} at the end (2 cores)`,
      capture: `ovs-lab/sflow.pcap, ${one.samplesPerDatagram.toFixed(2)} samples a datagram`,
      decode_only_samples_per_s: text(one.decodeOnly),
      decode_enrich_aggregate_samples_per_s: text(one.pipeline),
      ...figures,
      ovs_telemetry_lossless_samples_per_s: Math.round(ours.rate * one.samplesPerDatagram),
    },
    goals: [{ goal: 'decode+enrich+aggregate >= 2 million samples/s on one core', met: one.pipeline.wall[0] >= 2_000_000 }, ...goals],
  };
}
