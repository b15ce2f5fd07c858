import type { TimeFrame as DebutTimeFrame } from '@debut/types';
import { QuantgateError } from '../core/errors.ts';
import type { Candle, Timeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import { resampleCandles } from '../exchange/index.ts';

/** Debut's intervals (`DebutOptions.interval`) that are quantgate timeframes too. */
const FROM_DEBUT: Partial<Record<DebutTimeFrame, Timeframe>> = {
  '1min': '1m',
  '5min': '5m',
  '15min': '15m',
  '1h': '1h',
  '4h': '4h',
  day: '1d',
};

/** The quantgate timeframe of a Debut interval; USAGE error for one quantgate has no name for. */
export function timeframeOfDebutInterval(interval: DebutTimeFrame): Timeframe {
  const tf = FROM_DEBUT[interval];
  if (!tf)
    throw new QuantgateError(
      'USAGE',
      `debut adapter: Debut interval ${JSON.stringify(interval)} has no quantgate timeframe (supported: ${Object.keys(FROM_DEBUT).join(', ')})`,
      { field: 'opts.interval' },
    );
  return tf;
}

/**
 * Splits the plugin's timeframes into the one Debut delivers and those built from it. Each must be
 * Debut's interval or a whole multiple of it: a finer one cannot be made from Debut's candles.
 */
export function planTimeframes(
  base: Timeframe,
  wanted: readonly Timeframe[],
): { readonly feedsBase: boolean; readonly built: readonly Timeframe[] } {
  const bm = timeframeMs(base);
  const bad = wanted.filter((tf) => timeframeMs(tf) < bm || timeframeMs(tf) % bm !== 0);
  if (bad.length > 0)
    throw new QuantgateError(
      'USAGE',
      `debut adapter: the plugin needs ${bad.join(', ')} but Debut runs on ${base}; every timeframe must be ${base} or a whole multiple of it (run Debut on a finer interval)`,
      { field: 'opts.interval' },
    );
  // Longest first: at one close instant the longer candle is delivered before the shorter one,
  // as the backtest replay does, so a decision on the short candle sees the long one.
  const built = [...new Set(wanted)]
    .filter((tf) => tf !== base)
    .sort((a, b) => timeframeMs(b) - timeframeMs(a));
  return { feedsBase: wanted.includes(base), built };
}

/**
 * Builds longer candles from a stream of closed base candles, causally: a longer candle is
 * produced at the close of the last base candle of its UTC-aligned bucket, never earlier, and only
 * when every base candle of the bucket was seen (the aggregation is `resampleCandles`, the same the
 * data pipeline uses). A bucket with a missing candle is dropped and counted, not invented.
 */
export class CandleBuilder {
  private readonly baseMs: number;
  private readonly buckets = new Map<Timeframe, Candle[]>();
  /** Per timeframe, open times of buckets dropped because a base candle was missing. */
  readonly incomplete = new Map<Timeframe, number[]>();

  constructor(
    private readonly base: Timeframe,
    private readonly targets: readonly Timeframe[],
  ) {
    this.baseMs = timeframeMs(base);
    for (const tf of targets) {
      this.buckets.set(tf, []);
      this.incomplete.set(tf, []);
    }
  }

  /** One closed base candle (open-time order); the longer candles it closes, longest first. */
  push(c: Candle): Array<{ readonly timeframe: Timeframe; readonly candle: Candle }> {
    const out: Array<{ timeframe: Timeframe; candle: Candle }> = [];
    for (const tf of this.targets) {
      const tm = timeframeMs(tf);
      const start = Math.floor(c.timestamp / tm) * tm;
      let bucket = this.buckets.get(tf)!;
      if (bucket.length > 0 && Math.floor(bucket[0].timestamp / tm) * tm !== start) {
        // The previous bucket ended without its last candle.
        this.incomplete.get(tf)!.push(Math.floor(bucket[0].timestamp / tm) * tm);
        bucket = [];
      }
      bucket.push(c);
      if (c.timestamp + this.baseMs === start + tm) {
        const { candles, incomplete } = resampleCandles(bucket, this.base, tf);
        if (candles.length === 1) out.push({ timeframe: tf, candle: candles[0] });
        else this.incomplete.get(tf)!.push(...incomplete);
        bucket = [];
      }
      this.buckets.set(tf, bucket);
    }
    return out;
  }
}
