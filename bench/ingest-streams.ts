/** The captures the ingest benchmarks replay, each as an unbroken stream (replay-stream.ts). */
import path from 'node:path';
import { loadDatagrams, ovsLabDir } from './ovs-lab.js';
import { ReplayStream, sflowContinuity } from './replay-stream.js';

export const STREAMS = {
  /** ovs-lab/sflow.pcap: Open vSwitch sFlow (flow and counter samples of a two-host lab). */
  sflow: (copies: number) => new ReplayStream(loadDatagrams(path.join(ovsLabDir(), 'sflow.pcap')), sflowContinuity, copies),
};

export type StreamName = keyof typeof STREAMS;
