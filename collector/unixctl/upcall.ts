/**
 * `upcall/show` (ofproto/ofproto-dpif-upcall.c upcall_unixctl_show in OVS 3.1), per datapath:
 *
 *   netdev@ovs-netdev:
 *     flows         : (current 0) (avg 0) (max 5) (limit 10000)
 *     offloaded flows : 0
 *     dump duration : 1ms
 *     ufid enabled : true
 *
 *     5: (keys 0)
 *
 * `current` approaching `limit` means OVS is about to evict datapath flows; a long dump
 * duration means the revalidators cannot keep up.
 */
import { LineCounter, meaningfulLines, type Mutable, type Parsed } from './lines.js';

export interface UpcallDatapath {
  readonly name: string;
  readonly flowsCurrent: number;
  readonly flowsAverage: number;
  readonly flowsMax: number;
  readonly flowLimit: number;
  /** Only when the datapath offloads flows to hardware. */
  readonly offloadedFlows: number | undefined;
  readonly dumpDurationMs: number;
  readonly ufidEnabled: boolean;
  /** Revalidator thread id -> datapath flow keys (ukeys) it holds. */
  readonly revalidatorKeys: ReadonlyMap<number, number>;
}

const DATAPATH = /^(\S+):$/;
const FLOWS = /^\s+flows\s*: \(current (\d+)\) \(avg (\d+)\) \(max (\d+)\) \(limit (\d+)\)$/;
const OFFLOADED = /^\s+offloaded flows\s*: (\d+)$/;
const DURATION = /^\s+dump duration\s*: (\d+)ms$/;
const UFID = /^\s+ufid enabled\s*: (true|false)$/;
const REVALIDATOR = /^\s+(\d+): \(keys (\d+)\)$/;

export function parseUpcallShow(text: string): Parsed<UpcallDatapath[]> {
  const counter = new LineCounter();
  const out: (Mutable<UpcallDatapath> & { revalidatorKeys: Map<number, number> })[] = [];
  for (const { line, indent } of meaningfulLines(text)) {
    const dp = indent === 0 ? DATAPATH.exec(line) : null;
    if (dp !== null) {
      out.push({
        name: dp[1],
        flowsCurrent: 0,
        flowsAverage: 0,
        flowsMax: 0,
        flowLimit: 0,
        offloadedFlows: undefined,
        dumpDurationMs: 0,
        ufidEnabled: false,
        revalidatorKeys: new Map(),
      });
      continue;
    }
    const cur = out[out.length - 1];
    let m: RegExpExecArray | null;
    if (cur === undefined) counter.skip();
    else if ((m = FLOWS.exec(line)) !== null) {
      cur.flowsCurrent = Number(m[1]);
      cur.flowsAverage = Number(m[2]);
      cur.flowsMax = Number(m[3]);
      cur.flowLimit = Number(m[4]);
    } else if ((m = OFFLOADED.exec(line)) !== null) cur.offloadedFlows = Number(m[1]);
    else if ((m = DURATION.exec(line)) !== null) cur.dumpDurationMs = Number(m[1]);
    else if ((m = UFID.exec(line)) !== null) cur.ufidEnabled = m[1] === 'true';
    else if ((m = REVALIDATOR.exec(line)) !== null) cur.revalidatorKeys.set(Number(m[1]), Number(m[2]));
    else counter.skip();
  }
  return { value: out, skippedLines: counter.skipped };
}
