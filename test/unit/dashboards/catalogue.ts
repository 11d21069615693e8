/** Every metric the catalogue defines, and the metric names a PromQL expression uses. */
import type { MetricSpec } from '../../../common/metrics.js';
import { CATALOGUES } from '../../../common/metrics-reference.js';

/** Name → spec of every catalogued metric. */
export function catalogue(): Map<string, MetricSpec> {
  return new Map(CATALOGUES.flatMap((c) => c.specs).map((s) => [s.name, s]));
}

/**
 * The series an expression selects, quoted strings left out: catalogue metrics (ovs_…),
 * recorded series (level:metric:ops) and Prometheus' own (up, ALERTS).
 */
export function metricNamesIn(expr: string): { metrics: string[]; recorded: string[]; prometheus: string[]; matchers: [string, string][] } {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return {
    /** [metric, label] of every label matcher on a catalogue metric. */
    matchers: [...code.matchAll(/(?<![\w:])(ovs_[a-z0-9_]+)\{([^}]*)\}/g)].flatMap((m) =>
      [...m[2].matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l): [string, string] => [m[1], l[1]])),
    metrics: [...code.matchAll(/(?<![\w:])ovs_[a-z0-9_]+(?![\w:])/g)].map((m) => m[0]),
    recorded: [...code.matchAll(/(?<![\w:])[a-z_]+:ovs_[a-z0-9_]+:[a-z0-9_]+(?![\w:])/g)].map((m) => m[0]),
    prometheus: [...code.matchAll(/(?<![\w:])(up|ALERTS)(?=\{)/g)].map((m) => m[0]),
  };
}
