/**
 * Datagrams that failed, counted by sender and reason for a listener's
 * `…_decode_errors_total{…, exporter/agent, reason}`. Bounded: senders beyond `maxSenders`
 * share one "other" entry (a flood of spoofed sources cannot grow it).
 */
import type { MetricSink, MetricSpec } from '../../common/metrics.js';

const OVERFLOW_LABEL = 'other';

interface ErrorCount {
  readonly labels: readonly string[];
  count: number;
}

export class DecodeErrorCounts {
  private readonly bySender = new Map<string, Map<string, ErrorCount>>();
  private totalCount = 0;

  /** `labelPrefix`: label values before (sender, reason), e.g. the listener. */
  constructor(
    private readonly maxSenders: number,
    private readonly labelPrefix: readonly string[] = [],
  ) {}

  /** All errors so far (every sender and reason). */
  get total(): number {
    return this.totalCount;
  }

  add(sender: string, reason: string): void {
    // The cap + 1st sender may be "other" itself.
    const key = this.bySender.has(sender) || this.bySender.size < this.maxSenders ? sender : OVERFLOW_LABEL;
    let byReason = this.bySender.get(key);
    if (byReason === undefined) {
      byReason = new Map();
      this.bySender.set(key, byReason);
    }
    let entry = byReason.get(reason);
    if (entry === undefined) {
      entry = { labels: [...this.labelPrefix, key, reason], count: 0 };
      byReason.set(reason, entry);
    }
    entry.count++;
    this.totalCount++;
  }

  collect(sink: MetricSink, spec: MetricSpec): void {
    for (const byReason of this.bySender.values()) for (const e of byReason.values()) sink.add(spec, e.labels, e.count);
  }
}
