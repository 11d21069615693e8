/**
 * PromQL built from the metric catalogue: every selector names a MetricSpec, and every label it
 * matches on must be one of the spec's labels or a target label Prometheus adds, so renaming a
 * metric or a label breaks the build (or the generator's tests) instead of emptying a panel.
 */
import type { MetricSpec } from '../../common/metrics.js';

/** Scrape jobs of the shipped Prometheus config (deploy/prometheus/prometheus.yml). */
export const SCRAPE_JOBS = Object.freeze({ collector: 'ovs-telemetry', enforcer: 'ovs-telemetry-enforcer' });

/**
 * Labels of the scrape target on every series: `job`, `instance`, and `host` (the hypervisor's
 * name, set by the scrape config; Alertmanager routes enforcer alerts by it).
 */
export const TARGET_LABELS: readonly string[] = Object.freeze(['job', 'instance', 'host']);

/** Series Prometheus makes itself: the scrape health and the alert state. */
export const PROMETHEUS_SERIES = Object.freeze({ up: 'up', alerts: 'ALERTS' });

/** The labels that identify one interface series within a target (for joins on ovs_interface_info). */
export const INTERFACE_JOIN: readonly string[] = Object.freeze(['job', 'instance', 'bridge', 'port', 'interface']);

export interface LabelMatcher {
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

export const eq = (value: string): LabelMatcher => ({ op: '=', value });

/** Label → matcher; a plain string is a regex match (what multi-value template variables need). */
export type Matchers = Readonly<Record<string, string | LabelMatcher>>;

/** The grafana rate window: at least four scrape intervals, whatever the zoom. */
export const RATE_INTERVAL = '$__rate_interval';

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function checkLabels(spec: MetricSpec, labels: Iterable<string>): void {
  for (const label of labels) {
    if (!spec.labels.includes(label) && !TARGET_LABELS.includes(label)) {
      throw new Error(`${spec.name} has no label "${label}" (labels: ${[...spec.labels, ...TARGET_LABELS].join(', ')})`);
    }
  }
}

function selector(name: string, matchers: Matchers): string {
  const parts = Object.entries(matchers).map(([label, m]) => {
    const { op, value } = typeof m === 'string' ? { op: '=~', value: m } : m;
    return `${label}${op}${quote(value)}`;
  });
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/** `name{label=~"value",...}`; matchers on labels the metric does not have throw. */
export function sel(spec: MetricSpec, matchers: Matchers = {}): string {
  checkLabels(spec, Object.keys(matchers));
  return selector(spec.name, matchers);
}

/** A selector on a series Prometheus makes (`up` of a scrape job, `ALERTS` with the alerts' labels). */
export function prometheusSel(series: keyof typeof PROMETHEUS_SERIES, matchers: Matchers): string {
  return selector(PROMETHEUS_SERIES[series], matchers);
}

export function rate(spec: MetricSpec, matchers: Matchers = {}, window = RATE_INTERVAL): string {
  if (spec.type !== 'counter') throw new Error(`rate() of ${spec.name}, a ${spec.type}`);
  return `rate(${sel(spec, matchers)}[${window}])`;
}

export function increase(spec: MetricSpec, matchers: Matchers = {}, window = '$__range'): string {
  if (spec.type !== 'counter') throw new Error(`increase() of ${spec.name}, a ${spec.type}`);
  return `increase(${sel(spec, matchers)}[${window}])`;
}

/** `op by (labels) (expr)`; the labels must exist on `spec`, the metric `expr` reads. */
export function by(op: 'sum' | 'max' | 'min' | 'count' | 'avg', spec: MetricSpec, labels: readonly string[], expr: string): string {
  checkLabels(spec, labels);
  return `${op} by (${labels.join(', ')}) (${expr})`;
}

/** The metric name without `_total`: the stem of recording-rule names (`level:stem:ops`). */
export function stem(spec: MetricSpec): string {
  return spec.name.replace(/_total$/, '');
}

/** Grafana's `label_values(metric{...}, label)` variable query. */
export function labelValues(spec: MetricSpec, label: string, matchers: Matchers = {}): string {
  checkLabels(spec, [label]);
  return `label_values(${sel(spec, matchers)}, ${label})`;
}
