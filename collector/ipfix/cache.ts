/**
 * Template state of NetFlow v9 / IPFIX exporters, in three parts (as goflow2 splits it):
 * sessions keyed by (exporter, version, observation domain) each holding their templates and
 * sampler table; lifetimes and bounds around them; and the held buffer for data sets that
 * came before their template. Everything is bounded: templates per session and in total,
 * sessions, sampler entries, held sets and held bytes; the oldest goes first.
 *
 * Times are the caller's receive clock in ms (capture time when decoding a file), so expiry
 * is deterministic and needs no timer: lookups check it, `sweep` cleans up in bulk.
 */
import { MessageHeader } from './types.js';
import type { Template } from './template.js';

export interface TemplateCacheLimits {
  /** Templates one session (exporter, version, domain) may hold; the oldest is evicted. */
  maxTemplatesPerSession: number;
  /** Templates in all sessions together. */
  maxTemplates: number;
  /** Sessions (exporter × version × domain); the least recently seen is dropped with its templates. */
  maxSessions: number;
  /** A template not refreshed for this long is expired (RFC 7011 section 8.4); 0 = never. */
  templateLifetimeMs: number;
  /** Data sets held waiting for their template, and their bytes. */
  maxHeldSets: number;
  maxHeldBytes: number;
  /** Held data older than this is dropped. */
  heldLifetimeMs: number;
  /** Sampler ids remembered per session (from options records). */
  maxSamplersPerSession: number;
}

export const DEFAULT_LIMITS: Readonly<TemplateCacheLimits> = Object.freeze({
  maxTemplatesPerSession: 1024,
  maxTemplates: 16384,
  maxSessions: 4096,
  templateLifetimeMs: 30 * 60_000,
  maxHeldSets: 256,
  maxHeldBytes: 1 << 20,
  heldLifetimeMs: 15 * 60_000,
  maxSamplersPerSession: 256,
});

/** One exporter's template space: an (exporter, version, observation domain) triple. */
export class ExporterSession {
  readonly exporter: string;
  readonly version: number;
  readonly domain: number;
  /** Template id → template, least recently placed first (refreshes do not reorder: TemplateCache.refresh). */
  readonly templates = new Map<number, Template>();
  /** Sampler / selector id → sampling rate, from options data records. */
  readonly samplingRates = new Map<number, number>();
  /** systemInitTimeMilliseconds from an options record (IPFIX), -1 when unknown. */
  systemInitTimeMs = -1;
  lastSeenMs = 0;

  constructor(exporter: string, version: number, domain: number) {
    this.exporter = exporter;
    this.version = version;
    this.domain = domain;
  }
}

/** Sessions of one exporter are keyed by version and domain packed in one number (exact: < 2^53). */
function versionDomain(version: number, domain: number): number {
  return version * 4294967296 + domain;
}

/** A data set kept until its template comes: a copy of its body and of its message header. */
export class HeldSet {
  constructor(
    readonly session: ExporterSession,
    readonly templateId: number,
    readonly setIndex: number,
    readonly data: Uint8Array,
    readonly header: MessageHeader,
    readonly receivedMs: number,
  ) {}
}

/** Counters since the cache was made (the listener exports them). */
export class TemplateCacheStats {
  templatesEvicted = 0;
  templatesExpired = 0;
  sessionsEvicted = 0;
  heldSetsDropped = 0;
  heldSetsExpired = 0;
}

export class TemplateCache {
  readonly limits: Readonly<TemplateCacheLimits>;
  readonly stats = new TemplateCacheStats();
  /** Exporter → (version, domain) → session. */
  private readonly sessions = new Map<string, Map<number, ExporterSession>>();
  private sessionTotal = 0;
  /** Every template with its session, least recently placed first (for the total bound). */
  private readonly order = new Map<Template, ExporterSession>();
  private readonly held: HeldSet[] = [];
  private heldBytesTotal = 0;
  private last: ExporterSession | null = null;

  constructor(limits: Partial<TemplateCacheLimits> = {}) {
    this.limits = Object.freeze({ ...DEFAULT_LIMITS, ...limits });
  }

  get templateCount(): number {
    return this.order.size;
  }

  get sessionCount(): number {
    return this.sessionTotal;
  }

  get heldSets(): number {
    return this.held.length;
  }

  get heldBytes(): number {
    return this.heldBytesTotal;
  }

