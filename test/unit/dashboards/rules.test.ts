/**
 * The generated Prometheus rules: names from the catalogue, every alert documented and
 * labelled, the enforcer's alerts carrying direction, and deploy/prometheus/rules current.
 * (promtool checks and unit-tests the files in test/integration/deploy.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetricSpec } from '../../../common/metrics.js';
import { TARGET_LABELS } from '../../../dashboards/panels/promql.js';
import { ALERT_NAME_PREFIX, alertRules, ENFORCER_ALERTS, recordingRules, ruleFiles } from '../../../dashboards/rules/index.js';
import { catalogue, metricNamesIn } from './catalogue.js';

const DEPLOY_RULES = new URL('../../../deploy/prometheus/rules/', import.meta.url).pathname;

describe('Prometheus rules', () => {
  const alerts = alertRules().flatMap((g) => g.rules);
  const recordings = recordingRules().flatMap((g) => g.rules);
  const specs: Map<string, MetricSpec> = catalogue();

  it('every metric an expression reads is in the catalogue, every recorded series it reads is recorded', () => {
    const recorded = new Set(recordings.map((r) => r.record));
    expect(recorded.size).toBe(recordings.length);
    for (const { expr } of [...recordings, ...alerts]) {
      const { metrics, recorded: uses, prometheus } = metricNamesIn(expr);
      expect(metrics.length + uses.length + prometheus.length, expr).toBeGreaterThan(0);
      for (const name of metrics) expect(specs.has(name), `${name} in ${expr}`).toBe(true);
      for (const [name, label] of metricNamesIn(expr).matchers) expect([...specs.get(name)!.labels, ...TARGET_LABELS], `${name}{${label}}`).toContain(label);
      for (const name of uses) expect(recorded, `${name} in ${expr}`).toContain(name);
    }
  });

  it('every alert is named Ovs…, has a severity, a summary and a description naming its host', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(12);
    for (const a of alerts) {
      expect(a.alert.startsWith(ALERT_NAME_PREFIX)).toBe(true);
      expect(['critical', 'warning']).toContain(a.labels.severity);
      expect(a.annotations.summary).toContain('{{ $labels.host }}');
      expect(a.annotations.description.length).toBeGreaterThan(40);
      expect(a.for).toMatch(/^\d+m$/);
    }
  });

  it('the alerts the enforcer acts on read per-port/per-network series and say which direction to limit', () => {
    const enforced = alerts.filter((a) => ENFORCER_ALERTS.includes(a.alert));
    expect(enforced.map((a) => `${a.alert}/${a.labels.direction}`).sort()).toEqual([
      'OvsNetworkBandwidthHigh/egress', 'OvsNetworkBandwidthHigh/ingress', 'OvsPortBandwidthHigh/egress', 'OvsPortBandwidthHigh/ingress',
    ]);
    // The port series carry the Neutron port, network and project (joined from ovs_interface_info).
    for (const a of enforced.filter((x) => x.alert === 'OvsPortBandwidthHigh')) {
      const source = recordings.find((r) => a.expr.startsWith(r.record));
      expect(source?.expr).toContain('group_left(neutron_port_id, network_id, project_id) ovs_interface_info');
    }
  });

  it('deploy/prometheus/rules holds exactly the generated files', () => {
    const files = ruleFiles();
    expect(readdirSync(DEPLOY_RULES).sort()).toEqual([...files.keys()].sort());
    for (const [name, content] of files) expect(readFileSync(join(DEPLOY_RULES, name), 'utf8'), name).toBe(content);
  });
});
