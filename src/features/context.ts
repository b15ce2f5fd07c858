import { QuantgateError } from '../core/errors.ts';
import { checkCandle } from './candle-check.ts';
import { Ring } from './indicators/ring.ts';
import { contextNames, contextWarmup } from './spec.ts';
import type { Candle } from '../core/types.ts';
import type { ContextSummarySpec, FeatureSpec } from './spec.ts';

/** Floor of a volatility before its log (a flat window would give −∞); as in the feature kernel. */
const VOL_FLOOR = 1e-6;
/** Context rows kept for as-of look-ups: a context candle may be pushed a few before the row that needs it. */
const HISTORY = 8;
/** Missing context candles bridged without a reset. */
const BRIDGED = 1;

/**
 * The summaries of one context series (the market reference, or a higher timeframe of the same
 * symbol), kept for its last HISTORY candles, keyed by close time. Rows read it as of their own
 * close time T: the newest context row that closed strictly before T. Strictly, because a host
 * may deliver the context candle closing at T before or after the row's own candle (two symbols'
 * streams, or a 1h and a 5m candle closing together): with "< T" the value is the same in both
 * orders, and batch (which sees every candle) computes exactly what streaming does. A context row
 * older than two context candles (the series stopped, or a gap) is missing, not stale: NaN.
 *
 * The summaries are computed by the same O(window) code for every caller, so batch and streaming
 * agree bit for bit; a gap of more than one candle in the context series restarts its warm-up.
 */
export class ContextSeries {
  readonly width: number;
  readonly warmup: number;
  private readonly closes: Ring;
  private readonly rets: Ring;
  /** Ring of HISTORY rows: close time and `width` values each (NaN while warming up). */
  private readonly closeTimes = new Float64Array(HISTORY);
  private readonly values: Float64Array;
  private head = 0;
  private held = 0;
  private lastTs = NaN;
  private seen = 0;

  constructor(readonly spec: ContextSummarySpec) {
    this.width = contextNames(spec).length;
    this.warmup = contextWarmup(spec);
    this.closes = new Ring(Math.max(...spec.returnLags) + 1);
    this.rets = new Ring(spec.volatilityWindow);
    this.values = new Float64Array(HISTORY * this.width);
  }

  /** Open time of the newest candle pushed (NaN before the first). */
  get lastTimestamp(): number {
    return this.lastTs;
  }

  /**
   * Feeds one closed candle of the context series. A candle at or before the newest one is ignored
   * (the same candle may reach the context both as a model series and as context).
   */
  push(c: Candle): void {
    if (c.timestamp <= this.lastTs) return;
    checkCandle(c);
    const s = this.spec;
    // One missing context candle is bridged (its return is taken over two periods): a store's
    // daily series resampled from hourly files lacks a whole day for one missing hour, and a reset
    // would blank every row for the next `warmup` days. A longer gap restarts the warm-up.
    if (!Number.isNaN(this.lastTs) && c.timestamp - this.lastTs > (1 + BRIDGED) * s.tfMs) {
      this.closes.clear();
      this.rets.clear();
      this.seen = 0;
    }
    const prev = this.closes.length > 0 ? this.closes.back(0) : NaN;
    this.closes.push(c.close);
    if (!Number.isNaN(prev)) this.rets.push(Math.log(c.close / prev));
    this.seen++;
    this.lastTs = c.timestamp;
    const slot = this.head;
    this.head = (this.head + 1) % HISTORY;
    if (this.held < HISTORY) this.held++;
    this.closeTimes[slot] = c.timestamp + s.tfMs;
    const at = slot * this.width;
    if (this.seen <= this.warmup) {
      this.values.fill(NaN, at, at + this.width);
      return;
    }
    let k = at;
    for (const l of s.returnLags) this.values[k++] = Math.log(c.close / this.closes.back(l));
    this.values[k] = Math.log(Math.max(VOL_FLOOR, this.rets.rms(s.volatilityWindow)));
  }

  /**
   * Writes the summaries of the newest row that closed strictly before `closeTime` (and no earlier
   * than two context candles before it) to `out[offset ..)`; NaN and false when there is none.
   */
  writeAsOf(closeTime: number, out: Float32Array | Float64Array, offset: number): boolean {
    for (let i = 1; i <= this.held; i++) {
      const slot = (this.head - i + HISTORY) % HISTORY;
      const t = this.closeTimes[slot];
      if (t >= closeTime) continue;
      if (t < closeTime - 2 * this.spec.tfMs) break;
      const at = slot * this.width;
      let ok = true;
      for (let j = 0; j < this.width; j++) {
        const v = this.values[at + j];
        out[offset + j] = v;
        if (!Number.isFinite(v)) ok = false;
      }
      return ok;
    }
    out.fill(NaN, offset, offset + this.width);
    return false;
  }

  reset(): void {
    this.closes.clear();
    this.rets.clear();
    this.head = 0;
    this.held = 0;
    this.lastTs = NaN;
    this.seen = 0;
  }
}

/** The context series one feature stream reads, in the order of its spec (market, then higher timeframes). */
export interface FeatureContextSources {
  readonly market?: ContextSeries;
  readonly higher?: readonly ContextSeries[];
}

/** Candles of the context series for a batch computation (each ascending by open time). */
export interface FeatureContextCandles {
  /** The reference symbol's candles of the row's own timeframe. */
  readonly market?: readonly Candle[];
  /** The symbol's candles of each higher timeframe the spec names. */
  readonly higher?: Readonly<Partial<Record<string, readonly Candle[]>>>;
}

/** Columns of `spec`'s own series (the context columns follow them). */
export function ownWidth(spec: FeatureSpec): number {
  let w = spec.names.length;
  if (spec.market) w -= contextNames(spec.market).length;
  for (const h of spec.higher) w -= contextNames(h).length;
  return w;
}

/** Whether the spec has context columns, i.e. needs context series. */
export function needsContext(spec: FeatureSpec): boolean {
  return spec.market !== null || spec.higher.length > 0;
}

/**
 * Writes the context columns of the row closing at `closeTime` after its own columns; false (and
 * NaN) when any context value is missing, so the row is not used.
 */
export function writeContext(
  series: readonly ContextSeries[],
  closeTime: number,
  out: Float32Array | Float64Array,
  offset: number,
): boolean {
  let ok = true;
  let k = offset;
  for (const s of series) {
    if (!s.writeAsOf(closeTime, out, k)) ok = false;
    k += s.width;
  }
  return ok;
}

/** The context series a spec reads, in column order; throws INTERNAL when one was not provided. */
export function contextSeriesOf(
  spec: FeatureSpec,
  sources: FeatureContextSources | undefined,
): ContextSeries[] {
  const out: ContextSeries[] = [];
  if (spec.market) {
    if (!sources?.market)
      throw new QuantgateError(
        'INTERNAL',
        `features: ${spec.timeframe} features use features.marketContext but no reference series was given`,
      );
    out.push(sources.market);
  }
  spec.higher.forEach((h, i) => {
    const s = sources?.higher?.[i];
    if (!s || s.spec.timeframe !== h.timeframe)
      throw new QuantgateError(
        'INTERNAL',
        `features: ${spec.timeframe} features use features.higherTimeframes ${h.timeframe} but no such series was given`,
      );
    out.push(s);
  });
  return out;
}
