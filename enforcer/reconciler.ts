/**
 * The reconcile loop: desired state (static policies + active alert actions) against actual
 * state (the backend's OVSDB replica and OpenFlow read-back), applying only the difference.
 * Runs on every OVSDB change (the monitor), every OpenFlow poll and every TTL expiry; runs
 * never overlap (a trigger during a run starts one more run after it). An alert asks for a run
 * over the ports its action names only (a scoped run: no expiry, no garbage collection, the
 * other ports' memory left as it is), so its latency does not grow with the number of ports;
 * the OVSDB change it causes then brings a full run.
 *
 * Drift: a mechanism that was in place in an earlier run and now differs, while what is wanted
 * stayed the same, was changed by someone else: it is repaired and counted.
 * Safety: no limit below the floor is applied; at most N changes per minute (the rest wait for
 * the window to free up); dry-run plans and records but changes nothing.
 *
 * The OVSDB client uses one connection for its monitor and its transactions, and ovsdb-server
 * sends a transaction's monitor updates before its reply, so the replica already shows our own
 * changes when the next run reads it (our own writes are never mistaken for drift).
 */
import type { Logger } from '../common/log.js';
import { describeError } from '../common/errors.js';
import type { ActionStore, AlertAction } from './actions/store.js';
import type { AuditAction, AuditEntry, AuditResult } from './audit/audit-log.js';
import type { EnforcerMetrics } from './audit/metrics.js';
import type { CompiledPolicy } from './policy/compile.js';
import { describeLimits, type Floor } from './policy/limits.js';
import { PolicyResolver, throttleApplies, type ThrottleRef } from './policy/resolve.js';
import type { Target } from './policy/selector.js';
import { changeKey, fingerprint, MECHANISMS, type Backend, type Change, type Finding, type PortDesire } from './apply/types.js';

export interface ReconcilerOptions<P extends Target, C extends Change> {
  readonly backend: Backend<P, C>;
  readonly policies: readonly CompiledPolicy[];
  readonly actions: ActionStore;
  readonly floor: Floor;
  readonly maxChangesPerMinute: number;
  readonly dryRun: boolean;
  readonly audit: EnforcerMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface ReconcileReport {
  readonly ready: boolean;
  readonly applied: number;
  readonly failed: number;
  readonly repaired: number;
  readonly rejected: number;
  readonly planned: readonly Change[];
}

const WINDOW_MS = 60_000;
/** After a failure or conflict, try again: soon, then backing off to MAX_RETRY_MS. */
const RETRY_MS = 200;
const MAX_RETRY_MS = 30_000;

function describeTarget(t: Target | null): Record<string, unknown> {
  if (t === null) return { scope: 'host' };
  return { target: t.key, interface: t.interface, bridge: t.bridge, neutron_port_id: t.neutronPortId, network_id: t.networkId, project_id: t.projectId };
}

/** Who decided: the winning policy, else the alert mapping, else the reconciler itself. */
function whoOf(change: Change, throttles: ReadonlyMap<string, AlertAction>): string {
  const r = change.resolution;
  const alert = r?.throttles.map((id) => throttles.get(id)?.mapping).find((m) => m !== undefined);
  if (alert !== undefined) return `alert:${alert}`;
  if (r?.policy) return `policy:${r.policy}`;
  return 'reconciler';
}

function changeEntry(change: Change, throttles: ReadonlyMap<string, AlertAction>, action: AuditAction, result: AuditResult, extra: Partial<AuditEntry>): AuditEntry {
  const r = change.resolution;
  return {
    who: whoOf(change, throttles), action, result,
    what: { mechanism: change.mechanism, ...describeTarget(change.target) },
    why: r
      ? { policy: r.policy, throttles: r.throttles, explanation: r.explanation, limits: describeLimits(r.limits), ...(action === 'repair' ? { drift: 'changed or removed by someone else' } : {}) }
      : { reason: 'owned state nothing asks for' },
    before: change.before, after: change.after, ...extra,
  };
}

/** Removes, in place, what `memory` holds about these targets (its keys are `TARGET#MECHANISM`). */
function forget(memory: Map<string, string> | Set<string>, targets: readonly Target[]): void {
  for (const t of targets) for (const m of MECHANISMS) memory.delete(changeKey(t.key, m));
}

export class Reconciler<P extends Target, C extends Change> {
  private readonly now: () => number;
  private readonly resolver: PolicyResolver;
  /** Mechanisms found in place: key → fingerprint of the desired state then. */
  private satisfied = new Map<string, string>();
  /** Findings already reported: key → fingerprint of the state reported. */
  private reported = new Map<string, string>();
  /** Changes waiting for the change cap, already reported as rejected. */
  private deferred = new Set<string>();
  private readonly window: number[] = [];
  private running: Promise<ReconcileReport> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private deciding = false;
  private stopped = false;
  /** When a full run is due (epoch ms), or null; and who waits for one. */
  private fullDueAt: number | null = null;
  private fullWaiters: ((report: ReconcileReport) => void)[] = [];
  /** Alert actions whose ports wait for a scoped run, and who waits for it. */
  private scope: ThrottleRef[] = [];
  private scopeWaiters: ((report: ReconcileReport) => void)[] = [];
  /** When changes held back by the change cap may go (epoch ms), or null. */
  private capFreeAt: number | null = null;
  private failStreak = 0;

