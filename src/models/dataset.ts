import { QuantgateError } from '../core/errors.ts';
import type { ClassLabel } from '../core/types.ts';
import type { FeatureMatrix } from '../features/types.ts';

/**
 * Dataset assembly for training and evaluation: which (series, candle) pairs are usable samples,
 * and the chronological split train / validation / calibration / test across all symbols.
 */

/** One symbol's aligned candles, feature rows and labels (row i belongs to candle i). */
export interface SeriesData {
  readonly symbol: string;
  /** Candle open times (ms UTC). */
  readonly timestamps: ArrayLike<number>;
  readonly features: FeatureMatrix;
  /** Forward log return of the horizon starting at candle i's close; NaN where not yet known. */
  readonly returns: ArrayLike<number>;
  /** Class label of the same horizon; null where not yet known. */
  readonly labels: ReadonlyArray<ClassLabel | null>;
}

/** A usable sample: the forecast issued at the close of candle `t` of series `series`. */
export interface SampleRef {
  readonly series: number;
  readonly t: number;
  /** Open time of candle t (the sample's issue time is its close). */
  readonly time: number;
}

function rowFinite(f: FeatureMatrix, i: number): boolean {
  const w = f.names.length;
  for (let j = i * w; j < (i + 1) * w; j++) if (!Number.isFinite(f.rows[j])) return false;
  return true;
}

/**
 * Every candle t whose `window` feature rows are complete, contiguous in time (no gap inside the
 * window) and, when `requireLabel`, whose horizon is complete and gap-free with a finite return.
 * A gap inside a window or a horizon would make "h candles ahead" mean something else in time.
 */
export function selectSamples(
  series: readonly SeriesData[],
  window: number,
  horizon: number,
  tfMs: number,
  requireLabel = true,
): SampleRef[] {
  const out: SampleRef[] = [];
  series.forEach((s, si) => {
    const n = s.timestamps.length;
    const ts = s.timestamps;
    // Count of consecutive finite, contiguous rows ending at i.
    let run = 0;
    for (let t = 0; t < n; t++) {
      const contiguous = t > 0 && ts[t] - ts[t - 1] === tfMs;
      run = rowFinite(s.features, t) ? (contiguous ? run + 1 : 1) : 0;
      if (run < window) continue;
      if (requireLabel) {
        if (t + horizon >= n || ts[t + horizon] - ts[t] !== horizon * tfMs) continue;
        if (!Number.isFinite(s.returns[t]) || s.labels[t] === null) continue;
      }
      out.push({ series: si, t, time: ts[t] });
    }
  });
  return out;
}

/** Every raw feature value is finite wherever the store gave us candles (checked before training). */
export function assertFiniteLabels(series: readonly SeriesData[], samples: readonly SampleRef[]): void {
  for (const r of samples) {
    const y = series[r.series].returns[r.t];
    if (!Number.isFinite(y))
      throw new QuantgateError(
        'DATA_INVALID',
        `${series[r.series].symbol}: forward return at ${new Date(r.time).toISOString()} is ${y} (expected a finite number; check the candle file for zero or missing prices)`,
      );
  }
}

export interface SplitFractions {
  readonly train: number;
  readonly validation: number;
  readonly calibration: number;
}

export interface ChronoSplit {
  readonly train: SampleRef[];
  readonly validation: SampleRef[];
  readonly calibration: SampleRef[];
  /** Empty when train + validation + calibration = 1. */
  readonly test: SampleRef[];
  /** Issue-time boundaries (ms): validation starts at [0], calibration at [1], test at [2]. */
  readonly boundaries: readonly [number, number, number];
}

/**
 * Splits samples of all symbols by issue time (so every calibration sample is later than every
 * training sample, whatever its symbol). Fractions are of the sample count; test = 1 − the rest.
 * Embargo: a sample whose horizon outcome ends after the next slice starts is dropped, so no
 * label of one slice overlaps the next in time.
 */
export function splitByTime(
  samples: readonly SampleRef[],
  f: SplitFractions,
  horizonMs: number,
): ChronoSplit {
  const testFrac = 1 - f.train - f.validation - f.calibration;
  if (testFrac < -1e-9)
    throw new QuantgateError(
      'CONFIG_INVALID',
      `model.split: train + validation + calibration = ${(f.train + f.validation + f.calibration).toFixed(3)} (expected ≤ 1; the test slice is the remainder)`,
    );
  const times = samples.map((s) => s.time).sort((a, b) => a - b);
  const n = times.length;
  const at = (frac: number) =>
    frac >= 1 - 1e-9 || n === 0 ? Infinity : times[Math.min(n - 1, Math.floor(frac * n))];
  const b0 = at(f.train);
  const b1 = at(f.train + f.validation);
  const b2 = at(f.train + f.validation + f.calibration);
  const out: ChronoSplit = { train: [], validation: [], calibration: [], test: [], boundaries: [b0, b1, b2] };
  for (const s of samples) {
    const end = s.time + horizonMs;
    if (s.time < b0) {
      if (end < b0) out.train.push(s);
    } else if (s.time < b1) {
      if (end < b1) out.validation.push(s);
    } else if (s.time < b2) {
      if (end < b2) out.calibration.push(s);
    } else out.test.push(s);
  }
  return out;
}
