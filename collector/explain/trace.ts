/**
 * `ofproto/trace` output (ofproto/ofproto-dpif-trace.c in OVS 3.1), for one packet:
 *
 *   Flow: in_port=2,vlan_tci=0x0000,dl_src=fa:16:3e:fb:75:2e,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0000
 *
 *   bridge("br-int")
 *   ----------------
 *    0. in_port=2, priority 9, cookie 0x1a412ebed3169be2
 *       resubmit(,25)
 *   60. priority 3, cookie 0x1a412ebed3169be2
 *       NORMAL
 *        -> no learned MAC for destination, flooding
 *
 *   bridge("br-tun")
 *   ...
 *   Final flow: unchanged
 *   Megaflow: pkt_mark=0,recirc_id=0,eth,in_port=2,...
 *   Datapath actions: 3,push_vlan(vid=1,pcp=0),5,...
 *
 * Each `bridge("…")` section lists the flows the packet hit, in order, with their actions and the
 * `->` notes of the translation (where NORMAL sent it, which tunnel). A patch port continues the
 * trace in the peer bridge's section. Lines of other shapes are skipped and counted.
 */
import { LineCounter, meaningfulLines, type Parsed } from '../unixctl/lines.js';

/** One flow the traced packet matched. */
export interface TracedFlow {
  readonly table: number;
  /** The flow's match as OVS prints it ('' for a catch-all). */
  readonly match: string;
  readonly priority: number;
  /** Hex as printed (`0x…`), '' when the flow has cookie 0. */
  readonly cookie: string;
  /** Actions, one per line as OVS prints them. */
  readonly actions: readonly string[];
  /** The translation's notes (`no learned MAC for destination, flooding`, `tunneling to 172.31.255.2 via br-phy`). */
  readonly notes: readonly string[];
}

export interface TracedBridge {
  readonly bridge: string;
  readonly flows: readonly TracedFlow[];
}

export interface Trace {
  /** The packet traced (`Flow:` line). */
  readonly flow: string;
  /** Bridge sections in the order the trace printed them (a bridge may appear more than once). */
  readonly bridges: readonly TracedBridge[];
  readonly megaflow: string;
  readonly datapathActions: string;
}

const BRIDGE = /^bridge\("(.+)"\)$/;
const RULE = /^\s*(\d+)\. (?:(.*?), )?priority (\d+)(?:, cookie (0x[0-9a-f]+))?$/;
const NOTE = /^\s*-> (.*)$/;
const RULER = /^-+$/;

interface OpenFlow {
  table: number;
  match: string;
  priority: number;
  cookie: string;
  actions: string[];
  notes: string[];
}

export function parseTrace(text: string): Parsed<Trace> {
  const skipped = new LineCounter();
  let flow = '';
  let megaflow = '';
  let datapathActions = '';
  const bridges: { bridge: string; flows: OpenFlow[] }[] = [];
  let current: OpenFlow | undefined;
  for (const { line, indent } of meaningfulLines(text)) {
    const trimmed = line.trim();
    // Tables 10 and up start at column 0 (`%2d. `): a rule is recognised before the indent is.
    const rule = RULE.exec(line);
    const section = bridges.at(-1);
    if (rule && section) {
      current = { table: Number(rule[1]), match: rule[2] ?? '', priority: Number(rule[3]), cookie: rule[4] ?? '', actions: [], notes: [] };
      section.flows.push(current);
      continue;
    }
    if (indent === 0) {
      current = undefined;
      const bridge = BRIDGE.exec(trimmed);
      if (bridge) bridges.push({ bridge: bridge[1], flows: [] });
      else if (trimmed.startsWith('Flow: ')) flow = trimmed.slice(6);
      else if (trimmed.startsWith('Megaflow: ')) megaflow = trimmed.slice(10);
      else if (trimmed.startsWith('Datapath actions: ')) datapathActions = trimmed.slice(18);
      else if (!RULER.test(trimmed) && !trimmed.startsWith('Final flow: ')) skipped.skip();
      continue;
    }
    const note = NOTE.exec(line);
    if (current === undefined) skipped.skip();
    else if (note) current.notes.push(note[1]);
    else current.actions.push(trimmed);
  }
  return { value: { flow, bridges, megaflow, datapathActions }, skippedLines: skipped.skipped };
}

/**
 * The packet explain traces for a port: a broadcast from the VM's MAC entering on its OpenFlow
 * port. Broadcast, so NORMAL floods it along every path the port's VLAN takes (patch ports to
 * br-tun and provider bridges) instead of stopping at a learned MAC.
 */
export function broadcastFrom(ofport: number, mac: string): string {
  return `in_port=${ofport},${mac === '' ? '' : `dl_src=${mac},`}dl_dst=ff:ff:ff:ff:ff:ff`;
}
