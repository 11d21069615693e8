/**
 * A bounded FIFO of points waiting for delivery. When full, the oldest points make room for the
 * newest (recent data is worth more to an operator than old data) and the drop is counted.
 * The batch being sent stays at the head, out of reach of those drops, until it is settled.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private inFlight = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends; returns how many of the oldest waiting items were dropped to stay within capacity. */
  push(batch: readonly T[]): number {
    for (const item of batch) this.items.push(item);
    const excess = this.length - this.capacity;
    if (excess <= 0) return 0;
    if (this.inFlight === 0) {
      this.head += excess;
      this.compact();
    } else {
      this.items.splice(this.head + this.inFlight, excess);
    }
    return excess;
  }

  /** Marks the oldest `n` items (fewer when shorter) as being sent and returns them. */
  take(n: number): T[] {
    if (this.inFlight > 0) throw new Error('BoundedQueue: a batch is already in flight');
    const batch = this.items.slice(this.head, this.head + n);
    this.inFlight = batch.length;
    return batch;
  }

  /** Ends the send of the taken batch: delivered (or given up) removes it, otherwise it stays first. */
  settle(remove: boolean): void {
    if (remove) {
      this.head += this.inFlight;
      this.compact();
    }
    this.inFlight = 0;
  }

  private compact(): void {
    // Amortised O(1): copy the live part once the dead prefix is as long as it.
    if (this.head > 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
