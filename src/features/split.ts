import { QuantgateError } from '../core/errors.ts';
import { timeframeMs } from '../core/types.ts';
import type { Timeframe } from '../core/types.ts';
import type { SampleRef } from './windows.ts';

export interface SplitFractions {
  readonly train: number;
  readonly validation: number;
  readonly calibration: number;
}

export interface ChronologicalSplit<S extends SampleRef = SampleRef> {
  readonly train: S[];
  readonly validation: S[];
  readonly calibration: S[];
  /** The remainder, later than everything else; empty when the fractions sum to 1. */
  readonly test: S[];
  /** Open times where validation, calibration and test start (Infinity when a slice is empty). */
  readonly boundaries: readonly [number, number, number];
  /** Samples dropped by the embargo. */
  readonly embargoed: number;
}

/**
 * Splits samples of all symbols at shared time boundaries (fractions are of the sample count,
 * ordered by time), so every validation sample is later than every training sample whatever the
 * symbol, and the test slice is later than all the rest. Embargo: a sample whose label horizon
 * reaches the next slice (t + horizon ≥ boundary, in candles) is dropped, so no label of one slice
 * overlaps the period of the next.
 */
export function splitChronological<S extends SampleRef>(
  samples: readonly S[],
  f: SplitFractions,
  opts: { readonly horizon: number; readonly timeframe: Timeframe },
): ChronologicalSplit<S> {
  const sum = f.train + f.validation + f.calibration;
  if (!(f.train > 0 && f.validation >= 0 && f.calibration >= 0 && sum <= 1 + 1e-9))
    throw new QuantgateError(
      'CONFIG_INVALID',
      `model.split: train ${f.train}, validation ${f.validation}, calibration ${f.calibration} (expected train > 0, others >= 0, sum <= 1; the test slice is the remainder)`,
    );
  if (samples.length === 0)
    throw new QuantgateError(
      'INSUFFICIENT_HISTORY',
      'dataset: no usable samples to split (too few candles after warm-up?)',
    );
  const times = Float64Array.from(samples, (s) => s.time).sort();
  const n = times.length;
  const at = (frac: number) => (frac >= 1 - 1e-9 ? Infinity : times[Math.min(n - 1, Math.floor(frac * n))]);
  const boundaries = [at(f.train), at(f.train + f.validation), at(sum)] as const;
  const embargoMs = opts.horizon * timeframeMs(opts.timeframe);
  const slices: [S[], S[], S[], S[]] = [[], [], [], []];
  let embargoed = 0;
  for (const s of samples) {
    let k = 0;
    while (k < 3 && s.time >= boundaries[k]) k++;
    if (k < 3 && s.time + embargoMs >= boundaries[k]) embargoed++;
    else slices[k].push(s);
  }
  const [train, validation, calibration, test] = slices;
  return { train, validation, calibration, test, boundaries, embargoed };
}
