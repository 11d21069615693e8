/**
 * Sums a bridge's flow dump per (table, cookie) with a bounded number of cookies: Neutron's agents
 * use a cookie or two per bridge, but other controllers (OVN: one per logical flow) use thousands,
 * and each would be a series. The first `maxCookies` distinct cookies get their own series and
 * keep them while they exist (a cookie that was admitted keeps its slot from dump to dump, so
 * series do not hop between cookies); the others are summed under cookie="other" and counted.
 * Memory is bounded by tables × (maxCookies + 1) groups, plus the set of overflow cookies of
 * the dump in progress.
 */
import type { FlowStats } from '../openflow/stats.js';

export const OTHER_COOKIE = 'other';

export interface FlowGroup {
  readonly table: number;
  /** `0x…` as ovs-ofctl prints it, or "other". */
  readonly cookie: string;
  flows: number;
  packets: number;
  bytes: number;
}

export interface FlowGroupResult {
  readonly groups: readonly FlowGroup[];
  /** Distinct cookies beyond the cap, summed under "other". */
  readonly overflowCookies: number;
}

/** Table ids are 0-254, so (slot × 256 + table) identifies a group. */
const TABLES = 256;

export class FlowGroups {
  /** Cookies with their own series, kept across dumps while they exist. */
  private admitted = new Set<bigint>();
  // The dump in progress:
  private slots = new Map<bigint, number>();
  private labels: string[] = [OTHER_COOKIE];
  private admittedNow = 0;
  private overflow = new Set<bigint>();
  private groups = new Map<number, FlowGroup>();

  constructor(private readonly maxCookies: number) {}

  /** Starts a dump (forgetting one that did not end). */
  begin(): void {
    this.slots = new Map();
    this.labels = [OTHER_COOKIE];
    this.admittedNow = 0;
    this.overflow = new Set();
    this.groups = new Map();
  }

  add(flow: Pick<FlowStats, 'tableId' | 'cookie' | 'packetCount' | 'byteCount'>): void {
    const slot = this.slotOf(flow.cookie);
    const key = slot * TABLES + flow.tableId;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { table: flow.tableId, cookie: this.labels[slot], flows: 0, packets: 0, bytes: 0 };
      this.groups.set(key, group);
    }
    group.flows++;
    // NO_PKT_COUNTS / NO_BYT_COUNTS flows report no counter: they add nothing.
    group.packets += flow.packetCount ?? 0;
    group.bytes += flow.byteCount ?? 0;
  }

  /** Ends the dump: its groups; the cookies it admitted keep their slots for the next one. */
  end(): FlowGroupResult {
    const result = { groups: [...this.groups.values()], overflowCookies: this.overflow.size };
    this.admitted = new Set(this.slots.keys());
    this.begin();
    return result;
  }

  /** 0 = "other"; 1.. = a cookie with its own series. */
  private slotOf(cookie: bigint): number {
    const known = this.slots.get(cookie);
    if (known !== undefined) return known;
    // Cookies admitted in earlier dumps hold their places whether or not they appear again.
    if (!this.admitted.has(cookie)) {
      if (this.admitted.size + this.admittedNow >= this.maxCookies) {
        this.overflow.add(cookie);
        return 0;
      }
      this.admittedNow++;
    }
    this.labels.push(`0x${cookie.toString(16)}`);
    this.slots.set(cookie, this.labels.length - 1);
    return this.labels.length - 1;
  }
}
