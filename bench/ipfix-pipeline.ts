/**
 * The IPFIX listener on one core, without the socket: the real Open vSwitch datagrams of
 * ../shared/testdata/ovs-lab/ipfix.pcap replayed as one unbroken stream (replay-stream.ts; its
 * rewriting is inside the measured loop, and every pass re-sends the templates as OVS refreshes
 * them) through NetflowListener.handle() with the collector's flow pipeline: what ipfix-ingest's
 * receiver does per datagram, minus the kernel and the event loop. Datagrams per second, as
 * sflow-pipeline.ts measures samples. Run after a build with the collector's V8 flag:
 * `node_modules/.bin/node --optimize-for-size dist/bench/ipfix-pipeline.js` (--cpu-prof to profile).
 */
import path from 'node:path';
import { silentLogger } from '../common/log.js';
import { METRICS } from '../common/metrics.js';
import { NetflowListener } from '../collector/ipfix/listener.js';
import { STREAMS } from './ingest-streams.js';
import { labPipeline, loadCapture, ovsLabDir } from './ovs-lab.js';
import { samplesPerSecond, type Rates } from './sflow-pipeline.js';

export function measureIpfixListener(): Rates {
  const listener = new NetflowListener({ label: 'ipfix', listenAddress: '127.0.0.1:0', receiveBufferBytes: 0, maxExporters: 1024, sink: labPipeline(), logger: silentLogger });
  const stream = STREAMS.ipfix();
  // The stream gives the capture's datagrams in order, pass after pass: each from its exporter.
  const from = loadCapture(path.join(ovsLabDir(), 'ipfix.pcap'));
  let n = 0;
  const handle = () => {
    const d = from[n++ % from.length];
    listener.handle(stream.next(), d.srcAddr, d.srcPort);
  };
  const rates = samplesPerSecond(stream.datagramsPerPass, handle, stream.datagramsPerPass);
  let lost = 0;
  listener.health.collect({ add: (spec, _labels, value) => void (spec === METRICS.ipfixLostRecords ? (lost += value) : 0) });
  if (listener.decoded !== listener.received || lost !== 0) throw new Error('the replayed stream did not decode as one unbroken stream');
  return rates;
}

if (import.meta.main) {
  console.log(JSON.stringify(measureIpfixListener()));
}
