import { z } from 'zod';
import { QuantgateError } from '../core/errors.ts';
import { quantiles } from './quantiles.ts';
import type { FeatureMatrix, NormColumnStats, NormStats } from './types.ts';

/** One symbol's rows [start, end) of a feature matrix: the training slice only, never later rows. */
export interface NormSlice {
  readonly symbol: string;
  readonly matrix: FeatureMatrix;
  readonly start?: number;
  readonly end?: number;
}

export interface NormOptions {
  /** |z| is clipped here; a 20-sigma candle should not dominate a batch. Default 5. */
  readonly clip?: number;
  /** A symbol with fewer complete rows uses the pooled stats. Default 200. */
  readonly minRowsPerSymbol?: number;
}

export const DEFAULT_NORM_CLIP = 5;
export const DEFAULT_MIN_ROWS_PER_SYMBOL = 200;
/** IQR of a normal distribution in standard deviations, so scale ≈ σ for Gaussian features. */
const IQR_PER_SIGMA = 1.3489795;

function stdOf(v: Float64Array, mean: number): number {
  let s = 0;
  for (const x of v) s += (x - mean) * (x - mean);
  return Math.sqrt(s / v.length);
}

/**
 * Median and IQR / 1.349 (≈ σ for a normal feature), robust to the fat tails of crypto returns.
 * A feature whose IQR is 0 (mostly constant) falls back to its standard deviation, and a constant
 * feature to scale 1, so no division by zero can happen at apply time.
 */
function columnStats(values: Float64Array[], count: number): NormColumnStats {
  const center: number[] = [];
  const scale: number[] = [];
  for (const col of values) {
    const v = col.subarray(0, count);
    if (v.length === 0) {
      center.push(0);
      scale.push(1);
      continue;
    }
    const [q25, med, q75] = quantiles(v, [0.25, 0.5, 0.75]);
    const tiny = 1e-12 * Math.max(1, Math.abs(med));
    let s = (q75 - q25) / IQR_PER_SIGMA;
    if (!(s > tiny)) {
      let mean = 0;
      for (const x of v) mean += x;
      s = stdOf(v, mean / v.length);
    }
    center.push(med);
    scale.push(s > tiny ? s : 1);
  }
  return { center, scale, count };
}

/** Appends the complete (all-finite) rows of a slice to per-feature columns; returns the new count. */
function collect(slice: NormSlice, cols: Float64Array[], at: number): number {
  const { matrix } = slice;
  const w = matrix.names.length;
  const start = Math.max(0, slice.start ?? 0);
  const end = Math.min(matrix.length, slice.end ?? matrix.length);
  let n = at;
  outer: for (let i = start; i < end; i++) {
    const o = i * w;
    for (let j = 0; j < w; j++) if (!Number.isFinite(matrix.rows[o + j])) continue outer;
    for (let j = 0; j < w; j++) cols[j][n] = matrix.rows[o + j];
    n++;
  }
  return n;
}

function sliceRows(s: NormSlice): number {
  return Math.max(0, Math.min(s.matrix.length, s.end ?? s.matrix.length) - Math.max(0, s.start ?? 0));
}

/**
 * Fits per-symbol and pooled robust statistics on training slices only (fitting on later rows would
 * leak the future into every normalised input). Rows with any NaN are skipped.
 */
