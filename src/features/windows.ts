import { QuantgateError } from '../core/errors.ts';
import { timeframeMs } from '../core/types.ts';
import type { Timeframe } from '../core/types.ts';
import type { FeatureMatrix, Labels } from './types.ts';

/** One symbol's aligned candles, feature rows and labels (index i everywhere = candle i). */
export interface DatasetSeries {
  readonly symbol: string;
  /** Candle open times, ms UTC, ascending. */
  readonly timestamps: ArrayLike<number>;
  readonly features: FeatureMatrix;
  readonly labels: Labels;
}

/** A training sample: the window of rows [t − window + 1 .. t] of series `series`, issued at t's close. */
export interface SampleRef {
  readonly series: number;
  /** End (newest) row of the window. */
  readonly t: number;
  /** Open time of candle t. */
  readonly time: number;
}

function rowComplete(f: FeatureMatrix, i: number): boolean {
  const w = f.names.length;
  for (let j = i * w; j < (i + 1) * w; j++) if (!Number.isFinite(f.rows[j])) return false;
  return true;
}

function checkSeries(s: DatasetSeries): void {
  const n = s.timestamps.length;
  if (s.features.length !== n || s.labels.classes.length !== n)
    throw new QuantgateError(
      'INTERNAL',
      `dataset: ${s.symbol} has ${n} timestamps, ${s.features.length} feature rows and ${s.labels.classes.length} labels (expected the same count)`,
    );
}

/**
 * Every t whose whole window is complete (no NaN) and contiguous in time (no gap inside), and —
 * unless `requireLabel` is false — that has a label. Samples come out per series in time order.
 */
export function selectWindows(
  series: readonly DatasetSeries[],
  window: number,
  tf: Timeframe,
  requireLabel = true,
): SampleRef[] {
  if (!Number.isInteger(window) || window < 1)
    throw new QuantgateError('CONFIG_INVALID', `dataset: window is ${window} (expected an integer >= 1)`);
  const tfMs = timeframeMs(tf);
  const out: SampleRef[] = [];
  series.forEach((s, si) => {
    checkSeries(s);
    const ts = s.timestamps;
    let run = 0; // complete, contiguous rows ending at t
    for (let t = 0; t < ts.length; t++) {
      if (!rowComplete(s.features, t)) run = 0;
      else run = t > 0 && run > 0 && ts[t] - ts[t - 1] === tfMs ? run + 1 : 1;
      if (run < window) continue;
      if (requireLabel && (s.labels.classes[t] < 0 || !Number.isFinite(s.labels.forwardReturn[t]))) continue;
      out.push({ series: si, t, time: ts[t] });
    }
  });
  return out;
}
