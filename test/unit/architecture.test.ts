/**
 * Who may import whom (STYLE.md): common/ imports nothing of ours; collector/ imports common/;
 * exporters/ and dashboards/ import common/ only; the enforcer imports common/ and the public
 * clients of collector/ovsdb and collector/openflow; cli/ (and bench/, test/) wire everything.
 * Type-only imports count too: they are coupling all the same.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Top-level folder → the folders (or subfolders) its modules may import from. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  common: ['common'],
  collector: ['common', 'collector'],
  exporters: ['common', 'exporters'],
  dashboards: ['common', 'dashboards'],
  enforcer: ['common', 'enforcer', 'collector/ovsdb', 'collector/openflow'],
};

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (entry.name.endsWith('.ts')) yield full;
  }
}

/** `import … from`, `export … from`, `import 'x'` and `import('x')` of a relative path. */
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?(?:from\s*)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function violations(top: string): string[] {
  const found: string[] = [];
  for (const file of sources(path.join(ROOT, top))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = path.relative(ROOT, path.resolve(path.dirname(file), m[1] ?? m[2]));
      if (!ALLOWED[top].some((a) => target === a || target.startsWith(`${a}/`))) found.push(`${path.relative(ROOT, file)} imports ${target}`);
    }
  }
  return found;
}

describe('module boundaries', () => {
  for (const top of Object.keys(ALLOWED)) {
    it(`${top}/ imports only ${ALLOWED[top].join(', ')}`, () => {
      expect(violations(top)).toEqual([]);
    });
  }

  it('sees the imports it checks', () => {
    // Guards the pattern itself: collector/ does import common/ (a regex that matched nothing would pass).
    const text = readFileSync(path.join(ROOT, 'collector/flows/enrich.ts'), 'utf8');
    expect([...text.matchAll(IMPORT)].length).toBeGreaterThan(2);
  });
});
