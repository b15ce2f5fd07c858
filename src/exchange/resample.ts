import { QuantgateError } from '../core/errors.ts';
import type { Candle, Timeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';

export interface ResampleResult {
  readonly candles: Candle[];
  /** Open times of buckets with missing source candles (dropped unless `keepIncomplete`). */
  readonly incomplete: number[];
}

/**
 * Aggregates candles into a larger UTC-aligned timeframe (12h buckets open at 00:00 and 12:00
 * UTC, 1d at 00:00). A bucket missing any source candle is reported and, by default, dropped:
 * an invented candle would be worse than a visible gap. Only whole buckets that have ended by the
 * last source candle are produced, so a still-forming bucket is never emitted.
 */
export function resampleCandles(
  candles: readonly Candle[],
  from: Timeframe,
  to: Timeframe,
  opts: { keepIncomplete?: boolean } = {},
): ResampleResult {
  const fm = timeframeMs(from);
  const tm = timeframeMs(to);
  if (tm <= fm || tm % fm !== 0)
    throw new QuantgateError(
      'USAGE',
      `cannot resample ${from} into ${to}: ${to} must be a whole multiple of ${from}`,
    );
  const per = tm / fm;
  const out: Candle[] = [];
  const incomplete: number[] = [];
  let i = 0;
  while (i < candles.length) {
    const start = Math.floor(candles[i].timestamp / tm) * tm;
    let j = i;
    let high = -Infinity;
    let low = Infinity;
    let volume = 0;
    while (j < candles.length && candles[j].timestamp < start + tm) {
      high = Math.max(high, candles[j].high);
      low = Math.min(low, candles[j].low);
      volume += candles[j].volume;
      j++;
    }
    const lastOpen = candles[j - 1].timestamp;
    const complete = j - i === per;
    const ended = j < candles.length || lastOpen + fm >= start + tm;
    if (complete || (opts.keepIncomplete && ended)) {
      out.push({ timestamp: start, open: candles[i].open, high, low, close: candles[j - 1].close, volume });
    }
    if (!complete && ended) incomplete.push(start);
    i = j;
  }
  return { candles: out, incomplete };
}

/** Stored timeframes a missing 4h / 12h / 1d series can be built from, finest first. */
export function resampleSourcesFor(to: Timeframe): Timeframe[] {
  const tm = timeframeMs(to);
  return (['1h', '4h'] as const).filter((s) => timeframeMs(s) < tm && tm % timeframeMs(s) === 0);
}

export interface MergedResample {
  readonly candles: Candle[];
  /** Per source timeframe, how many buckets it supplied. */
  readonly used: Readonly<Partial<Record<Timeframe, number>>>;
}

/**
 * Builds `to` from several stored timeframes: each bucket from the finest source that holds it
 * whole. The shared Binance 1h files miss an hour every few weeks; the 4h files usually hold that
 * hour, so the 12h bucket survives (same trades, identical OHLC). Nothing is invented: a bucket no
 * source holds whole stays a gap.
 */
export function resampleMerged(
  sources: readonly { readonly timeframe: Timeframe; readonly candles: readonly Candle[] }[],
  to: Timeframe,
): MergedResample {
  const byTime = new Map<number, Candle>();
  const used: Partial<Record<Timeframe, number>> = {};
  const finestFirst = [...sources].sort((a, b) => timeframeMs(a.timeframe) - timeframeMs(b.timeframe));
  for (const s of finestFirst) {
    let n = 0;
    for (const c of resampleCandles(s.candles, s.timeframe, to).candles)
      if (!byTime.has(c.timestamp)) {
        byTime.set(c.timestamp, c);
        n++;
      }
    used[s.timeframe] = n;
  }
  return { candles: [...byTime.values()].sort((a, b) => a.timestamp - b.timestamp), used };
}
