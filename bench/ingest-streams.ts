/** The captures the ingest benchmarks replay, each as an unbroken stream (replay-stream.ts). */
import path from 'node:path';
import { decodeFlowDatagram, NetflowContext, type FlowSink } from '../collector/ipfix/decode.js';
import { loadCapture, ovsLabDir } from './ovs-lab.js';
import { ipfixContinuity, ReplayStream, sflowContinuity } from './replay-stream.js';

/** Data records (flow and options) of each datagram, decoded in capture order (templates first). */
function ipfixRecords(): (datagram: Uint8Array) => number {
  const ctx = new NetflowContext();
  let records = 0;
  const sink: FlowSink = { flow: () => void records++, options: () => void records++ };
  ctx.setExporter('127.0.0.1', 0);
  return (d) => {
    records = 0;
    decodeFlowDatagram(d, ctx, sink);
    return records;
  };
}

export const STREAMS = {
  /** ovs-lab/sflow.pcap: Open vSwitch sFlow (flow and counter samples of a two-host lab). */
  sflow: () => new ReplayStream(loadCapture(path.join(ovsLabDir(), 'sflow.pcap')), sflowContinuity),
  /**
   * ovs-lab/ipfix.pcap: Open vSwitch IPFIX of two bridges (each its observation domain): its
   * template messages first, then one flow record a message; every pass sends the templates
   * again, as OVS refreshes them.
   */
  ipfix: () => new ReplayStream(loadCapture(path.join(ovsLabDir(), 'ipfix.pcap')), ipfixContinuity(ipfixRecords())),
};

export type StreamName = keyof typeof STREAMS;
