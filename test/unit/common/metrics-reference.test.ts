import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUES, renderMetricsReference } from '../../../common/metrics-reference.js';

const DOC = join(import.meta.dirname, '../../../docs/METRICS.md');

describe('metric catalogue', () => {
  it('names are unique, Prometheus-style, counters end in _total and gauges do not', () => {
    const names = CATALOGUES.flatMap((c) => c.specs.map((s) => s.name));
    expect(new Set(names).size).toBe(names.length);
    for (const { specs } of CATALOGUES) {
      for (const s of specs) {
        expect(s.name).toMatch(/^ovs_[a-z0-9_]+$/);
        expect(s.help.length).toBeGreaterThan(10);
        expect(s.name.endsWith('_total')).toBe(s.type === 'counter');
      }
    }
  });

  it('docs/METRICS.md is generated from it and current', () => {
    const rendered = renderMetricsReference();
    if (process.env.UPDATE_METRICS_DOC) writeFileSync(DOC, rendered);
    expect(readFileSync(DOC, 'utf8')).toBe(rendered);
  });
});
