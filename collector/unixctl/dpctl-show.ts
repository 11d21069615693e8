/**
 * `dpctl/show` (lib/dpctl.c show_dpif in OVS 3.1): per datapath the lookup counters including
 * `lost` (upcalls dropped because the handler queues were full), the flow count, mask statistics
 * (kernel datapath) and the datapath ports:
 *
 *   system@ovs-system:
 *     lookups: hit:0 missed:0 lost:0
 *     flows: 0
 *     masks: hit:0 total:0 hit/pkt:0.00
 *     port 0: ovs-system (internal)
 */
import { keyNumbers, LineCounter, meaningfulLines, type Mutable, type Parsed } from './lines.js';

export interface DpctlPort {
  readonly portNo: number;
  readonly name: string;
  /** Absent for plain system ports, which dpctl/show prints without a type. */
  readonly type: string | undefined;
}

export interface DpctlDatapath {
  readonly name: string;
  readonly hit: number;
  readonly missed: number;
  readonly lost: number;
  readonly flows: number;
  /** Kernel datapath only: megaflow mask lookups. */
  readonly masksHit: number | undefined;
  readonly masksTotal: number | undefined;
  readonly ports: readonly DpctlPort[];
}

const DATAPATH = /^(\S+@\S+):$/;
const PORT = /^\s+port (\d+): (\S+)(?: \(([^)]*)\))?/;
const KEYED = /^\s+(lookups|flows|masks|cache):\s*(.*)$/;

export function parseDpctlShow(text: string): Parsed<DpctlDatapath[]> {
  const counter = new LineCounter();
  const datapaths: (Mutable<DpctlDatapath> & { ports: DpctlPort[] })[] = [];
  for (const { line, indent } of meaningfulLines(text)) {
    const dp = indent === 0 ? DATAPATH.exec(line) : null;
    if (dp !== null) {
      datapaths.push({ name: dp[1], hit: 0, missed: 0, lost: 0, flows: 0, masksHit: undefined, masksTotal: undefined, ports: [] });
      continue;
    }
    const current = datapaths[datapaths.length - 1];
    const port = PORT.exec(line);
    if (current !== undefined && port !== null) {
      current.ports.push({ portNo: Number(port[1]), name: port[2], type: port[3]?.split(':')[0] });
      continue;
    }
    const keyed = KEYED.exec(line);
    if (current !== undefined && keyed !== null) {
      const n = keyNumbers(keyed[2]);
      if (keyed[1] === 'lookups') {
        current.hit = n.get('hit') ?? 0;
        current.missed = n.get('missed') ?? 0;
        current.lost = n.get('lost') ?? 0;
      } else if (keyed[1] === 'flows') {
        current.flows = Number(keyed[2]) || 0;
      } else if (keyed[1] === 'masks') {
        current.masksHit = n.get('hit');
        current.masksTotal = n.get('total');
      }
      continue;
    }
    counter.skip();
  }
  return { value: datapaths, skippedLines: counter.skipped };
}