  /** The session of (exporter, version, domain), created if new; marks it seen at `nowMs`. */
  session(exporter: string, version: number, domain: number, nowMs: number): ExporterSession {
    let s = this.last;
    if (s === null || s.exporter !== exporter || s.version !== version || s.domain !== domain) {
      let ofExporter = this.sessions.get(exporter);
      s = ofExporter?.get(versionDomain(version, domain)) ?? null;
      if (s === null) {
        while (this.sessionTotal >= this.limits.maxSessions && this.dropOldestSession());
        s = new ExporterSession(exporter, version, domain);
        // Dropping may have removed this exporter's map: look it up again.
        ofExporter = this.sessions.get(exporter);
        if (ofExporter === undefined) this.sessions.set(exporter, (ofExporter = new Map()));
        ofExporter.set(versionDomain(version, domain), s);
        this.sessionTotal++;
      }
      this.last = s;
    }
    s.lastSeenMs = nowMs;
    return s;
  }

  /** The live template `id` of the session, or undefined (expired ones are removed here). */
  get(session: ExporterSession, id: number, nowMs: number): Template | undefined {
    const t = session.templates.get(id);
    if (t === undefined) return undefined;
    if (this.limits.templateLifetimeMs > 0 && nowMs - t.refreshedMs > this.limits.templateLifetimeMs) {
      this.remove(session, t);
      this.stats.templatesExpired++;
      return undefined;
    }
    return t;
  }

  /**
   * Add a template, or replace the session's template of the same id (RFC 7011 section 8.1: a
   * changed definition replaces the old one); past the bounds evicts by second chance (below).
   */
  set(session: ExporterSession, template: Template, nowMs: number): void {
    const old = session.templates.get(template.id);
    if (old !== undefined) this.remove(session, old);
    template.refreshedMs = template.sessionPlacedMs = template.placedMs = nowMs;
    session.templates.set(template.id, template);
    this.order.set(template, session);
    while (session.templates.size > this.limits.maxTemplatesPerSession) this.evictFromSession(session);
    while (this.order.size > this.limits.maxTemplates) this.evictOldest();
  }

  /**
   * The exporter sent again a template the cache holds, unchanged (RFC 7011 section 8: templates
   * are re-sent periodically): only its refresh time moves. Nothing is reordered here; eviction
   * passes over a template refreshed since it was placed (below), taking one that was not.
   */
  refresh(template: Template, nowMs: number): void {
    template.refreshedMs = nowMs;
  }

  /** IPFIX template withdrawal of one id; true when there was such a template. */
  withdraw(session: ExporterSession, id: number): boolean {
    const t = session.templates.get(id);
    if (t === undefined) return false;
    this.remove(session, t);
    return true;
  }

  /** IPFIX "withdraw all" (RFC 7011 section 8.1): every template, or every options template. */
  withdrawAll(session: ExporterSession, options: boolean): number {
    let n = 0;
    for (const t of [...session.templates.values()]) {
      if (t.options !== options) continue;
      this.remove(session, t);
      n++;
    }
    return n;
  }

  /** Remember a sampler's rate (bounded: the oldest sampler entry goes first). */
  setSamplingRate(session: ExporterSession, samplerId: number, rate: number): void {
    session.samplingRates.delete(samplerId);
    session.samplingRates.set(samplerId, rate);
    while (session.samplingRates.size > this.limits.maxSamplersPerSession) {
      session.samplingRates.delete(session.samplingRates.keys().next().value as number);
    }
  }

  /**
   * Keep a data set until its template comes. Returns how many older held sets had to go to
   * make room (0 normally), or -1 when this one cannot be kept (larger than the whole buffer).
   */
  hold(session: ExporterSession, templateId: number, setIndex: number, body: Uint8Array, header: MessageHeader, nowMs: number): number {
    if (body.length > this.limits.maxHeldBytes || this.limits.maxHeldSets === 0) {
      this.stats.heldSetsDropped++;
      return -1;
    }
    let dropped = 0;
    while (this.held.length >= this.limits.maxHeldSets || this.heldBytesTotal + body.length > this.limits.maxHeldBytes) {
      this.heldBytesTotal -= (this.held.shift() as HeldSet).data.length;
      dropped++;
    }
    this.stats.heldSetsDropped += dropped;
    const copy = new MessageHeader();
    copy.copyFrom(header);
    this.held.push(new HeldSet(session, templateId, setIndex, body.slice(), copy, nowMs));
    this.heldBytesTotal += body.length;
    return dropped;
  }