  constructor(private readonly opts: ReconcilerOptions<P, C>) {
    this.now = opts.now ?? Date.now;
    this.resolver = new PolicyResolver(opts.policies);
  }

  /** Asks for a full run within `delayMs` (coalesced with other requests); nobody waits for it. */
  request(delayMs: number): void {
    this.wantFull(delayMs);
    this.next();
  }

  /** Asks for a full run within `delayMs`; resolves with the report of a run that started after the call. */
  trigger(delayMs = 0): Promise<ReconcileReport> {
    const done = new Promise<ReconcileReport>((resolve) => this.fullWaiters.push(resolve));
    this.request(delayMs);
    return done;
  }

  /**
   * Reconciles the ports these alert actions name, as soon as no run is in progress (a pending
   * full run does not hold it up); resolves with the report of the run that covered them.
   */
  reconcileScope(scope: readonly ThrottleRef[]): Promise<ReconcileReport> {
    const done = new Promise<ReconcileReport>((resolve) => this.scopeWaiters.push(resolve));
    this.scope.push(...scope);
    this.next();
    return done;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  private wantFull(delayMs: number): void {
    const at = this.now() + delayMs;
    if (this.fullDueAt === null || at < this.fullDueAt) this.fullDueAt = at;
  }

  /**
   * Looks for what to run once the current event is handled (requests of the same moment share
   * a run, and a run never starts inside a replica update, half applied).
   */
  private next(): void {
    if (this.stopped || this.running || this.deciding) return;
    this.deciding = true;
    setImmediate(() => {
      this.deciding = false;
      this.decide();
    });
  }

  /** Starts what is due (a full run, else a scoped one), or sets the timer for the next full run. */
  private decide(): void {
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    if (this.fullDueAt !== null && this.fullDueAt <= now) {
      // A full run covers every port: those who wait for a scoped one are answered by it too.
      const waiters = [...this.fullWaiters.splice(0), ...this.scopeWaiters.splice(0)];
      this.fullDueAt = null;
      this.scope = [];
      void this.start(null, waiters);
    } else if (this.scope.length > 0) {
      const scope = this.scope;
      this.scope = [];
      void this.start(scope, this.scopeWaiters.splice(0));
    } else if (this.fullDueAt !== null) {
      this.timer = setTimeout(() => {
        // Due now (also when the clock given is not the timers' clock).
        if (this.fullDueAt !== null) this.fullDueAt = Math.min(this.fullDueAt, this.now());
        this.next();
      }, this.fullDueAt - now);
    }
  }

  private async start(scope: readonly ThrottleRef[] | null, waiters: readonly ((report: ReconcileReport) => void)[]): Promise<void> {
    this.running = this.runOnce(scope);
    let report: ReconcileReport;
    try {
      report = await this.running;
    } catch (err) {
      this.opts.logger.error({ err: describeError(err) }, 'enforcer: reconcile failed');
      report = { ready: false, applied: 0, failed: 1, repaired: 0, rejected: 0, planned: [] };
    } finally {
      this.running = null;
    }
    for (const w of waiters) w(report);
    this.failStreak = report.failed > 0 ? this.failStreak + 1 : 0;
    if (this.failStreak > 0) this.wantFull(Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** (this.failStreak - 1)));
    for (const at of [this.opts.actions.nextExpiry(), this.capFreeAt]) {
      if (at !== null) this.wantFull(Math.max(0, at - this.now()));
    }
    this.next();
  }

