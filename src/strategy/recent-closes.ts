/**
 * The last `capacity` closes of one series with their open times. `contiguous()` gives them only
 * when they are gap-free (consecutive open times one candle apart) and the buffer is full — the
 * same condition the labels put on their volatility window, so the strategy's σ is the labels' σ.
 */
export class RecentCloses {
  private readonly closes: number[] = [];
  private readonly times: number[] = [];

  constructor(
    private readonly capacity: number,
    private readonly candleMs: number,
  ) {}

  push(timestamp: number, close: number): void {
    const last = this.times[this.times.length - 1];
    if (last !== undefined && timestamp <= last) return; // a repeat (restart replay) changes nothing
    this.closes.push(close);
    this.times.push(timestamp);
    if (this.closes.length > this.capacity) {
      this.closes.shift();
      this.times.shift();
    }
  }

  contiguous(): Float64Array | null {
    const n = this.closes.length;
    if (n < this.capacity) return null;
    if (this.times[n - 1] - this.times[0] !== (n - 1) * this.candleMs) return null;
    return Float64Array.from(this.closes);
  }
}

const DAY_MS = 86_400_000;

/**
 * Daily closes (UTC days) built from a series' own candles: a day's close is the last close whose
 * candle opened in that day, final once a candle closes at or after the day's end. `trendReturn`
 * uses completed days only, so a candle never sees its own day's unfinished close.
 */
export class DailyCloses {
  private readonly days = new Map<number, number>();
  private lastCloseTime = -Infinity;

  constructor(
    private readonly lookbackDays: number,
    private readonly candleMs: number,
  ) {}

  push(openTime: number, close: number): void {
    const closeTime = openTime + this.candleMs;
    if (closeTime <= this.lastCloseTime) return; // a repeat (restart replay) changes nothing
    this.lastCloseTime = closeTime;
    const day = Math.floor(openTime / DAY_MS);
    this.days.set(day, close);
    for (const d of this.days.keys()) if (d < day - this.lookbackDays - 1) this.days.delete(d);
  }

  /** ln(close of the last completed day / close `lookbackDays` days before it); NaN if either is missing. */
  trendReturn(): number {
    const lastDone = Math.floor(this.lastCloseTime / DAY_MS) - 1;
    const a = this.days.get(lastDone - this.lookbackDays);
    const b = this.days.get(lastDone);
    return a !== undefined && b !== undefined ? Math.log(b / a) : NaN;
  }
}
