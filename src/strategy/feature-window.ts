/**
 * The last `capacity` feature rows of one series in a fixed ring; `window(n)` copies the newest n
 * rows oldest-first into a reusable buffer. A gap (`reset`) empties it so no window spans a gap.
 */
export class FeatureWindow {
  private readonly data: Float32Array;
  private head = 0;
  private count = 0;
  private readonly out: Float32Array;

  constructor(
    readonly width: number,
    readonly capacity: number,
  ) {
    this.data = new Float32Array(width * capacity);
    this.out = new Float32Array(width * capacity);
  }

  push(row: Float32Array): void {
    this.data.set(row, this.head * this.width);
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
    const w = this.width;
    for (let i = 0; i < n; i++) {
      const slot = (this.head - n + i + this.capacity) % this.capacity;
      this.out.set(this.data.subarray(slot * w, slot * w + w), i * w);
    }
    return this.out.slice(0, n * w);
  }
}
