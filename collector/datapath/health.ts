/**
 * Health of one polled target (a bridge's OpenFlow connection, one unixctl command): whether its
 * last poll succeeded, how long it took, when it last succeeded and how many polls failed.
 */
import type { MetricSink } from '../../common/metrics.js';
import { DATAPATH_METRICS as M } from '../../common/metrics-datapath.js';

export type PollSource = 'openflow' | 'unixctl';

export class PollHealth {
  readonly labels: readonly [PollSource, string];
  private polled = false;
  private ok = false;
  private durationSec = 0;
  private lastSuccessSec = 0;
  private errorCount = 0;

  constructor(source: PollSource, target: string) {
    this.labels = [source, target];
  }

  get errors(): number {
    return this.errorCount;
  }

  get succeeded(): boolean {
    return this.ok;
  }

  record(ok: boolean, durationMs: number, nowMs: number = Date.now()): void {
    this.polled = true;
    this.ok = ok;
    this.durationSec = durationMs / 1000;
    if (ok) this.lastSuccessSec = nowMs / 1000;
    else this.errorCount++;
  }

  /** Nothing until the first poll; the last-success time once there was one. */
  collect(sink: MetricSink): void {
    if (!this.polled) return;
    sink.add(M.pollSuccess, this.labels, this.ok ? 1 : 0);
    sink.add(M.pollDuration, this.labels, this.durationSec);
    sink.add(M.pollErrors, this.labels, this.errorCount);
    if (this.lastSuccessSec > 0) sink.add(M.pollLastSuccess, this.labels, this.lastSuccessSec);
  }
}
