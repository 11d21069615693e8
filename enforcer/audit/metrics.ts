/**
 * The enforcer's decisions as metrics (common/metrics-enforcer.ts), for its own /metrics. Every
 * audit entry counts once in ovs_enforcer_actions_total{action,result}, so the log and the
 * counters never disagree.
 */
import { ENFORCER_METRICS as M } from '../../common/metrics-enforcer.js';
import type { MetricCollector, MetricSink } from '../../common/metrics.js';
import type { AuditEntry, AuditSink } from './audit-log.js';

export class EnforcerMetrics implements MetricCollector, AuditSink {
  readonly name = 'enforcer';
  private readonly actions = new Map<string, number>();
  private drift = 0;
  private lastReconcileMs = 0;
  private lastDurationMs = 0;
  private staticActive = 0;
  private alertActive = 0;
  private skipped = new Map<string, number>();
  private isUp = false;

  constructor(private readonly inner: AuditSink) {}

  record(entry: AuditEntry): void {
    const key = `${entry.action}\u0000${entry.result}`;
    this.actions.set(key, (this.actions.get(key) ?? 0) + 1);
    if (entry.action === 'repair' && entry.result === 'ok') this.drift++;
    this.inner.record(entry);
  }

  flush(): void {
    this.inner.flush();
  }

  get driftTotal(): number {
    return this.drift;
  }

  reconciled(finishedAt: number, durationMs: number, staticPolicies: number, alertActions: number, skipped: ReadonlyMap<string, number>): void {
    this.lastReconcileMs = finishedAt;
    this.lastDurationMs = durationMs;
    this.staticActive = staticPolicies;
    this.alertActive = alertActions;
    this.skipped = new Map(skipped);
  }

  /** The active alert actions (a scoped run, which does not count static policies, says this much). */
  alertActions(count: number): void {
    this.alertActive = count;
  }

  setUp(up: boolean): void {
    this.isUp = up;
  }

  collect(sink: MetricSink): void {
    sink.add(M.up, [], this.isUp ? 1 : 0);
    sink.add(M.policiesActive, ['static'], this.staticActive);
    sink.add(M.policiesActive, ['alert'], this.alertActive);
    for (const [key, n] of this.actions) sink.add(M.actions, key.split('\u0000'), n);
    sink.add(M.reconcileDrift, [], this.drift);
    if (this.lastReconcileMs > 0) {
      sink.add(M.lastReconcile, [], this.lastReconcileMs / 1000);
      sink.add(M.reconcileDuration, [], this.lastDurationMs / 1000);
    }
    for (const [mechanism, n] of this.skipped) sink.add(M.portsSkipped, [mechanism], n);
  }
}