  private record(entry: AuditEntry): void {
    this.opts.audit.record(entry);
  }

  private async expireActions(): Promise<void> {
    const expired = this.opts.actions.expire(this.now());
    for (const a of expired) {
      this.record({
        who: `alert:${a.mapping}`, action: 'expire', result: this.opts.dryRun ? 'dry_run' : 'ok',
        what: { [a.targetLabel]: a.targetValue }, why: { reason: `TTL ended (${new Date(a.expiresAt).toISOString()})`, alertname: a.alertname, fingerprint: a.fingerprint },
        before: describeLimits(a.limits), after: null,
      });
    }
    if (expired.length === 0) return;
    try {
      await this.opts.actions.commit();
    } catch (err) {
      // Still expired in memory; the next change is written with it, and a restart expires it again.
      this.opts.logger.error({ err: describeError(err) }, 'enforcer: cannot write the state file');
    }
  }

  /** `scoped`: the targets of a scoped run (null: a full run, which knows about every target). */
  private reportFindings(findings: readonly Finding[], scoped: readonly Target[] | null): Map<string, number> {
    const before = new Map(findings.map((f) => [f.key, this.reported.get(f.key)]));
    if (scoped === null) this.reported = new Map();
    else forget(this.reported, scoped);
    const skipped = new Map<string, number>();
    for (const f of findings) {
      const fp = fingerprint(f.state);
      this.reported.set(f.key, fp);
      skipped.set(f.mechanism, (skipped.get(f.mechanism) ?? 0) + 1);
      if (before.get(f.key) === fp) continue;
      this.opts.logger.warn({ target: f.target.key, mechanism: f.mechanism, reason: f.reason }, 'enforcer: not changing a limit someone else set');
      this.record({ who: 'reconciler', action: 'skip', result: 'reported', what: { mechanism: f.mechanism, ...describeTarget(f.target) }, why: { reason: f.reason }, before: f.state, after: f.state });
    }
    return skipped;
  }

