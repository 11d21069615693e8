/**
 * A receiver of the ingest benchmark, run as its own process (fork) with argv[2] the mode and
 * argv[3] the receive buffer to ask for:
 * - `listener`: ovs-telemetry's SflowListener with the whole pipeline the collector runs
 *   (enrichment against the ovs-lab OVSDB state, aggregation with top talkers);
 * - `bare`: a Node UDP socket whose handler only counts (the floor of any Node receiver).
 * Both bind 127.0.0.1:0 with the same receive buffer, send { port } when bound, and answer
 * { cmd: 'stats' } with { received, decoded, lostDatagrams }.
 */
import { createSocket } from 'node:dgram';
import { silentLogger } from '../common/log.js';
import { FlowAggregator } from '../collector/flows/aggregate.js';
import { FlowEnricher } from '../collector/flows/enrich.js';
import { FlowPipeline } from '../collector/flows/pipeline.js';
import { SflowListener } from '../collector/sflow/listener.js';
import { loadOvsLab } from './ovs-lab.js';

export interface ReceiverStats {
  readonly received: number;
  readonly decoded: number;
  readonly lostDatagrams: number;
}

const mode = process.argv[2];
const receiveBufferBytes = Number(process.argv[3]);

async function listener(): Promise<{ port: number; stats: () => ReceiverStats }> {
  const lab = loadOvsLab();
  const enricher = new FlowEnricher({ interfaces: () => lab.interfaces, networks: () => lab.mapping.networks.values(), maxPortNames: 65_536 });
  const aggregator = new FlowAggregator({ maxNetworks: 4096, topTalkers: 10, windowSeconds: 600 });
  const l = new SflowListener({
    listenAddress: '127.0.0.1:0',
    receiveBufferBytes,
    maxAgents: 1024,
    maxSources: 65_536,
    sink: new FlowPipeline({ enricher, aggregator }),
    logger: silentLogger,
  });
  const { port } = await l.start();
  const lost = () => [0, 1].reduce((n, sub) => n + (l.health.agent('127.0.0.1', sub)?.lostDatagrams ?? 0), 0);
  return { port, stats: () => ({ received: l.received, decoded: l.decoded, lostDatagrams: lost() }) };
}

async function bare(): Promise<{ port: number; stats: () => ReceiverStats }> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: receiveBufferBytes });
  let received = 0;
  socket.on('message', () => void received++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, stats: () => ({ received, decoded: received, lostDatagrams: 0 }) };
}

const receiver = mode === 'listener' ? await listener() : mode === 'bare' ? await bare() : null;
if (receiver === null) throw new Error(`unknown receiver mode ${mode}`);
process.on('message', () => process.send?.(receiver.stats()));
process.on('disconnect', () => process.exit(0));
process.send?.({ port: receiver.port });
