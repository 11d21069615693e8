/**
 * `coverage/show` (lib/coverage.c in OVS 3.1), the same in ovs-vswitchd and ovsdb-server:
 *
 *   Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash=ccdcd4d7:
 *   netdev_received            0.0/sec     0.000/sec        0.0039/sec   total: 14
 *   97 events never hit
 *
 * Counters that never fired are not listed (only counted); a missing name means 0.
 */
import { LineCounter, meaningfulLines, type Parsed } from './lines.js';

export interface CoverageCounter {
  readonly total: number;
  /** Average events per second over the last 5 s, minute and hour. */
  readonly per5s: number;
  readonly perMinute: number;
  readonly perHour: number;
}

export interface Coverage {
  readonly counters: ReadonlyMap<string, CoverageCounter>;
  readonly neverHit: number;
}

const COUNTER = /^(\S+)\s+([\d.]+)\/sec\s+([\d.]+)\/sec\s+([\d.]+)\/sec\s+total: (\d+)$/;
const NEVER_HIT = /^(\d+) events never hit$/;
const HEADER = /^Event coverage/;

export function parseCoverageShow(text: string): Parsed<Coverage> {
  const counter = new LineCounter();
  const counters = new Map<string, CoverageCounter>();
  let neverHit = 0;
  for (const { line } of meaningfulLines(text)) {
    const m = COUNTER.exec(line);
    if (m !== null) {
      counters.set(m[1], { per5s: Number(m[2]), perMinute: Number(m[3]), perHour: Number(m[4]), total: Number(m[5]) });
      continue;
    }
    const never = NEVER_HIT.exec(line);
    if (never !== null) neverHit = Number(never[1]);
    else if (!HEADER.test(line)) counter.skip();
  }
  return { value: { counters, neverHit }, skippedLines: counter.skipped };
}
