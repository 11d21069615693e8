/**
 * Every catalogue in one list, and the metrics reference (docs/METRICS.md) rendered from it, so
 * the documentation cannot drift from the names the code exports.
 */
import { DATAPATH_METRICS } from './metrics-datapath.js';
import { ENFORCER_METRICS } from './metrics-enforcer.js';
import { EXPORTER_METRICS } from './metrics-exporters.js';
import { METRICS, type MetricSpec } from './metrics.js';

export const CATALOGUES: readonly { readonly title: string; readonly specs: readonly MetricSpec[] }[] = [
  { title: 'OVSDB, interfaces, tenant networks, sampled flows, collector health', specs: Object.values(METRICS) },
  { title: 'OpenFlow and ovs-vswitchd (datapath poller)', specs: Object.values(DATAPATH_METRICS) },
  { title: 'Exporters (OTLP, InfluxDB, exposition)', specs: Object.values(EXPORTER_METRICS) },
  { title: 'Enforcer', specs: Object.values(ENFORCER_METRICS) },
];

const cell = (text: string): string => text.replace(/\|/g, '\\|');

export function renderMetricsReference(): string {
  const parts = [
    '# Metrics reference',
    '',
    'Generated from the metric catalogue (`common/metrics*.ts`) by `common/metrics-reference.ts`;',
    'a test fails when this file is out of date (regenerate with `UPDATE_METRICS_DOC=1 npx vitest run test/unit/common/metrics-reference.test.ts`).',
  ];
  for (const { title, specs } of CATALOGUES) {
    parts.push('', `## ${title}`, '', '| metric | type | labels | help |', '|---|---|---|---|');
    for (const s of specs) parts.push(`| \`${s.name}\` | ${s.type} | ${s.labels.join(', ')} | ${cell(s.help)} |`);
  }
  return `${parts.join('\n')}\n`;
}
