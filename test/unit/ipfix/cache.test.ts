import { describe, expect, it } from 'vitest';
import { MessageHeader, Template, TemplateCache } from '../../../collector/ipfix/decode.js';

function template(id: number, options = false): Template {
  return new Template({
    version: 10,
    id,
    options,
    scopeCount: options ? 1 : 0,
    ids: Uint16Array.of(2),
    enterprises: Uint32Array.of(0),
    lengths: Uint16Array.of(4),
    actions: Uint8Array.of(0),
    ignoredFields: 0,
    runningTotals: 0,
    specifiers: Uint8Array.of(0, 2, 0, 4),
  });
}

describe('TemplateCache', () => {
  it('scopes templates per (exporter, version, observation domain)', () => {
    const cache = new TemplateCache();
    const a = cache.session('192.0.2.1:50000', 10, 1, 0);
    const b = cache.session('192.0.2.1:50000', 10, 2, 0);
    const c = cache.session('192.0.2.1:50000', 9, 1, 0);
    cache.set(a, template(256), 0);
    expect(cache.get(a, 256, 0)?.id).toBe(256);
    expect(cache.get(b, 256, 0)).toBeUndefined();
    expect(cache.get(c, 256, 0)).toBeUndefined();
    expect(cache.session('192.0.2.1:50000', 10, 1, 5)).toBe(a);
    expect(cache.sessionCount).toBe(3);
  });

  it('bounds templates per session and in total, evicting the least recently refreshed', () => {
    const cache = new TemplateCache({ maxTemplatesPerSession: 3, maxTemplates: 5 });
    const a = cache.session('a', 10, 0, 0);
    const b = cache.session('b', 10, 0, 0);
    for (let id = 256; id < 260; id++) cache.set(a, template(id), id);
    expect([...a.templates.keys()]).toEqual([257, 258, 259]);
    cache.set(a, template(257), 300); // refresh: now the newest of a
    cache.set(b, template(256), 301);
    cache.set(b, template(257), 302);
    cache.set(b, template(258), 303); // total 6 > 5: the oldest overall (a/258) goes
    expect([...a.templates.keys()]).toEqual([259, 257]);
    expect(cache.templateCount).toBe(5);
    expect(cache.stats.templatesEvicted).toBe(2);
  });

  it('a refresh only stamps; eviction then passes over what was refreshed since it was placed (second chance)', () => {
    const cache = new TemplateCache({ maxTemplatesPerSession: 3, maxTemplates: 5 });
    const a = cache.session('a', 10, 0, 0);
    const b = cache.session('b', 10, 0, 0);
    const kept = [256, 257, 258].map((id) => template(id));
    kept.forEach((t, i) => cache.set(a, t, i));
    cache.refresh(kept[0], 10);
    expect([...a.templates.values()]).toEqual(kept); // not reordered
    expect(kept[0].refreshedMs).toBe(10);
    cache.set(a, template(259), 11); // a is full: 257, the least recently refreshed, goes; 256 is kept
    expect([...a.templates.keys()].sort()).toEqual([256, 258, 259]);
    cache.refresh(kept[2], 12);
    for (const [id, now] of [[256, 13], [257, 14], [258, 15]]) cache.set(b, template(id), now);
    // 6 > 5 in all: a/256 and a/258, refreshed since placed, move to the back; a/259 goes.
    expect([...a.templates.keys()].sort()).toEqual([256, 258]);
    expect(cache.templateCount).toBe(5);
    expect(cache.stats.templatesEvicted).toBe(2);
  });

  it('bounds sessions, dropping the least recently seen with its templates', () => {
    const cache = new TemplateCache({ maxSessions: 2 });
    cache.set(cache.session('a', 10, 0, 0), template(256), 0);
    cache.session('b', 10, 0, 1);
    cache.session('a', 10, 0, 2);
    cache.session('c', 10, 0, 3); // b is the least recently seen
    expect(cache.sessionCount).toBe(2);
    expect(cache.templateCount).toBe(1);
    cache.session('d', 10, 0, 4); // now a goes, and its template with it
    expect(cache.templateCount).toBe(0);
    expect(cache.stats.sessionsEvicted).toBe(2);
  });

  it('replaces the only session of an exporter by another of the same exporter', () => {
    const cache = new TemplateCache({ maxSessions: 1 });
    const first = cache.session('a', 10, 0, 0);
    const second = cache.session('a', 10, 1, 1);
    expect(second).not.toBe(first);
    expect(cache.session('a', 10, 1, 2)).toBe(second);
    expect(cache.sessionList()).toEqual([second]);
  });

  it('expires templates not refreshed within their lifetime, on lookup and by sweep', () => {
    const cache = new TemplateCache({ templateLifetimeMs: 1000 });
    const s = cache.session('a', 10, 0, 0);
    cache.set(s, template(256), 0);
    cache.set(s, template(257), 0);
    cache.set(s, template(257), 900);
    expect(cache.get(s, 256, 1000)?.id).toBe(256);
    expect(cache.get(s, 256, 1001)).toBeUndefined();
    cache.sweep(1800);
    expect(cache.get(s, 257, 1800)?.id).toBe(257);
    cache.sweep(1901);
    expect(cache.templateCount).toBe(0);
    expect(cache.stats.templatesExpired).toBe(2);
    cache.sweep(3000); // idle and empty: the session goes too
    expect(cache.sessionCount).toBe(0);
  });

  it('withdraws one template or every template of a kind', () => {
    const cache = new TemplateCache();
    const s = cache.session('a', 10, 0, 0);
    cache.set(s, template(256), 0);
    cache.set(s, template(257), 0);
    cache.set(s, template(258, true), 0);
    expect(cache.withdraw(s, 256)).toBe(true);
    expect(cache.withdraw(s, 256)).toBe(false);
    expect(cache.withdrawAll(s, false)).toBe(1);
    expect([...s.templates.keys()]).toEqual([258]);
  });

  it('holds data sets within count, byte and age bounds, and gives them back oldest first', () => {
    const cache = new TemplateCache({ maxHeldSets: 3, maxHeldBytes: 100, heldLifetimeMs: 1000 });
    const a = cache.session('a', 10, 0, 0);
    const b = cache.session('b', 10, 0, 0);
    const h = new MessageHeader();
    const body = (n: number, fill: number) => new Uint8Array(n).fill(fill);
    h.sequence = 1;
    expect(cache.hold(a, 300, 0, body(10, 1), h, 0)).toBe(0);
    h.sequence = 2;
    expect(cache.hold(b, 300, 0, body(10, 2), h, 1)).toBe(0);
    expect(cache.hold(a, 300, 1, body(10, 3), h, 2)).toBe(0);
    expect(cache.hold(a, 301, 0, body(10, 4), h, 3)).toBe(1); // a fourth set: the oldest goes
    expect(cache.hold(a, 301, 0, body(200, 5), h, 4)).toBe(-1); // larger than the whole buffer
    expect(cache.heldSets).toBe(3);
    expect(cache.hold(a, 302, 0, body(95, 6), h, 5)).toBe(3); // bytes: all others go
    expect(cache.heldBytes).toBe(95);
    expect(cache.takeHeld(a, 302, 2000)).toEqual([]); // expired meanwhile
    expect(cache.stats.heldSetsExpired).toBe(1);

    cache.hold(a, 300, 0, body(10, 7), h, 3000);
    cache.hold(b, 300, 0, body(10, 8), h, 3001);
    cache.hold(a, 300, 1, body(10, 9), h, 3002);
    const back = cache.takeHeld(a, 300, 3003);
    expect(back.map((x) => [x.data[0], x.setIndex, x.header.sequence])).toEqual([
      [7, 0, 2],
      [9, 1, 2],
    ]);
    expect(cache.heldSets).toBe(1);
  });

  it('remembers a bounded number of sampler rates per session', () => {
    const cache = new TemplateCache({ maxSamplersPerSession: 2 });
    const s = cache.session('a', 9, 0, 0);
    cache.setSamplingRate(s, 1, 100);
    cache.setSamplingRate(s, 2, 200);
    cache.setSamplingRate(s, 1, 150);
    cache.setSamplingRate(s, 3, 300);
    expect(Object.fromEntries(s.samplingRates)).toEqual({ 1: 150, 3: 300 });
  });
});