export function fitNormalisation(slices: readonly NormSlice[], opts: NormOptions = {}): NormStats {
  if (slices.length === 0)
    throw new QuantgateError('INSUFFICIENT_HISTORY', 'normalisation: no training slices given');
  const names = [...slices[0].matrix.names];
  for (const s of slices) assertFeatureNames(names, s.matrix.names, `normalisation: slice of ${s.symbol}`);
  const clip = opts.clip ?? DEFAULT_NORM_CLIP;
  const minRows = opts.minRowsPerSymbol ?? DEFAULT_MIN_ROWS_PER_SYMBOL;
  const total = slices.reduce((a, s) => a + sliceRows(s), 0);
  const pooledCols = names.map(() => new Float64Array(total));
  let pooledN = 0;
  const bySymbol = new Map<string, NormSlice[]>();
  for (const s of slices) {
    bySymbol.set(s.symbol, [...(bySymbol.get(s.symbol) ?? []), s]);
    pooledN = collect(s, pooledCols, pooledN);
  }
  if (pooledN === 0)
    throw new QuantgateError(
      'INSUFFICIENT_HISTORY',
      `normalisation: the training slices of ${[...bySymbol.keys()].join(', ')} hold no complete feature row (all within the warm-up?)`,
    );
  const perSymbol: Record<string, NormColumnStats> = {};
  for (const [symbol, list] of bySymbol) {
    const rows = list.reduce((a, s) => a + sliceRows(s), 0);
    const cols = names.map(() => new Float64Array(rows));
    let n = 0;
    for (const s of list) n = collect(s, cols, n);
    if (n >= minRows) perSymbol[symbol] = columnStats(cols, n);
  }
  return {
    version: 1,
    method: 'median-iqr',
    names,
    clip,
    pooled: columnStats(pooledCols, pooledN),
    perSymbol,
  };
}

/** The statistics used for `symbol`: its own, or the pooled ones for a symbol unseen in training. */
export function normStatsFor(stats: NormStats, symbol: string): NormColumnStats {
  return Object.hasOwn(stats.perSymbol, symbol) ? stats.perSymbol[symbol] : stats.pooled;
}

/**
 * z = clip((x − center) / scale, ±clip) for row-major rows of `stats.names.length` columns. NaN stays
 * NaN (an invalid row stays visibly invalid). Writes into `out` when given (may be `rows` itself).
 */
export function applyNormalisation(
  stats: NormStats,
  symbol: string,
  rows: Float32Array,
  out: Float32Array = new Float32Array(rows.length),
): Float32Array {
  const w = stats.names.length;
  if (rows.length % w !== 0 || out.length < rows.length)
    throw new QuantgateError(
      'INTERNAL',
      `normalisation: ${rows.length} values are not whole rows of ${w} features (or output of ${out.length} is too short)`,
    );
  const { center, scale } = normStatsFor(stats, symbol);
  const inv = scale.map((s) => 1 / s);
  const clip = stats.clip;
  for (let i = 0; i < rows.length; i += w) {
    for (let j = 0; j < w; j++) {
      const z = (rows[i + j] - center[j]) * inv[j];
      out[i + j] = z > clip ? clip : z < -clip ? -clip : z;
    }
  }
  return out;
}

/** Throws MODEL_INVALID naming the first difference when two feature lists differ. */
export function assertFeatureNames(
  expected: readonly string[],
  actual: readonly string[],
  context: string,
): void {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      throw new QuantgateError(
        'MODEL_INVALID',
        `${context}: feature ${i} is ${JSON.stringify(actual[i] ?? null)} but ${JSON.stringify(expected[i] ?? null)} was expected (${expected.length} expected features, ${actual.length} given; was the features config changed since the model was trained?)`,
        { expected: [...expected], actual: [...actual] },
      );
    }
  }
}

const columnSchema = z.object({
  center: z.array(z.number()),
  scale: z.array(z.number().positive()),
  count: z.number().int().nonnegative(),
});

const normStatsSchema = z.object({
  version: z.literal(1),
  method: z.literal('median-iqr'),
  names: z.array(z.string()).min(1),
  clip: z.number().positive(),
  pooled: columnSchema,
  perSymbol: z.record(z.string(), columnSchema),
});

/** Validates normalisation statistics read from a model file; `source` names the file in errors. */
export function parseNormStats(json: unknown, source: string): NormStats {
  const r = normStatsSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new QuantgateError(
      'MODEL_INVALID',
      `${source}: normalisation stats invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const stats = r.data;
  const w = stats.names.length;
  for (const [key, col] of [['pooled', stats.pooled], ...Object.entries(stats.perSymbol)] as const) {
    if (col.center.length !== w || col.scale.length !== w)
      throw new QuantgateError(
        'MODEL_INVALID',
        `${source}: normalisation stats ${key} has ${col.center.length} centres and ${col.scale.length} scales (expected ${w}, one per feature)`,
      );
  }
  return stats;
}
