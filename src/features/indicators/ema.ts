/**
 * Exponential moving average seeded with the simple mean of its first `period` inputs (the
 * convention of technicalindicators' EMA / WEMA, so our values can be checked against it).
 * `alpha` = 2 / (period + 1) for a classic EMA, 1 / period for Wilder smoothing.
 */
export class SeededEma {
  private count = 0;
  private sum = 0;
  private value = NaN;

  constructor(
    readonly period: number,
    readonly alpha: number,
  ) {}

  static classic(period: number): SeededEma {
    return new SeededEma(period, 2 / (period + 1));
  }

  static wilder(period: number): SeededEma {
    return new SeededEma(period, 1 / period);
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.value = NaN;
  }

  /** Feeds one value; returns the average, NaN until `period` values were seen. */
  push(x: number): number {
    if (this.count < this.period) {
      this.sum += x;
      this.count++;
      if (this.count === this.period) this.value = this.sum / this.period;
      return this.value;
    }
    this.value = (x - this.value) * this.alpha + this.value;
    return this.value;
  }

  /** Index (0-based, counted in pushes) of the first defined output. */
  get seedIndex(): number {
    return this.period - 1;
  }

  /** Per-step factor by which an error in the state shrinks. */
  get decay(): number {
    return 1 - this.alpha;
  }
}
