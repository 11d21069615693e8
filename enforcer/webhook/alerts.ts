/**
 * From Alertmanager alerts to alert actions: the first mapping (file order) whose alert name and
 * labels match, and whose target label the alert carries, decides what to limit and for how
 * long. `firing` starts a throttle (once per firing: see ActionStore), `resolved` ends it; the
 * reconciler then makes OVS match (the previous state comes back because it is what the
 * policies alone ask for). Alerts no mapping acts on are answered 200, logged and audited.
 */
import type { Logger } from '../../common/log.js';
import type { ActionStore, AlertAction } from '../actions/store.js';
import type { AuditSink } from '../audit/audit-log.js';
import type { CompiledAlertMapping } from '../policy/compile.js';
import { describeLimits } from '../policy/limits.js';
import type { ThrottleRef } from '../policy/resolve.js';
import type { WebhookAlert, WebhookPayload } from './payload.js';

export type AlertDecision = 'throttle' | 'duplicate' | 'already_expired' | 'restore' | 'not_active' | 'ignored';

export interface AlertOutcome {
  readonly alertname: string;
  readonly fingerprint: string;
  readonly status: WebhookAlert['status'];
  readonly decision: AlertDecision;
  readonly mapping?: string;
  readonly reason?: string;
}

export interface HandledNotification {
  readonly outcomes: AlertOutcome[];
  /** The alert actions that started or ended: the ports they name need a reconcile. */
  readonly changed: readonly ThrottleRef[];
  /** Resolves once the action store holds this notification on disk. */
  readonly saved: Promise<void>;
}

type Match = { readonly mapping: CompiledAlertMapping; readonly value: string } | { readonly mapping: null; readonly reason: string };

export function matchAlert(alert: WebhookAlert, mappings: readonly CompiledAlertMapping[]): Match {
  const name = alert.labels.alertname ?? '';
  const named = mappings.filter((m) => m.alertname === name);
  if (named.length === 0) return { mapping: null, reason: `no mapping for alertname "${name}"` };
  const reasons: string[] = [];
  for (const m of named) {
    const wrong = [...m.labels].find(([k, v]) => alert.labels[k] !== v);
    if (wrong) {
      reasons.push(`${m.name}: label ${wrong[0]} is not "${wrong[1]}"`);
      continue;
    }
    const value = alert.labels[m.target];
    if (value === undefined || value === '') {
      reasons.push(`${m.name}: the alert has no ${m.target} label`);
      continue;
    }
    return { mapping: m, value };
  }
  return { mapping: null, reason: reasons.join('; ') };
}

export class AlertHandler {
  constructor(
    private readonly mappings: readonly CompiledAlertMapping[],
    private readonly store: ActionStore,
    private readonly audit: AuditSink,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records what each alert means: the outcomes, the actions that changed (the caller reconciles
   * their ports) and the one write of the store that covers the whole notification.
   */
  handle(payload: WebhookPayload): HandledNotification {
    const source = `alertmanager receiver=${payload.receiver}${payload.externalURL ? ` ${payload.externalURL}` : ''}`;
    const changed: ThrottleRef[] = [];
    const outcomes = payload.alerts.map((alert) => this.handleOne(alert, source, changed));
    this.audit.flush();
    return { outcomes, changed, saved: this.store.commit() };
  }

  private handleOne(alert: WebhookAlert, source: string, changed: ThrottleRef[]): AlertOutcome {
    const alertname = alert.labels.alertname ?? '';
    const base = { alertname, fingerprint: alert.fingerprint, status: alert.status };
    const why = { alertname, fingerprint: alert.fingerprint, status: alert.status, startsAt: alert.startsAt, source };
    const match = matchAlert(alert, this.mappings);
    if (match.mapping === null) {
      this.logger.info({ alertname, fingerprint: alert.fingerprint, reason: match.reason }, 'enforcer: alert ignored');
      this.audit.record({ who: 'webhook', action: 'ignore', result: 'ok', what: { labels: alert.labels }, why: { ...why, reason: match.reason } });
      return { ...base, decision: 'ignored', reason: match.reason };
    }
    const { mapping, value } = match;
    const id = `${mapping.name}/${alert.fingerprint}`;
    const what = { [mapping.target]: value };
    const who = `alert:${mapping.name}`;
    if (alert.status === 'resolved') {
      const ended = this.store.resolve(id);
      if (ended) changed.push(ended);
      this.audit.record({ who, action: 'restore', result: ended ? 'ok' : 'duplicate', what, why: { ...why, reason: ended ? 'alert resolved' : 'no active throttle for this alert' }, before: ended ? describeLimits(ended.limits) : null, after: null });
      return { ...base, decision: ended ? 'restore' : 'not_active', mapping: mapping.name };
    }
    const appliedAt = this.now();
    const action: AlertAction = {
      id, mapping: mapping.name, alertname, fingerprint: alert.fingerprint, startsAt: alert.startsAt, labels: alert.labels,
      reason: alert.annotations.summary ?? alert.annotations.description ?? alertname, source,
      targetLabel: mapping.target, targetValue: value, limits: mapping.limits,
      appliedAt, expiresAt: appliedAt + mapping.ttlSeconds * 1000,
    };
    const result = this.store.fire(action);
    if (result === 'applied') changed.push(action);
    const active = this.store.get(id);
    this.audit.record({
      who, action: 'throttle', result: result === 'applied' ? 'ok' : 'duplicate', what,
      why: { ...why, reason: action.reason, expires_at: new Date(active?.expiresAt ?? action.expiresAt).toISOString(), ...(result === 'already_expired' ? { note: 'this firing already had its TTL' } : {}) },
      before: null, after: describeLimits(mapping.limits),
    });
    return { ...base, decision: result === 'applied' ? 'throttle' : result === 'duplicate' ? 'duplicate' : 'already_expired', mapping: mapping.name };
  }
}
