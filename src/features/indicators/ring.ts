/**
 * Fixed-capacity ring of float64 values. Window statistics are recomputed from the stored values on
 * every call (O(window)) instead of being kept as running sums: running sums carry rounding residue
 * from the whole history, which would make a row depend (slightly) on candles far outside its window
 * and break the exact warm-up and streaming == batch guarantees.
 *
 * Every value is stored twice (slot i and i + capacity) so the newest values always sit in one
 * contiguous stretch ending at `head + capacity`: loops need no modulo.
 */
export class Ring {
  private readonly buf: Float64Array;
  private head = 0;
  private n = 0;

  constructor(readonly capacity: number) {
    this.buf = new Float64Array(2 * Math.max(1, capacity));
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
    this.buf[this.head + this.capacity] = x;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    if (this.n < this.capacity) this.n++;
  }

  /** The value pushed `lag` pushes ago (0 = newest); NaN when not held. */
  back(lag: number): number {
    if (lag >= this.n) return NaN;
    return this.buf[this.head + this.capacity - 1 - lag];
  }

  /** Mean of the newest `w` values; NaN when fewer are held. Summed oldest first. */
  mean(w: number): number {
    if (w > this.n || w < 1) return NaN;
    const end = this.head + this.capacity;
    let s = 0;
    for (let i = end - w; i < end; i++) s += this.buf[i];
    return s / w;
  }

  /** Population standard deviation of the newest `w` values around `mean`. */
  std(w: number, mean: number): number {
    if (w > this.n || w < 1) return NaN;
    const end = this.head + this.capacity;
    let s = 0;
    for (let i = end - w; i < end; i++) {
      const d = this.buf[i] - mean;
      s += d * d;
    }
    return Math.sqrt(s / w);
  }

  /** Root mean square of the newest `w` values (zero-mean volatility estimate). */
  rms(w: number): number {
    if (w > this.n || w < 1) return NaN;
    const end = this.head + this.capacity;
    let s = 0;
    for (let i = end - w; i < end; i++) s += this.buf[i] * this.buf[i];
    return Math.sqrt(s / w);
  }

  /** Largest of the newest `w` values; NaN when fewer are held. */
  max(w: number): number {
    if (w > this.n || w < 1) return NaN;
    const end = this.head + this.capacity;
    let m = -Infinity;
    for (let i = end - w; i < end; i++) if (this.buf[i] > m) m = this.buf[i];
    return m;
  }

  /** Smallest of the newest `w` values; NaN when fewer are held. */
  min(w: number): number {
    if (w > this.n || w < 1) return NaN;
    const end = this.head + this.capacity;
    let m = Infinity;
    for (let i = end - w; i < end; i++) if (this.buf[i] < m) m = this.buf[i];
    return m;
  }
}
