import type { Candle } from '../core/types.ts';

/**
 * The largest one-candle move in a series, as |log ratio|: close to close between consecutive
 * candles, and each candle's wicks (high over its body top, body bottom over low). A single bad
 * candle (high = 1e300, a close ×100) shows up here. Shared by the retrain data-quality check and
 * the train / evaluate loaders, so every command that reads candles judges them the same way.
 */
export interface LargestMove {
  readonly value: number;
  /** Open time of the candle where it happened (NaN for fewer than one candle). */
  readonly at: number;
}

export function largestMove(candles: readonly Candle[]): LargestMove {
  let value = 0;
  let at = Number.NaN;
  const consider = (r: number, t: number): void => {
    // A non-positive price makes the ratio undefined: the worst outlier.
    const v = Number.isFinite(r) ? Math.abs(r) : Infinity;
    if (v > value) {
      value = v;
      at = t;
    }
  };
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i];
    if (i > 0) consider(Math.log(c.close / candles[i - 1].close), c.timestamp);
    consider(Math.log(c.high / Math.max(c.open, c.close)), c.timestamp);
    consider(Math.log(Math.min(c.open, c.close) / c.low), c.timestamp);
  }
  return { value, at };
}
