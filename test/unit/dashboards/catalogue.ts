/**
 * Every metric the catalogue defines, from every common/metrics*.ts file (the catalogue is
 * split per domain; new files count without changes here), and the metric names a PromQL
 * expression uses.
 */
import { readdirSync } from 'node:fs';
import type { MetricSpec } from '../../../common/metrics.js';

const COMMON = new URL('../../../common/', import.meta.url);

function isSpec(value: unknown): value is MetricSpec {
  return typeof value === 'object' && value !== null && typeof (value as MetricSpec).name === 'string'
    && ((value as MetricSpec).type === 'counter' || (value as MetricSpec).type === 'gauge') && Array.isArray((value as MetricSpec).labels);
}

/** Name → spec of every catalogued metric. */
export async function catalogue(): Promise<Map<string, MetricSpec>> {
  const specs = new Map<string, MetricSpec>();
  for (const file of readdirSync(COMMON).filter((f) => /^metrics(-[a-z-]+)?\.ts$/.test(f))) {
    const module = (await import(new URL(file, COMMON).href)) as Record<string, unknown>;
    for (const exported of Object.values(module)) {
      if (typeof exported !== 'object' || exported === null) continue;
      for (const value of Object.values(exported)) if (isSpec(value)) specs.set(value.name, value);
    }
  }
  return specs;
}

/**
 * The series an expression selects, quoted strings left out: catalogue metrics (ovs_…),
 * recorded series (level:metric:ops) and Prometheus' own (up, ALERTS).
 */
export function metricNamesIn(expr: string): { metrics: string[]; recorded: string[]; prometheus: string[] } {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return {
    metrics: [...code.matchAll(/(?<![\w:])ovs_[a-z0-9_]+(?![\w:])/g)].map((m) => m[0]),
    recorded: [...code.matchAll(/(?<![\w:])[a-z_]+:ovs_[a-z0-9_]+:[a-z0-9_]+(?![\w:])/g)].map((m) => m[0]),
    prometheus: [...code.matchAll(/(?<![\w:])(up|ALERTS)(?=\{)/g)].map((m) => m[0]),
  };
}
