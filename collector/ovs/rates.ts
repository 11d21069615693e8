/**
 * Live per-interface rates: the difference between the last two counter samples of an interface
 * divided by the time between them. Fed by the OVSDB replica's Interface.statistics updates (which
 * ovs-vswitchd writes every `other_config:stats-update-interval`, 5 s by default, and only when a
 * value changed) or by any other sampler (the CLI samples OpenFlow port stats twice).
 * Bounded: at most `maxInterfaces` are tracked; deleted interfaces are forgotten at once.
 */
import type { InterfaceCounters } from '../../common/model.js';
import type { RowChange } from '../ovsdb/client.js';
import { getIntMap } from '../ovsdb/row.js';
import { countersOf, STAT_KEYS } from './model.js';

/** Rates over the last interval, JSON-serialisable (the explain API and the topology page send it). */
export interface InterfaceRates {
  /** Seconds between the two samples the rates come from. */
  readonly intervalSeconds: number;
  /**
   * Per second, under the Interface.statistics key names (rx_bytes, tx_dropped, …). A key missing
   * from either sample, or whose counter went backwards (a reset), is omitted.
   */
  readonly perSecond: InterfaceCounters;
}

export interface InterfaceRateTrackerOptions {
  /** Interfaces tracked at most; samples of more are refused (counted in `refused`). */
  readonly maxInterfaces?: number;
  /**
   * A sample older than this means the counters have not changed since (OVSDB only announces
   * changes), so the rates read as 0. Default 12 s: two default stats updates and some slack.
   */
  readonly staleAfterMs?: number;
  readonly now?: () => number;
}

interface Sample {
  readonly atMs: number;
  readonly counters: InterfaceCounters;
}

interface Track {
  last: Sample;
  rates: InterfaceRates | null;
}

export class InterfaceRateTracker {
  private readonly tracks = new Map<string, Track>();
  private readonly maxInterfaces: number;
  private readonly staleAfterMs: number;
  private readonly now: () => number;
  private refusedSamples = 0;

  constructor(opts: InterfaceRateTrackerOptions = {}) {
    this.maxInterfaces = opts.maxInterfaces ?? 65_536;
    this.staleAfterMs = opts.staleAfterMs ?? 12_000;
    this.now = opts.now ?? Date.now;
  }

  /** Samples refused because `maxInterfaces` were already tracked. */
  get refused(): number {
    return this.refusedSamples;
  }

  get size(): number {
    return this.tracks.size;
  }

  /** One counter sample of interface `key` (the Interface row uuid when fed from OVSDB). */
  observe(key: string, counters: InterfaceCounters, atMs = this.now()): void {
    const track = this.tracks.get(key);
    if (track === undefined) {
      if (this.tracks.size >= this.maxInterfaces) {
        this.refusedSamples++;
        return;
      }
      this.tracks.set(key, { last: { atMs, counters }, rates: null });
      return;
    }
    const seconds = (atMs - track.last.atMs) / 1000;
    if (seconds <= 0) return; // same instant (or a clock step back): keep the previous interval
    track.rates = { intervalSeconds: seconds, perSecond: perSecond(track.last.counters, counters, seconds) };
    track.last = { atMs, counters };
  }

  forget(key: string): void {
    this.tracks.delete(key);
  }

  clear(): void {
    this.tracks.clear();
  }

  /**
   * The rates of `key` over its last interval; all zero once its last sample is stale; undefined
   * until two samples are in (or for an interface not tracked).
   */
  rates(key: string, nowMs = this.now()): InterfaceRates | undefined {
    const track = this.tracks.get(key);
    if (track?.rates == null) return undefined;
    const idleMs = nowMs - track.last.atMs;
    if (idleMs <= this.staleAfterMs) return track.rates;
    const zero: InterfaceCounters = {};
    for (const k of STAT_KEYS) if (track.rates.perSecond[k] !== undefined) zero[k] = 0;
    return { intervalSeconds: idleMs / 1000, perSecond: zero };
  }

  /** Feeds one replica change: Interface inserts and statistics updates sample, deletes forget. */
  onChange(change: RowChange): void {
    if (change.table !== 'Interface') return;
    if (change.new === null) {
      this.forget(change.uuid);
      return;
    }
    const stats = getIntMap(change.new, 'statistics');
    // Another column changed (link_state, external_ids…): not a new statistics sample.
    if (change.old !== null && sameStats(getIntMap(change.old, 'statistics'), stats)) return;
    this.observe(change.uuid, countersOf(stats));
  }
}

function perSecond(before: InterfaceCounters, after: InterfaceCounters, seconds: number): InterfaceCounters {
  const out: InterfaceCounters = {};
  for (const k of STAT_KEYS) {
    const a = before[k];
    const b = after[k];
    if (a !== undefined && b !== undefined && b >= a) out[k] = (b - a) / seconds;
  }
  return out;
}

function sameStats(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
