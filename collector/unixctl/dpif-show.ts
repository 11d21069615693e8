/**
 * `dpif/show` (ofproto/ofproto-dpif.c dpif_show_backer in OVS 3.1):
 *
 *   netdev@ovs-netdev: hit:7 missed:7
 *     br0:
 *       br0 65534/1: (tap)
 *       vxlan0 3/4: (vxlan: key=flow, remote_ip=192.0.2.2)
 *       patch-tun 2/none: (patch: peer=patch-int)
 *
 * OVS 3.1 prints no `lost` here; `dpctl/show` has it (see dpctl-show.ts).
 */
import { LineCounter, keyNumbers, meaningfulLines, type Parsed } from './lines.js';

export interface DpifPort {
  readonly name: string;
  readonly ofport: number;
  /** Datapath port number; undefined for ports with none (patch ports). */
  readonly dpPort: number | undefined;
  readonly type: string;
  /** Interface options (`key=flow`, `remote_ip=…`, `peer=…`). */
  readonly config: ReadonlyMap<string, string>;
}

export interface DpifBridge {
  readonly name: string;
  readonly ports: readonly DpifPort[];
}

export interface DpifDatapath {
  /** `type@name`, e.g. `netdev@ovs-netdev` or `system@ovs-system`. */
  readonly name: string;
  readonly hit: number;
  readonly missed: number;
  readonly bridges: readonly DpifBridge[];
}

const DATAPATH = /^(\S+@\S+): (.*)$/;
const BRIDGE = /^\s+(\S+):$/;
const PORT = /^\s+(\S+) (\d+)\/(\d+|none): \(([^:)]+)(?:: (.*))?\)$/;

export function parseDpifShow(text: string): Parsed<DpifDatapath[]> {
  const counter = new LineCounter();
  const datapaths: { name: string; hit: number; missed: number; bridges: { name: string; ports: DpifPort[] }[] }[] = [];
  for (const { line, indent } of meaningfulLines(text)) {
    const dp = indent === 0 ? DATAPATH.exec(line) : null;
    if (dp !== null) {
      const n = keyNumbers(dp[2]);
      datapaths.push({ name: dp[1], hit: n.get('hit') ?? 0, missed: n.get('missed') ?? 0, bridges: [] });
      continue;
    }
    const current = datapaths[datapaths.length - 1];
    const port = PORT.exec(line);
    const bridges = current?.bridges;
    if (port !== null && bridges !== undefined && bridges.length > 0) {
      bridges[bridges.length - 1].ports.push({
        name: port[1],
        ofport: Number(port[2]),
        dpPort: port[3] === 'none' ? undefined : Number(port[3]),
        type: port[4],
        config: parseConfig(port[5]),
      });
      continue;
    }
    const bridge = BRIDGE.exec(line);
    if (bridge !== null && bridges !== undefined) {
      bridges.push({ name: bridge[1], ports: [] });
      continue;
    }
    counter.skip();
  }
  return { value: datapaths, skippedLines: counter.skipped };
}

function parseConfig(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (text === undefined) return out;
  for (const part of text.split(', ')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}
