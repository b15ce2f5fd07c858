/**
 * Fixed-capacity ring of float64 values. Window statistics are recomputed from the stored values on
 * every call (O(capacity)) instead of being kept as running sums: running sums carry rounding residue
 * from the whole history, which would make a row depend (slightly) on candles far outside its window
 * and break the exact warm-up and streaming == batch guarantees.
 */
export class Ring {
  private readonly buf: Float64Array;
  private head = 0;
  private n = 0;

  constructor(readonly capacity: number) {
    this.buf = new Float64Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.n;
  }

  clear(): void {
    this.head = 0;
    this.n = 0;
  }

  push(x: number): void {
    this.buf[this.head] = x;
    this.head = (this.head + 1) % this.capacity;
    if (this.n < this.capacity) this.n++;
  }

  /** The value pushed `lag` pushes ago (0 = newest); NaN when not held. */
  back(lag: number): number {
    if (lag >= this.n) return NaN;
    return this.buf[(this.head - 1 - lag + 2 * this.capacity) % this.capacity];
  }

  /** Mean of the newest `w` values; NaN when fewer are held. */
  mean(w: number): number {
    if (w > this.n || w < 1) return NaN;
    let s = 0;
    for (let i = 0; i < w; i++) s += this.back(i);
    return s / w;
  }

  /** Population standard deviation of the newest `w` values around `mean`. */
  std(w: number, mean: number): number {
    if (w > this.n || w < 1) return NaN;
    let s = 0;
    for (let i = 0; i < w; i++) {
      const d = this.back(i) - mean;
      s += d * d;
    }
    return Math.sqrt(s / w);
  }

  /** Root mean square of the newest `w` values (zero-mean volatility estimate). */
  rms(w: number): number {
    if (w > this.n || w < 1) return NaN;
    let s = 0;
    for (let i = 0; i < w; i++) {
      const x = this.back(i);
      s += x * x;
    }
    return Math.sqrt(s / w);
  }
}
