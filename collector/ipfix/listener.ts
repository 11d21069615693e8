/**
 * The IPFIX / NetFlow UDP listener: one socket (DESIGN.md defaults 127.0.0.1:4739 for IPFIX,
 * 127.0.0.1:2055 for NetFlow; each decodes all three versions), one decode context with its
 * bounded template cache, and the health accounting around the pure decoder. Records go
 * straight to the downstream sink with the exporter's flowDirection; a datagram that fails is
 * counted by reason and logged at most once a minute per reason, and nothing a datagram
 * contains can throw out of the socket handler (collector/udp/receiver.ts).
 */
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { METRICS, type MetricCollector, type MetricSink } from '../../common/metrics.js';
import type { FlowRecord } from '../../common/model.js';
import { UdpReceiver, type BoundAddress } from '../udp/receiver.js';
import { TemplateCache, type TemplateCacheLimits } from './cache.js';
import { NetflowContext } from './context.js';
import { decodeFlowDatagram } from './decode.js';
import { NetflowDecodeError } from './errors.js';
import { NetflowHealth } from './health.js';
import { RunningTotals } from './running-totals.js';
import type { FlowSink, MessageHeader, RecordInfo } from './types.js';

/**
 * Where records go, called synchronously with the decoder's reused record. `flowDirection` is
 * the record's IPFIX flowDirection (element 61: 0 ingress, 1 egress) or -1 when it has none;
 * `header` its message's (who sent it: address, version, observation domain, v5 engine).
 */
export interface ExportedFlowSink {
  exportedFlow(rec: FlowRecord, flowDirection: number, header: MessageHeader): void;
}

export interface NetflowListenerOptions {
  /** The `listener` label: "ipfix" or "netflow". */
  readonly label: string;
  /** HOST:PORT, IPv6 as [ADDR]:PORT; port 0 picks a free port. */
  readonly listenAddress: string;
  /** SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max). */
  readonly receiveBufferBytes: number;
  /** Exporter/version/domain triples whose sequence numbers are tracked. */
  readonly maxExporters: number;
  /** Template cache bounds (defaults: cache.ts DEFAULT_LIMITS). */
  readonly templates?: Partial<TemplateCacheLimits>;
  readonly sink: ExportedFlowSink;
  readonly logger: Logger;
}

/** Counts the records of one datagram on their way to the downstream sink, running totals made deltas. */
class TrackingSink implements FlowSink {
  flows = 0;
  optionsRecords = 0;
  samplingRate = 0;
  readonly totals = new RunningTotals();

  constructor(
    private readonly next: ExportedFlowSink,
    private readonly ctx: NetflowContext,
  ) {}

  reset(): void {
    this.flows = 0;
    this.optionsRecords = 0;
  }

  flow(rec: FlowRecord, info: RecordInfo, header: MessageHeader): void {
    this.flows++;
    if (info.runningTotals !== 0) this.totals.toDeltas(this.ctx.exporterKey, rec, info);
    this.samplingRate = rec.sampling_rate;
    this.next.exportedFlow(rec, info.flowDirection, header);
  }

  options(): void {
    this.optionsRecords++;
  }
}

export class NetflowListener implements MetricCollector {
  readonly name: string;
  /** "IPFIX" or "NetFlow", for log lines. */
  private readonly protocol: string;
  readonly health: NetflowHealth;
  /** Datagrams received, and those decoded without error. */
  received = 0;
  decoded = 0;
  /** Template withdrawals and data sets held for a template, summed over messages. */
  private withdrawn = 0;
  private held = 0;
  private readonly ctx: NetflowContext;
  private readonly tracking: TrackingSink;
  private readonly receiver: UdpReceiver;

  constructor(private readonly opts: NetflowListenerOptions) {
    this.name = opts.label;
    this.protocol = opts.label === 'ipfix' ? 'IPFIX' : 'NetFlow';
    this.health = new NetflowHealth(opts.label, opts.maxExporters);
    this.ctx = new NetflowContext(new TemplateCache(opts.templates));
    this.tracking = new TrackingSink(opts.sink, this.ctx);
    this.receiver = new UdpReceiver({
      label: opts.label,
      protocol: this.protocol,
      listenAddress: opts.listenAddress,
      receiveBufferBytes: opts.receiveBufferBytes,
      logger: opts.logger,
      datagram: (buf, address, port) => this.decode(buf, address, port),
      failed: (err, address) => this.failed(err, address),
    });
  }

  get address(): BoundAddress | null {
    return this.receiver.address;
  }

  get templates(): TemplateCache {
    return this.ctx.templates;
  }

  /** Binds the socket; rejects with TelemetryError('CONNECTION_FAILED') when it cannot. */
  start(): Promise<BoundAddress> {
    return this.receiver.start();
  }

  stop(): Promise<void> {
    return this.receiver.stop();
  }

  /** One datagram from `address`:`port` (its UDP source): what the socket handler does. */
  handle(buf: Uint8Array, address: string, port: number): void {
    this.receiver.deliver(buf, address, port);
  }

  private decode(buf: Uint8Array, address: string, port: number): void {
    this.received++;
    const ctx = this.ctx;
    ctx.timeReceivedNs = this.receiver.receiveTimeNs();
    ctx.setExporter(address, port);
    const t = this.tracking;
    t.reset();
    const h = decodeFlowDatagram(buf, ctx, t);
    this.decoded++;
    this.account(h);
  }

  private account(h: MessageHeader): void {
    const t = this.tracking;
    this.withdrawn += h.templatesWithdrawn;
    this.held += h.heldSets;
    this.health.message(this.ctx.exporterKey, h, t.flows, t.optionsRecords, t.samplingRate);
  }

  private failed(err: unknown, address: string): void {
    if (err instanceof NetflowDecodeError) {
      this.health.decodeError(address, err.reason);
      this.receiver.warn.warn(`decode:${err.reason}`, { exporter: address, reason: err.reason, err: err.message }, `${this.protocol} datagram not decoded (logged once a minute per reason)`);
      return;
    }
    // A bug downstream (enrichment, aggregation, output) must not stop the listener either.
    this.health.decodeError(address, 'internal');
    this.receiver.warn.warn('internal', { exporter: address, err: describeError(err) }, `${this.protocol} datagram handling failed`);
  }

  collect(sink: MetricSink): void {
    const label = this.opts.label;
    const cache = this.ctx.templates;
    // Expiry needs no timer: lookups check it, and each scrape sweeps the rest.
    cache.sweep(Date.now());
    this.receiver.collect(sink);
    this.health.collect(sink);
    for (const s of cache.sessionList()) {
      sink.add(METRICS.ipfixTemplates, [label, s.exporter, String(s.domain), String(s.version)], s.templates.size);
    }
    const st = cache.stats;
    sink.add(METRICS.ipfixTemplatesRemoved, [label, 'evicted'], st.templatesEvicted);
    sink.add(METRICS.ipfixTemplatesRemoved, [label, 'expired'], st.templatesExpired);
    sink.add(METRICS.ipfixTemplatesRemoved, [label, 'withdrawn'], this.withdrawn);
    sink.add(METRICS.ipfixSetsWithoutTemplate, [label, 'held'], this.held);
    sink.add(METRICS.ipfixSetsWithoutTemplate, [label, 'dropped'], st.heldSetsDropped);
    sink.add(METRICS.ipfixSetsWithoutTemplate, [label, 'expired'], st.heldSetsExpired);
    sink.add(METRICS.ipfixHeldSets, [label], cache.heldSets);
  }
}
