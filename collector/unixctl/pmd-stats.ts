/**
 * `dpif-netdev/pmd-stats-show` (lib/dpif-netdev.c pmd_info_show_stats in OVS 3.1): the
 * userspace datapath's per-thread counters. Each thread is a header (`main thread:` or
 * `pmd thread numa_id 0 core_id 2:`) followed by `  name: value` lines; values may carry a
 * percentage or a ratio after them (`idle cycles: 2186870 (100.00%)`), of which the first number
 * is kept. Names are kept as OVS prints them ("packets received", "megaflow hits",
 * "miss with failed upcall", ...).
 */
import { LineCounter, meaningfulLines, type Parsed } from './lines.js';

export interface PmdThread {
  /** `main` for the non-PMD thread, else `pmd`. */
  readonly kind: 'main' | 'pmd';
  readonly numaId: number | undefined;
  readonly coreId: number | undefined;
  readonly stats: ReadonlyMap<string, number>;
}

const THREAD = /^(main|pmd) thread(?: numa_id (\d+))?(?: core_id (\d+))?:$/;
const STAT = /^\s+([^:]+): (-?[\d.]+)/;

export function parsePmdStatsShow(text: string): Parsed<PmdThread[]> {
  const counter = new LineCounter();
  const out: { kind: 'main' | 'pmd'; numaId: number | undefined; coreId: number | undefined; stats: Map<string, number> }[] = [];
  for (const { line } of meaningfulLines(text)) {
    const thread = THREAD.exec(line);
    if (thread !== null) {
      out.push({
        kind: thread[1] as 'main' | 'pmd',
        numaId: thread[2] === undefined ? undefined : Number(thread[2]),
        coreId: thread[3] === undefined ? undefined : Number(thread[3]),
        stats: new Map(),
      });
      continue;
    }
    const stat = STAT.exec(line);
    const current = out[out.length - 1];
    if (stat !== null && current !== undefined) current.stats.set(stat[1].trim(), Number(stat[2]));
    else counter.skip();
  }
  return { value: out, skippedLines: counter.skipped };
}
