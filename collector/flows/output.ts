/**
 * The flow-record output: enriched records as goflow2-compatible JSON lines (DESIGN.md
 * "Records") to a file or stdout. Lines are batched into chunks; what the stream has not yet
 * taken plus the open chunk never exceeds `maxBufferedBytes`: past that a record is dropped
 * and counted, so a slow consumer costs records, never the collector's memory.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { counterRecordToJson, type CounterRecord } from '../../common/counters.js';
import { METRICS, type MetricSink } from '../../common/metrics.js';
import { flowRecordToJson, type FlowRecord } from '../../common/model.js';

const CHUNK_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 1000;

export interface FlowRecordWriterOptions {
  readonly stream: Writable;
  /** Label of the output in metrics (the path, or "stdout"). */
  readonly name: string;
  readonly maxBufferedBytes: number;
  readonly includeCounters: boolean;
}

export class FlowRecordWriter {
  written = 0;
  dropped = 0;
  private chunk = '';
  private readonly labels: readonly string[];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: FlowRecordWriterOptions) {
    this.labels = [opts.name];
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
    // A consumer that goes away (EPIPE) ends the output, not the collector.
    opts.stream.on('error', () => undefined);
  }

  /** Opens `path` for appending ("-" = stdout). */
  static open(path: string, maxBufferedBytes: number, includeCounters: boolean): FlowRecordWriter {
    const stream = path === '-' ? process.stdout : createWriteStream(path, { flags: 'a' });
    return new FlowRecordWriter({ stream, name: path === '-' ? 'stdout' : path, maxBufferedBytes, includeCounters });
  }

  flow(rec: FlowRecord): void {
    if (this.full()) this.dropped++;
    else this.line(flowRecordToJson(rec));
  }

  counters(rec: CounterRecord): void {
    if (!this.opts.includeCounters) return;
    if (this.full()) this.dropped++;
    else this.line(counterRecordToJson(rec));
  }

  flush(): void {
    if (this.chunk === '' || this.opts.stream.destroyed) return;
    this.opts.stream.write(this.chunk);
    this.chunk = '';
  }

  /** Flushes and ends the stream (stdout is flushed, not ended). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    const stream = this.opts.stream;
    if (stream === process.stdout || stream.destroyed) return;
    await new Promise<void>((resolve) => stream.end(() => resolve()));
  }

  collect(sink: MetricSink): void {
    sink.add(METRICS.flowRecordsWritten, this.labels, this.written);
    sink.add(METRICS.flowRecordsDropped, this.labels, this.dropped);
  }

  private full(): boolean {
    // Chunk length in UTF-16 units: JSON lines are ASCII but for names, close enough for a cap.
    return this.opts.stream.destroyed || this.opts.stream.writableLength + this.chunk.length >= this.opts.maxBufferedBytes;
  }

  private line(text: string): void {
    this.chunk += text;
    this.chunk += '\n';
    this.written++;
    if (this.chunk.length >= CHUNK_BYTES) this.flush();
  }
}
