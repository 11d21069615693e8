/**
 * A receiver of the ingest benchmarks, run as its own process (fork) with argv[2] the mode and
 * argv[3] the receive buffer to ask for:
 * - `sflow`: ovs-telemetry's SflowListener with the whole pipeline the collector runs
 *   (enrichment against the ovs-lab OVSDB state, aggregation with top talkers);
 * - `ipfix`: its NetflowListener (template cache defaults) with the same pipeline;
 * - `bare`: a node:dgram socket whose handler only counts (the ceiling of a node:dgram receiver);
 * - `bare-batch`: the native batch socket the listeners use (recvmmsg), only counting: the
 *   ceiling of our own receive path.
 * Each binds 127.0.0.1:0 with that receive buffer, sends { port } when bound, and answers
 * any message with its ReceiverStats.
 */
import { createSocket } from 'node:dgram';
import { silentLogger } from '../common/log.js';
import { METRICS } from '../common/metrics.js';
import { NetflowListener } from '../collector/ipfix/listener.js';
import { BatchSocket, loadBatchSocket } from '../collector/udp/batch-socket.js';
import { SflowListener } from '../collector/sflow/listener.js';
import { labPipeline } from './ovs-lab.js';

export interface ReceiverStats {
  /** Datagrams handled without a decode error. */
  readonly decoded: number;
  /** Datagrams the receiver saw missing from sequence numbers (0 where it cannot tell). */
  readonly lost: number;
}

type Receiver = { port: number; stats: () => ReceiverStats };

const receiveBufferBytes = Number(process.argv[3]);

async function sflow(): Promise<Receiver> {
  const l = new SflowListener({
    listenAddress: '127.0.0.1:0',
    receiveBufferBytes,
    maxAgents: 1024,
    maxSources: 65_536,
    sink: labPipeline(),
    logger: silentLogger,
  });
  const { port } = await l.start();
  const lost = () => [0, 1].reduce((n, sub) => n + (l.health.agent('127.0.0.1', sub)?.lostDatagrams ?? 0), 0);
  return { port, stats: () => ({ decoded: l.decoded, lost: lost() }) };
}

async function ipfix(): Promise<Receiver> {
  const l = new NetflowListener({ label: 'ipfix', listenAddress: '127.0.0.1:0', receiveBufferBytes, maxExporters: 1024, sink: labPipeline(), logger: silentLogger });
  const { port } = await l.start();
  // Records missing from the exporters' sequence numbers, as the listener reports them.
  const lost = () => {
    let n = 0;
    l.health.collect({ add: (spec, _labels, value) => void (spec === METRICS.ipfixLostRecords ? (n += value) : 0) });
    return n;
  };
  return { port, stats: () => ({ decoded: l.decoded, lost: lost() }) };
}

async function bare(): Promise<Receiver> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: receiveBufferBytes });
  let received = 0;
  socket.on('message', () => void received++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, stats: () => ({ decoded: received, lost: 0 }) };
}

async function bareBatch(): Promise<Receiver> {
  const loaded = loadBatchSocket();
  if ('reason' in loaded) throw new Error(loaded.reason);
  let received = 0;
  const nothing = () => undefined;
  const socket = new BatchSocket(loaded.addon, '127.0.0.1', 0, receiveBufferBytes, () => void received++, nothing, nothing, nothing);
  return { port: socket.port, stats: () => ({ decoded: received, lost: 0 }) };
}

const MODES: Record<string, () => Promise<Receiver>> = { sflow, ipfix, bare, 'bare-batch': bareBatch };

const mode = MODES[process.argv[2]];
if (mode === undefined) throw new Error(`unknown receiver mode ${process.argv[2]}`);
const receiver = await mode();
process.on('message', () => process.send?.(receiver.stats()));
process.on('disconnect', () => process.exit(0));
process.send?.({ port: receiver.port });
