/**
 * Enforcer panels: policies in force (static and alert throttles), actions over time with
 * their results, drift repairs, and the bandwidth alerts that drive the throttles.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { ENFORCER_METRICS, ENFORCER_RESULT_FAILED } from '../../common/metrics-enforcer.js';
import { ENFORCER_ALERTS } from '../rules/alerts.js';
import { portLink } from './links.js';
import { stat, table, timeseries, UNIT } from './panel.js';
import { by, eq, increase, prometheusSel, RATE_INTERVAL, SCRAPE_JOBS, sel, type Matchers } from './promql.js';

const { policiesActive, actions, reconcileDrift, lastReconcile, reconcileDuration, portsSkipped, up } = ENFORCER_METRICS;

export function enforcerUp(hostScope: Matchers): Builder<Panel> {
  return stat({
    title: 'Enforcer up',
    description: 'Whether Prometheus reaches the enforcer on each host, and whether the enforcer sees OVS (its OVSDB replicas in sync).',
    unit: UNIT.none,
    queries: [
      { expr: prometheusSel('up', { job: eq(SCRAPE_JOBS.enforcer), ...hostScope }), legend: '{{host}} reachable' },
      { expr: sel(up, hostScope), legend: '{{host}} sees OVS' },
    ],
    thresholds: [[null, 'red'], [1, 'green']],
    valueText: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } },
  });
}

export function lastReconcileAge(hostScope: Matchers): Builder<Panel> {
  return stat({
    title: 'Last reconcile',
    description: 'Seconds since the last reconcile finished; it runs on every OVSDB change, OpenFlow poll and alert, so a growing age means it is stuck.',
    unit: UNIT.seconds,
    queries: [{ expr: `time() - ${sel(lastReconcile, hostScope)}`, legend: '{{host}}' }],
    thresholds: [[null, 'green'], [60, 'orange'], [300, 'red']],
  });
}

export function reconcileTime(hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Reconcile duration',
    description: 'How long each host\'s last reconcile took (read OVS, plan, apply).',
    unit: UNIT.seconds,
    min: 0,
    queries: [{ expr: sel(reconcileDuration, hostScope), legend: '{{host}}' }],
  });
}

export function skippedPorts(hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Ports left to their owner',
    description: 'Ports a policy selects whose limit of that kind someone else set (Neutron\'s own QoS, an operator): reported, never changed.',
    unit: UNIT.count,
    min: 0,
    queries: [{ expr: by('sum', portsSkipped, ['host', 'mechanism'], sel(portsSkipped, hostScope)), legend: '{{host}} {{mechanism}}' }],
  });
}

export function policies(hostScope: Matchers): Builder<Panel> {
  return stat({
    title: 'Policies in force',
    description: 'Policies the enforcer applies now: static (policies of its file that select a port) and alert (throttles for firing alerts, until they resolve or their TTL ends).',
    unit: UNIT.count,
    queries: [{ expr: by('sum', policiesActive, ['source'], sel(policiesActive, hostScope)), legend: '{{source}}' }],
  });
}

export function failedActions(hostScope: Matchers): Builder<Panel> {
  return stat({
    title: 'Failed actions',
    description: 'Actions that failed in the time range (the audit log has the reasons).',
    unit: UNIT.count,
    queries: [{ expr: `sum(${increase(actions, { ...hostScope, result: eq(ENFORCER_RESULT_FAILED) })}) or vector(0)`, legend: 'failed' }],
    thresholds: [[null, 'green'], [1, 'red']],
  });
}

export function actionsOverTime(hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Actions by result',
    description: 'Decisions per interval by action (apply, update, remove, repair, throttle, restore, expire, ignore, skip) and result (ok, failed, conflict, rejected by the safety floor or the change cap, dry_run, duplicate, reported).',
    unit: UNIT.count,
    min: 0,
    stack: true,
    queries: [{ expr: by('sum', actions, ['action', 'result'], increase(actions, hostScope, RATE_INTERVAL)), legend: '{{action}} {{result}}' }],
  });
}

export function policiesOverTime(hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Policies and throttles per host',
    description: 'Policies in force on each host over time, by source.',
    unit: UNIT.count,
    min: 0,
    queries: [{ expr: by('sum', policiesActive, ['host', 'source'], sel(policiesActive, hostScope)), legend: '{{host}} {{source}}' }],
  });
}

export function driftRepairs(hostScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Drift repairs',
    description: 'Owned OVS rows the reconcile loop found changed or removed by someone else and put back.',
    unit: UNIT.count,
    min: 0,
    queries: [{ expr: by('sum', reconcileDrift, ['host'], increase(reconcileDrift, hostScope, RATE_INTERVAL)), legend: '{{host}}' }],
  });
}

export function bandwidthAlerts(hostScope: Matchers): Builder<Panel> {
  return table({
    title: 'Bandwidth alerts firing',
    description: 'The alerts the enforcer acts on, firing now: each row is a port or network it may be throttling.',
    unit: UNIT.none,
    span: 24,
    queries: [{ expr: prometheusSel('alerts', { alertstate: eq('firing'), alertname: ENFORCER_ALERTS.join('|'), ...hostScope }) }],
    columns: [{ title: 'Firing' }],
    hide: ['alertstate', 'instance'],
    links: [portLink('row')],
  });
}
