/**
 * The enforcer's metrics (DESIGN.md "Enforcer"): the same decisions its audit log records, so
 * dashboards and alert rules can follow what it does. Names come from here only.
 */
import { counter, gauge, type MetricSpec } from './metrics.js';

export const ENFORCER_METRICS = Object.freeze({
  policiesActive: gauge('ovs_enforcer_policies_active', '1', ['source'],
    'Policies currently enforced, by source: static (the policy file) or alert (a throttle applied for a firing alert, until it resolves or its TTL ends).'),
  actions: counter('ovs_enforcer_actions_total', '1', ['action', 'result'],
    'Actions the enforcer decided, by action (apply, restore, expire) and result (ok, failed, rejected by a safety floor or the change cap, dry_run).'),
  reconcileDrift: counter('ovs_enforcer_reconcile_drift_total', '1', [],
    'Differences between the desired and the actual OVS state that the reconcile loop found and repaired (drift: an owned row changed or removed by someone else).'),
} satisfies Record<string, MetricSpec>);

/** The `result` label value of a failed action (alert rules and dashboards select on it). */
export const ENFORCER_RESULT_FAILED = 'failed';
