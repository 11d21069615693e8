/**
 * `npm run bench`: runs every benchmark (or those named on the command line), prints each one's
 * figures beside its peer's from the same run, and writes bench/out/results.json.
 * Figures go into BENCHMARKS.md by hand, with this command.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchEnforcer } from './enforcer.js';
import { benchIpfixDecode } from './ipfix-decode.js';
import { benchIpfixIngest } from './ipfix-ingest.js';
import { benchOpenflowDump } from './openflow-dump.js';
import { benchOvsdbSync } from './ovsdb-sync.js';
import { benchSflowIngest } from './sflow-ingest.js';
import { benchTopology } from './topology.js';

export interface BenchResult {
  readonly name: string;
  /** Named figures, units in the names (e.g. sync_ms, rss_mb). */
  readonly figures: Readonly<Record<string, number | string>>;
  /** Goals and whether this run met them. */
  readonly goals: readonly { readonly goal: string; readonly met: boolean }[];
}

const BENCHES: Record<string, () => Promise<BenchResult>> = {
  'ovsdb-sync': benchOvsdbSync,
  'sflow-ingest': benchSflowIngest,
  'openflow-dump': benchOpenflowDump,
  'ipfix-decode': benchIpfixDecode,
  'ipfix-ingest': benchIpfixIngest,
  enforcer: benchEnforcer,
  topology: benchTopology,
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
const results: BenchResult[] = [];
for (const name of names) {
  const bench = BENCHES[name];
  if (bench === undefined) {
    process.stderr.write(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`\n## ${name}\n`);
  const result = await bench();
  results.push(result);
  for (const [k, v] of Object.entries(result.figures)) process.stdout.write(`  ${k.padEnd(32)} ${v}\n`);
  for (const g of result.goals) process.stdout.write(`  ${g.met ? 'MET    ' : 'MISSED '} ${g.goal}\n`);
}
const outDir = join(import.meta.dirname, '..', '..', 'bench', 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
