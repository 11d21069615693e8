/**
 * sFlow decode → enrich → aggregate on one core: the real Open vSwitch datagrams of
 * ../shared/testdata/ovs-lab/sflow.pcap, replayed as one unbroken stream (replay-stream.ts:
 * the rewriting of sequence numbers is inside the measured loop), through
 * SflowListener.handle() with the collector's pipeline (enrichment against that lab's OVSDB,
 * aggregation with top talkers). Run in its own process with the collector's V8 flags
 * (sflow-ingest.ts forks it); also `node --optimize-for-size dist/bench/sflow-pipeline.js`.
 */
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../common/log.js';
import { decodeDatagram, SflowContext, type SflowSink } from '../collector/sflow/decode.js';
import { SflowListener } from '../collector/sflow/listener.js';
import { STREAMS } from './ingest-streams.js';
import { labPipeline } from './ovs-lab.js';

const SECONDS = 3;
const WINDOW_MS = 500;

/**
 * Samples per second in 0.5 s windows: of wall-clock time (best and median window: the best is
 * the least disturbed on a shared machine) and of the CPU time this process got in the window
 * (best and median: on a machine busy with other work, what one core does).
 */
export interface Rates {
  readonly wall: readonly [number, number];
  readonly cpu: readonly [number, number];
}

export interface PipelineRates {
  readonly pipeline: Rates;
  readonly decodeOnly: Rates;
  readonly samplesPerDatagram: number;
}

function bestAndMedian(values: number[]): [number, number] {
  values.sort((a, b) => a - b);
  return [Math.round(values[values.length - 1]), Math.round(values[values.length >> 1])];
}

/** Samples per second of `handle` over the stream (see Rates). */
export function samplesPerSecond(samplesPerPass: number, handle: () => void, datagramsPerPass: number): Rates {
  const pass = () => {
    for (let i = 0; i < datagramsPerPass; i++) handle();
  };
  for (let i = 0; i < 3000; i++) pass(); // let the JIT settle
  const wall: number[] = [];
  const cpu: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    let passes = 0;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    while (performance.now() - start < WINDOW_MS) {
      for (let i = 0; i < 50; i++) pass();
      passes += 50;
    }
    const used = process.cpuUsage(cpuStart);
    wall.push((passes * samplesPerPass) / ((performance.now() - start) / 1000));
    cpu.push((passes * samplesPerPass) / ((used.user + used.system) / 1e6));
  }
  return { wall: bestAndMedian(wall), cpu: bestAndMedian(cpu) };
}

export function measurePipeline(): PipelineRates {
  const listener = new SflowListener({
    listenAddress: '127.0.0.1:0',
    receiveBufferBytes: 0,
    maxAgents: 1024,
    maxSources: 65_536,
    sink: labPipeline(),
    logger: silentLogger,
  });
  const stream = STREAMS.sflow();
  const counting: SflowSink = { flow: () => undefined, counters: () => undefined };
  const ctx = new SflowContext();
  let samplesPerPass = 0;
  for (let i = 0; i < stream.datagramsPerPass; i++) samplesPerPass += decodeDatagram(stream.next(), ctx, counting).sampleCount;
  // The pipeline first: once decode-only has run, the decoder's call to its sink has seen two
  // sinks and is slower than in a collector, which has one.
  const pipeline = samplesPerSecond(samplesPerPass, () => listener.handle(stream.next(), '127.0.0.1'), stream.datagramsPerPass);
  const decodeOnly = samplesPerSecond(samplesPerPass, () => decodeDatagram(stream.next(), ctx, counting), stream.datagramsPerPass);
  const agent = listener.health.agent('127.0.0.1', 0);
  if (listener.health.decodeErrors !== 0 || agent === undefined || agent.lostDatagrams + agent.lostFlowSamples + agent.restarts !== 0) {
    throw new Error('the replayed stream did not decode as one unbroken stream');
  }
  return { pipeline, decodeOnly, samplesPerDatagram: samplesPerPass / stream.datagramsPerPass };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rates = measurePipeline();
  if (process.send !== undefined) process.send(rates);
  else console.log(JSON.stringify(rates));
}
