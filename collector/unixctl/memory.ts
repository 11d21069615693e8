/**
 * `memory/show` (lib/memory.c): `name:count` pairs the daemon reports about itself, e.g.
 * ovs-vswitchd `handlers:1 idl-cells-Open_vSwitch:220 ports:3 revalidators:1 rules:16 udpif keys:4`
 * or ovsdb-server `atoms:251 cells:262 monitors:2 n-weak-refs:0 sessions:1`. Names vary with the
 * daemon, its version and its configuration, so they are returned as found; a name may contain a
 * space ("udpif keys", from ofproto-dpif-upcall.c), so a name runs from the end of the previous
 * pair to its colon.
 */
import { LineCounter, meaningfulLines, type Parsed } from './lines.js';

const PAIR = /([A-Za-z][^:]*?):(-?\d+(?:\.\d+)?)(?=\s|$)/g;

function pairs(line: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of line.matchAll(PAIR)) out.set(m[1].trim(), Number(m[2]));
  return out;
}

export function parseMemoryShow(text: string): Parsed<ReadonlyMap<string, number>> {
  const counter = new LineCounter();
  const out = new Map<string, number>();
  for (const { line } of meaningfulLines(text)) {
    const found = pairs(line);
    if (found.size === 0) counter.skip();
    for (const [k, v] of found) out.set(k, v);
  }
  return { value: out, skippedLines: counter.skipped };
}
