/**
 * Weighted Space-Saving (Metwally, Agrawal, El Abbadi, "Efficient Computation of Frequent and
 * Top-k Elements in Data Streams", 2005): the heaviest keys of a stream in fixed memory.
 * `capacity` counters; a key not monitored replaces the current minimum and inherits its count
 * as its error bound. Guarantees: every key whose true weight exceeds total/capacity is
 * monitored, and for a monitored key, count - error <= true weight <= count.
 *
 * The counters live in an indexed binary min-heap (parallel arrays + key → slot map), so an
 * update is O(log capacity) and nothing is allocated after warm-up but the key strings.
 */
export interface HeavyHitter {
  readonly key: string;
  /** Upper bound of the key's weight. */
  readonly count: number;
  /** How much of `count` may belong to keys it replaced (count - error is a lower bound). */
  readonly error: number;
}

export class SpaceSaving {
  private readonly keys: string[] = [];
  private readonly counts: Float64Array;
  private readonly errors: Float64Array;
  private readonly slot = new Map<string, number>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.counts = new Float64Array(capacity);
    this.errors = new Float64Array(capacity);
  }

  /**
   * Weight added since the last clear: every add() adds its weight to exactly one counter (a
   * newcomer's counter starts at the minimum it replaces), so the counters sum to it. Summed
   * here rather than kept in a field: a running total soon leaves the small-integer range, and
   * V8 then changes the field's representation under the hot path's optimized code (a deopt).
   */
  get total(): number {
    let sum = 0;
    for (let i = 0; i < this.keys.length; i++) sum += this.counts[i];
    return sum;
  }

  get size(): number {
    return this.keys.length;
  }

  add(key: string, weight: number): void {
    if (!(weight > 0)) return;
    const at = this.slot.get(key);
    if (at !== undefined) {
      this.counts[at] += weight;
      this.siftDown(at);
      return;
    }
    if (this.keys.length < this.capacity) {
      const i = this.keys.length;
      this.keys.push(key);
      this.counts[i] = weight;
      this.errors[i] = 0;
      this.slot.set(key, i);
      this.siftUp(i);
      return;
    }
    // Replace the minimum (the heap's root): the newcomer inherits its count as error.
    const min = this.counts[0];
    this.slot.delete(this.keys[0]);
    this.keys[0] = key;
    this.slot.set(key, 0);
    this.errors[0] = min;
    this.counts[0] = min + weight;
    this.siftDown(0);
  }

  /** The `n` heaviest keys, heaviest first. */
  top(n: number): HeavyHitter[] {
    const all: HeavyHitter[] = this.keys.map((key, i) => ({ key, count: this.counts[i], error: this.errors[i] }));
    all.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
    return all.slice(0, Math.max(0, n));
  }

  clear(): void {
    this.keys.length = 0;
    this.slot.clear();
  }

  private swap(a: number, b: number): void {
    const ka = this.keys[a];
    const kb = this.keys[b];
    this.keys[a] = kb;
    this.keys[b] = ka;
    this.slot.set(kb, a);
    this.slot.set(ka, b);
    const c = this.counts[a];
    this.counts[a] = this.counts[b];
    this.counts[b] = c;
    const e = this.errors[a];
    this.errors[a] = this.errors[b];
    this.errors[b] = e;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.counts[parent] <= this.counts[i]) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.counts[l] < this.counts[smallest]) smallest = l;
      if (r < n && this.counts[r] < this.counts[smallest]) smallest = r;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}
