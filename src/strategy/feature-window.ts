/**
 * The last `capacity` feature rows of one series in a fixed ring; `window(n)` copies the newest n
 * rows oldest-first. Each row is written twice (at its slot and one capacity later), so any window
 * is one contiguous block and a copy is a single memcpy — this runs on every candle of a replay.
 * A gap (`reset`) empties it so no window spans a gap.
 */
export class FeatureWindow {
  private readonly data: Float32Array;
  private head = 0;
  private count = 0;

  constructor(
    readonly width: number,
    readonly capacity: number,
  ) {
    this.data = new Float32Array(width * capacity * 2);
  }

  push(row: Float32Array): void {
    this.data.set(row, this.head * this.width);
    this.data.set(row, (this.head + this.capacity) * this.width);
    this.head = (this.head + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  reset(): void {
    this.count = 0;
  }

  get length(): number {
    return this.count;
  }

  /** A fresh copy (inputs outlive the call in batched prediction), oldest row first. */
  window(n: number): Float32Array | null {
    if (n > this.count) return null;
    // Rows head−n … head−1 (mod capacity) sit contiguously in the doubled buffer from head−n+capacity.
    const start = (this.head - n + this.capacity) * this.width;
    return this.data.slice(start, start + n * this.width);
  }
}
