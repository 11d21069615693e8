/**
 * The enforcer's metrics (DESIGN.md "Enforcer"): the same decisions its audit log records, so
 * dashboards and alert rules can follow what it does. Names come from here only.
 */
import { counter, gauge, type MetricSpec } from './metrics.js';

export const ENFORCER_METRICS = Object.freeze({
  policiesActive: gauge('ovs_enforcer_policies_active', '1', ['source'],
    'Policies currently enforced, by source: static (policies of the file that select at least one port) or alert (throttles applied for firing alerts, until they resolve or their TTL ends).'),
  actions: counter('ovs_enforcer_actions_total', '1', ['action', 'result'],
    'Decisions of the enforcer, by action (apply, update, remove: a limit set, changed or removed on OVS; repair: drift undone; throttle, restore, expire: an alert action begun, ended by its resolution, ended by its TTL; ignore: an alert no mapping acts on; skip: a port whose limit someone else set) and result (ok, failed, conflict: OVS changed under it, retried; rejected: by the safety floor or the change cap; dry_run; duplicate; reported).'),
  reconcileDrift: counter('ovs_enforcer_reconcile_drift_total', '1', [],
    'Differences between the desired and the actual OVS state that the reconcile loop found and repaired (drift: an owned row changed or removed by someone else).'),
  lastReconcile: gauge('ovs_enforcer_last_reconcile_timestamp_seconds', 's', [],
    'When the last reconcile finished (Unix time); it runs on every OVSDB change, every OpenFlow poll and every alert.'),
  reconcileDuration: gauge('ovs_enforcer_reconcile_duration_seconds', 's', [],
    'How long the last reconcile took (read OVS, plan, apply).'),
  portsSkipped: gauge('ovs_enforcer_ports_skipped', '1', ['mechanism'],
    'Ports a policy selects whose limit of that kind someone else set (e.g. Neutron\'s own QoS): reported, never changed.'),
  up: gauge('ovs_enforcer_up', '1', [], 'Whether the enforcer sees OVS (its OVSDB replicas are synchronised) (1) or not (0).'),
} satisfies Record<string, MetricSpec>);

/** The `result` label value of a failed action (alert rules and dashboards select on it). */
export const ENFORCER_RESULT_FAILED = 'failed';