  /** Remove and return, oldest first, the held sets of `session` for template `id`. */
  takeHeld(session: ExporterSession, id: number, nowMs: number): readonly HeldSet[] {
    if (this.held.length === 0) return NONE;
    this.expireHeld(nowMs);
    let out: HeldSet[] | null = null;
    for (let i = 0; i < this.held.length; ) {
      const h = this.held[i];
      if (h.session === session && h.templateId === id) {
        (out ??= []).push(h);
        this.held.splice(i, 1);
        this.heldBytesTotal -= h.data.length;
      } else {
        i++;
      }
    }
    return out ?? NONE;
  }

  /** Drop expired templates, held data and sessions idle for a template lifetime. */
  sweep(nowMs: number): void {
    this.expireHeld(nowMs);
    const lifetime = this.limits.templateLifetimeMs;
    if (lifetime <= 0) return;
    for (const [t, s] of [...this.order]) {
      if (nowMs - t.refreshedMs > lifetime) {
        this.remove(s, t);
        this.stats.templatesExpired++;
      }
    }
    for (const s of this.sessionList()) {
      if (s.templates.size === 0 && nowMs - s.lastSeenMs > lifetime) this.forget(s);
    }
  }

  clear(): void {
    this.sessions.clear();
    this.sessionTotal = 0;
    this.order.clear();
    this.held.length = 0;
    this.heldBytesTotal = 0;
    this.last = null;
  }

  private expireHeld(nowMs: number): void {
    while (this.held.length > 0 && nowMs - this.held[0].receivedMs > this.limits.heldLifetimeMs) {
      this.heldBytesTotal -= (this.held.shift() as HeldSet).data.length;
      this.stats.heldSetsExpired++;
    }
  }

  private remove(session: ExporterSession, t: Template): void {
    if (session.templates.get(t.id) === t) session.templates.delete(t.id);
    this.order.delete(t);
  }

  /**
   * Second chance (CLOCK): the front of an order is the least recently placed; one refreshed
   * since it was placed goes to the back instead, stamped, so each refresh buys at most one move
   * and eviction stays O(1) amortised while the templates an exporter keeps refreshing stay.
   */
  private evictFromSession(session: ExporterSession): void {
    for (const t of session.templates.values()) {
      if (t.refreshedMs !== t.sessionPlacedMs) {
        t.sessionPlacedMs = t.refreshedMs;
        session.templates.delete(t.id);
        session.templates.set(t.id, t);
        continue;
      }
      this.remove(session, t);
      this.stats.templatesEvicted++;
      return;
    }
  }

  private evictOldest(): void {
    for (const [t, owner] of this.order) {
      if (t.refreshedMs !== t.placedMs) {
        t.placedMs = t.refreshedMs;
        this.order.delete(t);
        this.order.set(t, owner);
        continue;
      }
      this.remove(owner, t);
      this.stats.templatesEvicted++;
      return;
    }
  }

  /** Every session (for metrics such as templates per exporter). */
  sessionList(): ExporterSession[] {
    return [...this.sessions.values()].flatMap((m) => [...m.values()]);
  }

  /** Drop the least recently seen session (a scan, only when a new one would pass the bound). */
  private dropOldestSession(): boolean {
    let oldest: ExporterSession | null = null;
    for (const m of this.sessions.values()) {
      for (const s of m.values()) if (oldest === null || s.lastSeenMs < oldest.lastSeenMs) oldest = s;
    }
    if (oldest === null) return false;
    this.forget(oldest);
    this.stats.sessionsEvicted++;
    return true;
  }

  private forget(s: ExporterSession): void {
    for (const t of s.templates.values()) this.order.delete(t);
    s.templates.clear();
    const ofExporter = this.sessions.get(s.exporter);
    if (ofExporter?.delete(versionDomain(s.version, s.domain))) this.sessionTotal--;
    if (ofExporter?.size === 0) this.sessions.delete(s.exporter);
    for (let i = this.held.length - 1; i >= 0; i--) {
      if (this.held[i].session === s) {
        this.heldBytesTotal -= this.held[i].data.length;
        this.held.splice(i, 1);
      }
    }
    if (this.last === s) this.last = null;
  }
}

const NONE: readonly HeldSet[] = Object.freeze([]);
