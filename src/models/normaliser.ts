import { QuantgateError } from '../core/errors.ts';

/** Turns one symbol's raw feature rows into network inputs (out has the same length as rows). */
export interface FeatureNormaliser {
  normalise(symbol: string, rows: Float32Array, out: Float32Array): void;
}

export interface NormStats {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * Z-score statistics fitted on the training slice only: per symbol where that symbol had enough
 * history, pooled over all training symbols as the fallback (a symbol the model never saw).
 */
export interface NormalisationParams {
  readonly featureNames: readonly string[];
  readonly pooled: NormStats;
  readonly perSymbol?: Readonly<Record<string, NormStats>>;
  /** |z| is clipped to this (default 10) so one outlier candle cannot saturate the network. */
  readonly clip?: number;
}

function checkStats(s: NormStats, n: number, where: string): void {
  if (s.mean.length !== n || s.std.length !== n)
    throw new QuantgateError(
      'MODEL_INVALID',
      `${where}: expected ${n} means and stds (one per feature), got ${s.mean.length} and ${s.std.length}`,
    );
  s.std.forEach((v, i) => {
    if (!(Number.isFinite(v) && v >= 0) || !Number.isFinite(s.mean[i]))
      throw new QuantgateError(
        'MODEL_INVALID',
        `${where}: feature ${i} has mean ${s.mean[i]}, std ${v} (expected finite, std ≥ 0)`,
      );
  });
}

/** Validates the shape of normalisation params (e.g. read back from an artifact) and builds the normaliser. */
export function zScoreNormaliser(p: NormalisationParams): FeatureNormaliser {
  const n = p.featureNames.length;
  checkStats(p.pooled, n, 'normalisation.pooled');
  for (const [sym, s] of Object.entries(p.perSymbol ?? {}))
    checkStats(s, n, `normalisation.perSymbol["${sym}"]`);
  const clip = p.clip ?? 10;
  // Precompute 1/std; a constant feature (std 0) maps to 0.
  const prep = (s: NormStats) => ({
    mean: Float32Array.from(s.mean),
    inv: Float32Array.from(s.std, (v) => (v > 1e-12 ? 1 / v : 0)),
  });
  const pooled = prep(p.pooled);
  const per = new Map(Object.entries(p.perSymbol ?? {}).map(([k, s]) => [k, prep(s)]));
  return {
    normalise(symbol, rows, out) {
      const s = per.get(symbol) ?? pooled;
      for (let i = 0; i < rows.length; i++) {
        const f = i % n;
        const v = rows[i];
        if (!Number.isFinite(v))
          throw new QuantgateError(
            'DATA_INVALID',
            `${symbol}: feature "${p.featureNames[f]}" is ${v} in input row ${Math.floor(i / n)} (expected a finite number; is the buffer warmed up?)`,
          );
        const z = (v - s.mean[f]) * s.inv[f];
        out[i] = z > clip ? clip : z < -clip ? -clip : z;
      }
    },
  };
}

/** Runtime check that an opaque JSON blob has the NormalisationParams shape. */
export function isNormalisationParams(v: unknown): v is NormalisationParams {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const stats = (s: unknown) =>
    typeof s === 'object' &&
    s !== null &&
    Array.isArray((s as NormStats).mean) &&
    Array.isArray((s as NormStats).std);
  return Array.isArray(o.featureNames) && stats(o.pooled);
}
