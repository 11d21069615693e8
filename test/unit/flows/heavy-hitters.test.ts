import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpaceSaving } from '../../../collector/flows/heavy-hitters.js';

describe('SpaceSaving', () => {
  it('is exact while the keys fit', () => {
    const ss = new SpaceSaving(4);
    ss.add('a', 10);
    ss.add('b', 5);
    ss.add('a', 1);
    ss.add('c', 7);
    expect(ss.top(2)).toEqual([
      { key: 'a', count: 11, error: 0 },
      { key: 'c', count: 7, error: 0 },
    ]);
    expect(ss.total).toBe(23);
  });

  it('keeps a dominant key among a flood of one-off keys, in fixed memory', () => {
    const ss = new SpaceSaving(16);
    for (let i = 0; i < 100_000; i++) {
      ss.add(`noise-${i}`, 1);
      if (i % 10 === 0) ss.add('elephant', 100);
    }
    expect(ss.size).toBe(16);
    const [first] = ss.top(1);
    expect(first.key).toBe('elephant');
    expect(first.count - first.error).toBeLessThanOrEqual(1_000_000);
    expect(first.count).toBeGreaterThanOrEqual(1_000_000);
  });

  it('guarantees: heavy keys are monitored and bounds hold (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 1000 })), { maxLength: 400 }),
        (capacity, stream) => {
          const ss = new SpaceSaving(capacity);
          const truth = new Map<string, number>();
          for (const [k, w] of stream) {
            const key = `k${k}`;
            ss.add(key, w);
            truth.set(key, (truth.get(key) ?? 0) + w);
          }
          const total = stream.reduce((s, [, w]) => s + w, 0);
          const monitored = new Map(ss.top(capacity).map((h) => [h.key, h]));
          for (const [key, weight] of truth) {
            if (weight > total / capacity) expect(monitored.has(key)).toBe(true);
            const h = monitored.get(key);
            if (h) {
              expect(h.count).toBeGreaterThanOrEqual(weight);
              expect(h.count - h.error).toBeLessThanOrEqual(weight);
            }
          }
        },
      ),
    );
  });
});
