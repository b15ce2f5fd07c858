import { QuantgateError } from '../core/errors.ts';

/**
 * A causal volatility read from one raw (un-normalised) feature row: the row of the forecast's
 * issue candle, which the features compute from closed candles up to and including it. The one
 * place σ is computed for target scaling (model.targetScaling) and for scaled conformal offsets
 * (model.conformalScale), in training, calibration, evaluate, backtest and live alike — all of them
 * read it from the same feature rows (streaming == batch, tested in features).
 *
 * Exactly one of the two is set:
 *  - scaleFeature: one realised-volatility feature (rvol_<w>, RMS of one-candle log returns);
 *  - logScaleFeatures: log-volatility features (har_lrv_<n>) whose mean is exponentiated — the
 *    geometric mean of the HAR realised volatilities, an unfitted HAR volatility forecast.
 */
export interface VolatilitySource {
  readonly scaleFeature?: string;
  readonly logScaleFeatures?: readonly string[];
}

/** Smallest volatility anything is divided by or multiplied with (a flat window has rvol 0). */
export const SCALE_FLOOR = 1e-6;

/** The volatility modes a config key may name (model.targetScaling, model.conformalScale). */
export type VolatilityMode = 'volatility' | 'har';

/**
 * The source of a mode among the model's features. Throws CONFIG_INVALID naming `key` when the
 * features it needs are not computed.
 */
export function volatilitySourceFor(
  mode: VolatilityMode,
  names: readonly string[],
  key: string,
): VolatilitySource {
  if (mode === 'volatility') {
    const f = names.find((n) => n.startsWith('rvol_'));
    if (f === undefined)
      throw new QuantgateError('CONFIG_INVALID', `${key}: volatility needs an rvol_ feature`);
    return { scaleFeature: f };
  }
  const har = names.filter((n) => n.startsWith('har_lrv_'));
  if (har.length === 0)
    throw new QuantgateError(
      'CONFIG_INVALID',
      `${key}: har needs the HAR features (set features.har.enabled: true for this timeframe)`,
    );
  return { logScaleFeatures: har };
}

/** A source resolved to columns of a feature row. */
export interface VolatilityColumns {
  /** Column of scaleFeature, −1 when unset. */
  readonly column: number;
  /** Columns of logScaleFeatures (empty when unset). */
  readonly logColumns: readonly number[];
}

export const NO_VOLATILITY: VolatilityColumns = Object.freeze({ column: -1, logColumns: [] });

/** Whether a source is well-formed: one of the two fields, strings, a non-empty list. */
export function isVolatilitySource(v: unknown): v is VolatilitySource {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const single = typeof o.scaleFeature === 'string' && o.logScaleFeatures === undefined;
  const logs =
    o.scaleFeature === undefined &&
    Array.isArray(o.logScaleFeatures) &&
    o.logScaleFeatures.length > 0 &&
    o.logScaleFeatures.every((n) => typeof n === 'string');
  return single || logs;
}

/**
 * Columns of a source in a feature list; undefined source = none. Throws MODEL_INVALID naming
 * `where` when a feature is not in the list.
 */
export function volatilityColumns(
  source: VolatilitySource | undefined,
  names: readonly string[],
  where: string,
): VolatilityColumns {
  if (source === undefined) return NO_VOLATILITY;
  const col = (field: string, n: string): number => {
    const j = names.indexOf(n);
    if (j < 0)
      throw new QuantgateError(
        'MODEL_INVALID',
        `${where}: ${field} ${n} is not one of the model's features [${names.join(', ')}]`,
      );
    return j;
  };
  return {
    column: source.scaleFeature === undefined ? -1 : col('scaleFeature', source.scaleFeature),
    logColumns: (source.logScaleFeatures ?? []).map((n) => col('logScaleFeatures', n)),
  };
}

/** Whether columns select anything (false = the scale is 1). */
export const hasVolatility = (c: VolatilityColumns): boolean => c.column >= 0 || c.logColumns.length > 0;

/**
 * σ of the feature row starting at `start` in `rows`: the scale feature, or the exponentiated mean
 * of the log features; 1 when the columns select nothing; floored at SCALE_FLOOR (also for a
 * non-finite value, which a complete window never has).
 */
export function volatilityOfRow(rows: ArrayLike<number>, start: number, c: VolatilityColumns): number {
  let v: number;
  if (c.column >= 0) v = rows[start + c.column];
  else if (c.logColumns.length > 0) {
    let s = 0;
    for (const j of c.logColumns) s += rows[start + j];
    v = Math.exp(s / c.logColumns.length);
  } else return 1;
  return Number.isFinite(v) ? Math.max(SCALE_FLOOR, v) : SCALE_FLOOR;
}

/**
 * What conformal offsets are multiplied by for one row: the target σ (when the model's quantiles
 * are volatility-scaled, the offsets live in the same standardised units as its outputs) times the
 * conformal scale (model.conformalScale); 1 × 1 for a plain additive model.
 */
export function offsetScaleOfRow(
  rows: ArrayLike<number>,
  start: number,
  target: VolatilityColumns,
  conformal: VolatilityColumns,
): number {
  return volatilityOfRow(rows, start, target) * volatilityOfRow(rows, start, conformal);
}

/** Same source: both none, or the same feature(s) in the same order. */
export function sameVolatilitySource(
  a: VolatilitySource | undefined,
  b: VolatilitySource | undefined,
): boolean {
  const key = (v: VolatilitySource | undefined): string =>
    JSON.stringify([v?.scaleFeature ?? null, v?.logScaleFeatures ?? null]);
  return key(a) === key(b);
}
