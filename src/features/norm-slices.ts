import type { NormSlice } from './normalisation.ts';
import type { DatasetSeries } from './windows.ts';

/** First index whose timestamp is ≥ `time` (timestamps ascending). */
function lowerBound(ts: ArrayLike<number>, time: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The rows of every series with open time before `time` — pass the split's first boundary
 * (`split.boundaries[0]`, where validation starts) so normalisation is fitted on the training
 * period only.
 */
export function slicesBefore(series: readonly DatasetSeries[], time: number): NormSlice[] {
  return series.map((s) => ({
    symbol: s.symbol,
    matrix: s.features,
    start: 0,
    end: lowerBound(s.timestamps, time),
  }));
}
