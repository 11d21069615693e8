/**
 * Flow records as OTLP log records (event name `ovs.flow`), batched by the SDK's
 * BatchLogRecordProcessor. Each known field of the record becomes an attribute: addresses and
 * ports under the semantic conventions' general names (source.address, destination.port, ...),
 * tenancy under the openstack.* names of the metrics, the rest as ovs.flow.<goflow2 name>.
 * Fields left at 0 / '' (unknown, see FlowRecord) are left out.
 */
import type { Attributes, Logger as OtelLogger } from '@opentelemetry/api';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { Logger } from '../../common/log.js';
import { SampledLog } from '../../common/log.js';
import { FlowRecord } from '../../common/model.js';
import { VERSION } from '../../common/version.js';
import { ExporterStats } from '../stats.js';
import { ATTR_OPENSTACK_NETWORK_ID, ATTR_OPENSTACK_PROJECT_ID } from './names.js';
import { otlpResource, type OtlpResourceOptions } from './resource.js';
import { createLogExporter, type OtlpTransportOptions } from './transport.js';

export const FLOW_EVENT_NAME = 'ovs.flow';

/** FlowRecord field → log attribute, where a convention names it; others are ovs.flow.<field>. */
export const FLOW_ATTRIBUTES: Readonly<Partial<Record<keyof FlowRecord, string>>> = Object.freeze({
  src_addr: 'source.address',
  dst_addr: 'destination.address',
  src_port: 'source.port',
  dst_port: 'destination.port',
  network_id: ATTR_OPENSTACK_NETWORK_ID,
  project_id: ATTR_OPENSTACK_PROJECT_ID,
  proto: 'ovs.flow.ip_protocol',
});

type FlowField = Exclude<keyof FlowRecord, 'reset'>;
// time_received_ns is the log record's timestamp, not an attribute.
const FIELDS: readonly FlowField[] = (Object.keys(new FlowRecord()) as FlowField[]).filter((f) => f !== 'time_received_ns');
const NAMES: readonly string[] = FIELDS.map((f) => FLOW_ATTRIBUTES[f] ?? `ovs.flow.${f}`);

/** The attributes of one flow record (exported for tests and for other log sinks). */
export function flowAttributes(rec: FlowRecord): Attributes {
  const attrs: Attributes = {};
  for (let i = 0; i < FIELDS.length; i++) {
    const value = rec[FIELDS[i]];
    if (value === 0 || value === '' || value === 0n) continue;
    // ns timestamps exceed 2^53: exact as decimal text.
    attrs[NAMES[i]] = typeof value === 'bigint' ? value.toString() : value;
  }
  return attrs;
}

function hrTime(ns: bigint): [number, number] {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

export interface OtlpFlowLogExporterOptions {
  readonly transport: Omit<OtlpTransportOptions, 'protocol'>;
  readonly resource: OtlpResourceOptions;
  /** Records waiting for export at most; more are dropped (and counted) until the queue drains. */
  readonly maxQueue: number;
  readonly batchSize: number;
  readonly delayMillis: number;
  readonly logger: Logger;
  /** Replaces the OTLP log exporter (tests). */
  readonly exporter?: LogRecordExporter;
}

/** Counts records settled (exported or failed), so the queue fill is known exactly. */
class CountingLogExporter implements LogRecordExporter {
  settled = 0;

  constructor(
    private readonly inner: LogRecordExporter,
    private readonly stats: ExporterStats,
    private readonly warn: SampledLog,
  ) {}

  export(logs: ReadableLogRecord[], resultCallback: Parameters<LogRecordExporter['export']>[1]): void {
    this.inner.export(logs, (result) => {
      this.settled += logs.length;
      // ExportResultCode.SUCCESS (@opentelemetry/core) is 0.
      if (result.code === 0) {
        this.stats.succeeded(logs.length);
      } else {
        this.stats.failures++;
        this.stats.dropped.failed += logs.length;
        this.warn.warn('otlp-logs-export', { err: result.error?.message, records: logs.length }, 'OTLP flow log export failed');
      }
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

export class OtlpFlowLogExporter {
  readonly stats: ExporterStats;
  private readonly provider: LoggerProvider;
  private readonly exporter: CountingLogExporter;
  private readonly otel: OtelLogger;
  private emitted = 0;
  private stopped = false;

  constructor(private readonly opts: OtlpFlowLogExporterOptions) {
    this.stats = new ExporterStats('otlp_logs', opts.maxQueue, () => this.pending);
    this.exporter = new CountingLogExporter(opts.exporter ?? createLogExporter(opts.transport), this.stats, new SampledLog(opts.logger));
    this.provider = new LoggerProvider({
      resource: otlpResource(opts.resource),
      processors: [
        new BatchLogRecordProcessor({
          exporter: this.exporter,
          maxQueueSize: opts.maxQueue,
          maxExportBatchSize: Math.min(opts.batchSize, opts.maxQueue),
          scheduledDelayMillis: opts.delayMillis,
          exportTimeoutMillis: opts.transport.timeoutMillis,
        }),
      ],
    });
    this.otel = this.provider.getLogger('ovs-telemetry.flows', VERSION);
  }

  /** Records handed to the SDK and not yet exported or failed. */
  get pending(): number {
    return this.emitted - this.exporter.settled;
  }

  /** Queues one record; false when the queue is full (the record is dropped and counted). */
  export(rec: FlowRecord): boolean {
    if (this.stopped || this.pending >= this.opts.maxQueue) {
      this.stats.dropped.buffer_full++;
      return false;
    }
    this.emitted++;
    this.otel.emit({
      eventName: FLOW_EVENT_NAME,
      timestamp: rec.time_received_ns > 0n ? hrTime(rec.time_received_ns) : undefined,
      attributes: flowAttributes(rec),
    });
    return true;
  }

  async forceFlush(): Promise<void> {
    await this.provider.forceFlush();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.provider.shutdown();
  }
}
