/**
 * The IPFIX listener on one core, without the socket: the real Open vSwitch datagrams of
 * ../shared/testdata/ovs-lab/ipfix.pcap replayed as one unbroken stream (replay-stream.ts; its
 * rewriting is inside the measured loop, and every pass re-sends the templates as OVS refreshes
 * them) through NetflowListener.handle() with the collector's flow pipeline: what ipfix-ingest's
 * receiver does per datagram, minus the kernel and the event loop. Datagrams per second, as
 * sflow-pipeline.ts measures samples. Run after a build with the collector's V8 flag:
 * `node_modules/.bin/node --optimize-for-size dist/bench/ipfix-pipeline.js` (--cpu-prof to profile).
 */
import { silentLogger } from '../common/log.js';
import { METRICS } from '../common/metrics.js';
import { NetflowListener } from '../collector/ipfix/listener.js';
import { STREAMS } from './ingest-streams.js';
import { labPipeline } from './ovs-lab.js';
import { samplesPerSecond, type Rates } from './sflow-pipeline.js';

/** The capture's exporters get a UDP port each from here, as the replay sender's sockets do. */
const SOURCE_PORT = 40_000;

export function measureIpfixListener(): Rates {
  const listener = new NetflowListener({ label: 'ipfix', listenAddress: '127.0.0.1:0', receiveBufferBytes: 0, maxExporters: 1024, sink: labPipeline(), logger: silentLogger });
  const stream = STREAMS.ipfix();
  const handle = () => {
    const d = stream.next();
    listener.handle(d, '127.0.0.1', SOURCE_PORT + stream.source);
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