  /**
   * One run: expire, resolve, plan, check safety, apply, record. `scope`: only the ports these
   * alert actions name (null: every port).
   */
  async runOnce(scope: readonly ThrottleRef[] | null = null): Promise<ReconcileReport> {
    const started = this.now();
    const { backend } = this.opts;
    this.opts.audit.setUp(backend.ready());
    if (!backend.ready()) return { ready: false, applied: 0, failed: 0, repaired: 0, rejected: 0, planned: [] };
    if (!this.opts.dryRun && scope === null) await this.expireActions();
    const throttles = this.opts.actions.active().filter((a) => a.expiresAt > started);
    const byId = new Map(throttles.map((a) => [a.id, a]));
    const targets = scope === null ? backend.targets() : backend.targets().filter((t) => scope.some((ref) => throttleApplies(ref, t)));
    const desired: PortDesire<P>[] = targets.map((port) => ({ port, resolution: this.resolver.resolve(port, throttles) }));
    const plan = await backend.plan(desired, scope === null);
    // A scoped run knows about its own ports only: what earlier runs found about the others stays.
    const scoped = scope === null ? null : targets;
    const skipped = this.reportFindings(plan.findings, scoped);

    const toApply: C[] = [];
    /** Drift memory of the changes applied (a failed repair is still a repair when retried). */
    const prior = new Map<string, string>();
    const repairs = new Set<string>();
    let rejected = 0;
    const nowMs = this.now();
    while (this.window.length > 0 && this.window[0] <= nowMs - WINDOW_MS) this.window.shift();
    const stillDeferred = new Set<string>();
    for (const change of plan.changes) {
      const entry = (action: AuditAction, result: AuditResult, extra: Partial<AuditEntry> = {}): AuditEntry => changeEntry(change, byId, action, result, extra);
      const drift = change.after !== null && this.satisfied.get(change.key) === fingerprint(change.after);
      const action: AuditAction = drift ? 'repair' : change.action;
      const rates = change.rates;
      if (rates && ((rates.kbps !== undefined && rates.kbps < this.opts.floor.kbps) || (rates.pps !== undefined && rates.pps < this.opts.floor.pps))) {
        rejected++;
        this.record(entry(action, 'rejected', { error: `below the safety floor (${this.opts.floor.kbps} kbps, ${this.opts.floor.pps} packets/s)` }));
        continue;
      }
      if (this.opts.dryRun) {
        this.record(entry(action, 'dry_run'));
        continue;
      }
      if (this.window.length + toApply.length >= this.opts.maxChangesPerMinute) {
        rejected++;
        stillDeferred.add(change.key);
        if (!this.deferred.has(change.key)) this.record(entry(action, 'rejected', { error: `change cap reached (${this.opts.maxChangesPerMinute} per minute); waits for the next window` }));
        continue;
      }
      if (drift) repairs.add(change.key);
      const known = this.satisfied.get(change.key);
      if (known !== undefined) prior.set(change.key, known);
      toApply.push(change);
    }
    if (scoped === null) this.deferred = stillDeferred;
    else {
      forget(this.deferred, scoped);
      for (const key of stillDeferred) this.deferred.add(key);
    }
    this.capFreeAt = stillDeferred.size > 0 && this.window.length > 0 ? this.window[0] + WINDOW_MS : null;

    const outcomes = new Map((toApply.length > 0 ? await backend.apply(toApply) : []).map((o) => [o.key, o]));
    // Dry-run remembers nothing; a scoped run updates the memory of its own targets in place.
    const satisfied = this.opts.dryRun || scoped === null ? new Map<string, string>() : this.satisfied;
    if (scoped !== null) forget(satisfied, scoped);
    for (const [k, v] of plan.inSync) satisfied.set(k, v);
    let failed = 0;
    let repaired = 0;
    for (const change of toApply) {
      const outcome = outcomes.get(change.key) ?? { key: change.key, ok: false, conflict: false, error: 'no outcome from the backend' };
      this.window.push(this.now());
      const action: AuditAction = repairs.has(change.key) ? 'repair' : change.action;
      const result: AuditResult = outcome.ok ? 'ok' : outcome.conflict ? 'conflict' : 'failed';
      if (outcome.ok && change.after !== null) satisfied.set(change.key, fingerprint(change.after));
      if (outcome.ok && action === 'repair') repaired++;
      if (!outcome.ok) {
        failed++;
        const before = prior.get(change.key);
        if (before !== undefined) satisfied.set(change.key, before);
        this.opts.logger.warn({ key: change.key, err: outcome.error }, 'enforcer: change %s', result);
      }
      this.record(changeEntry(change, byId, action, result, outcome.error ? { error: outcome.error } : {}));
    }
    if (!this.opts.dryRun) this.satisfied = satisfied;
    if (scoped === null) {
      const staticInUse = new Set(desired.map((d) => d.resolution.policy).filter((p): p is string => p !== null));
      this.opts.audit.reconciled(this.now(), this.now() - started, staticInUse.size, throttles.length, skipped);
    } else {
      this.opts.audit.alertActions(throttles.length);
    }
    this.opts.audit.flush();
    return { ready: true, applied: toApply.length - failed, failed, repaired, rejected, planned: plan.changes };
  }
}
