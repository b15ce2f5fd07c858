import type { Candle, SeriesKey } from '../core/types.ts';
import { QuantgateError } from '../core/errors.ts';

/** Column views over the most recent candles, oldest first. */
export interface CandleWindow {
  readonly length: number;
  readonly timestamp: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

const COLUMNS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;
type Column = (typeof COLUMNS)[number];

/**
 * Fixed-capacity ring of candles for one series, stored as Float64Array columns.
 *
 * Every value is written twice, at slot i and at slot i + capacity, so the newest n candles
 * always sit in one contiguous stretch: `window(n)` returns subarray views and never copies.
 * That costs twice the memory of a plain ring (48 bytes × 2 per candle) and one extra store per
 * column on append — both fixed, so memory does not grow with run length.
 *
 * Views returned by `window` are live: a later `append` may overwrite what they show. Copy
 * (`windowCopy`) if you keep a window across appends.
 */
export class CandleBuffer {
  readonly capacity: number;
  readonly key: SeriesKey | undefined;
  private readonly cols: Record<Column, Float64Array>;
  private count = 0;
  private head = 0; // next slot to write, in [0, capacity)

  constructor(capacity: number, key?: SeriesKey) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new QuantgateError(
        'INTERNAL',
        `CandleBuffer: capacity must be a positive integer, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.key = key;
    const make = () => new Float64Array(capacity * 2);
    this.cols = { timestamp: make(), open: make(), high: make(), low: make(), close: make(), volume: make() };
  }

  /** Candles currently held (≤ capacity). */
  get length(): number {
    return this.count;
  }

  /** Total candles ever appended (the ring forgets the oldest beyond capacity). */
  private appended = 0;
  get totalAppended(): number {
    return this.appended;
  }

  /** Open time of the newest candle, or NaN when empty. */
  lastTimestamp(): number {
    if (this.count === 0) return Number.NaN;
    return this.cols.timestamp[this.head + this.capacity - 1];
  }

  /**
   * Appends a closed candle. Throws DATA_INVALID on a timestamp that is not strictly greater
   * than the newest one, or on a non-finite value — both would corrupt every indicator downstream.
   */
  append(c: Candle): void {
    const last = this.lastTimestamp();
    if (this.count > 0 && !(c.timestamp > last)) {
      throw new QuantgateError(
        'DATA_INVALID',
        `CandleBuffer ${this.describe()}: timestamp ${c.timestamp} is not after the newest ${last} (expected strictly increasing open times)`,
      );
    }
    if (!isFiniteCandle(c)) {
      throw new QuantgateError(
        'DATA_INVALID',
        `CandleBuffer ${this.describe()}: candle at ${c.timestamp} has a non-finite field (expected finite timestamp, open, high, low, close, volume)`,
      );
    }
    const i = this.head;
    const j = i + this.capacity;
    const { timestamp, open, high, low, close, volume } = this.cols;
    timestamp[i] = timestamp[j] = c.timestamp;
    open[i] = open[j] = c.open;
    high[i] = high[j] = c.high;
    low[i] = low[j] = c.low;
    close[i] = close[j] = c.close;
    volume[i] = volume[j] = c.volume;
    this.head = i + 1 === this.capacity ? 0 : i + 1;
    if (this.count < this.capacity) this.count++;
    this.appended++;
  }

  /** The newest n candles (default all held) as zero-copy column views, oldest first. */
  window(n: number = this.count): CandleWindow {
    const len = clampLength(n, this.count);
    const end = this.head + this.capacity;
    const start = end - len;
    const { timestamp, open, high, low, close, volume } = this.cols;
    return {
      length: len,
      timestamp: timestamp.subarray(start, end),
      open: open.subarray(start, end),
      high: high.subarray(start, end),
      low: low.subarray(start, end),
      close: close.subarray(start, end),
      volume: volume.subarray(start, end),
    };
  }

  /** Like `window`, but detached from the ring (safe to keep across appends). */
  windowCopy(n: number = this.count): CandleWindow {
    const w = this.window(n);
    return {
      length: w.length,
      timestamp: w.timestamp.slice(),
      open: w.open.slice(),
      high: w.high.slice(),
      low: w.low.slice(),
      close: w.close.slice(),
      volume: w.volume.slice(),
    };
  }

  /** Candle i of the held ones, 0 = oldest; negative i counts from the newest (-1 = newest). */
  at(i: number): Candle | undefined {
    const k = i < 0 ? this.count + i : i;
    if (!Number.isInteger(k) || k < 0 || k >= this.count) return undefined;
    const slot = this.head + this.capacity - this.count + k;
    const { timestamp, open, high, low, close, volume } = this.cols;
    return {
      timestamp: timestamp[slot],
      open: open[slot],
      high: high[slot],
      low: low[slot],
      close: close[slot],
      volume: volume[slot],
    };
  }

  /** The newest n candles as objects (allocates; for tests, reports and small n). */
  toArray(n: number = this.count): Candle[] {
    const len = clampLength(n, this.count);
    const out: Candle[] = [];
    for (let k = this.count - len; k < this.count; k++) out.push(this.at(k) as Candle);
    return out;
  }

  /** Bytes held by the columns; constant for the buffer's life. */
  get byteLength(): number {
    return COLUMNS.length * this.capacity * 2 * Float64Array.BYTES_PER_ELEMENT;
  }

  private describe(): string {
    return this.key ? `${this.key.exchange} ${this.key.symbol} ${this.key.timeframe}` : '(unnamed)';
  }
}

function clampLength(n: number, count: number): number {
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.min(Math.floor(n), count);
}

function isFiniteCandle(c: Candle): boolean {
  return (
    Number.isFinite(c.timestamp) &&
    Number.isFinite(c.open) &&
    Number.isFinite(c.high) &&
    Number.isFinite(c.low) &&
    Number.isFinite(c.close) &&
    Number.isFinite(c.volume)
  );
}
