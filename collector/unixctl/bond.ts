/**
 * `bond/show` (ofproto/bond.c bond_print_details in OVS 3.1), one block per bond:
 *
 *   ---- bond0 ----
 *   bond_mode: balance-slb
 *   lacp_status: off
 *   active member mac: e2:7e:8c:4d:40:c0(bp1)
 *
 *   member bp1: enabled
 *     active member
 *     may_enable: true
 *     hash 12: 3 kB load
 *
 * Settings are kept as text by name; members with their state and hash load. An empty output
 * means no bonds.
 */
import { LineCounter, meaningfulLines, type Mutable, type Parsed } from './lines.js';

export interface BondMember {
  readonly name: string;
  readonly enabled: boolean;
  readonly active: boolean;
  readonly mayEnable: boolean | undefined;
  /** Sum of the `hash N: X kB load` lines (balance-slb/tcp). */
  readonly loadKb: number;
}

export interface Bond {
  readonly name: string;
  readonly mode: string | undefined;
  readonly lacpStatus: string | undefined;
  /** Every `key: value` setting line, as printed. */
  readonly settings: ReadonlyMap<string, string>;
  readonly members: readonly BondMember[];
}

const BOND = /^---- (.+) ----$/;
const MEMBER = /^member (\S+): (enabled|disabled)$/;
const MAY_ENABLE = /^\s+may_enable: (true|false)$/;
const ACTIVE = /^\s+active member$/;
const HASH_LOAD = /^\s+hash \d+: (\d+) kB load$/;
const SETTING = /^([^:\s][^:]*): (.*)$/;

export function parseBondShow(text: string): Parsed<Bond[]> {
  const counter = new LineCounter();
  const bonds: { name: string; settings: Map<string, string>; members: Mutable<BondMember>[] }[] = [];
  for (const { line, indent } of meaningfulLines(text)) {
    const bond = BOND.exec(line);
    if (bond !== null) {
      bonds.push({ name: bond[1], settings: new Map(), members: [] });
      continue;
    }
    const current = bonds[bonds.length - 1];
    if (current === undefined) {
      counter.skip();
      continue;
    }
    const member = indent === 0 ? MEMBER.exec(line) : null;
    if (member !== null) {
      current.members.push({ name: member[1], enabled: member[2] === 'enabled', active: false, mayEnable: undefined, loadKb: 0 });
      continue;
    }
    const last = current.members[current.members.length - 1];
    let m: RegExpExecArray | null;
    if (last !== undefined && indent > 0) {
      if (ACTIVE.test(line)) last.active = true;
      else if ((m = MAY_ENABLE.exec(line)) !== null) last.mayEnable = m[1] === 'true';
      else if ((m = HASH_LOAD.exec(line)) !== null) last.loadKb += Number(m[1]);
      else counter.skip();
    } else if (indent === 0 && (m = SETTING.exec(line)) !== null) current.settings.set(m[1], m[2]);
    else counter.skip();
  }
  return {
    value: bonds.map((b) => ({ ...b, mode: b.settings.get('bond_mode'), lacpStatus: b.settings.get('lacp_status') })),
    skippedLines: counter.skipped,
  };
}
