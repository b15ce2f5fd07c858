import { QuantgateError } from '../core/errors.ts';
import { assertFeatureNames, normStatsFor } from './normalisation.ts';
import type { NormStats } from './types.ts';
import type { DatasetSeries, SampleRef } from './windows.ts';

export interface BatchBuilderOptions {
  readonly series: readonly DatasetSeries[];
  readonly window: number;
  readonly batchSize: number;
  /** Applied while copying (per-symbol stats, pooled fallback); omit for raw features. */
  readonly norm?: NormStats;
  /** [BUY, SELL, HOLD] weights (see classWeights); omit for weight 1. */
  readonly classWeights?: readonly [number, number, number];
}

/** Reusable training buffers; `fill` overwrites them in place and allocates nothing per sample. */
export interface BatchBuilder {
  /** [batchSize, window, features] row-major. */
  readonly x: Float32Array;
  /** Class code per sample (0 BUY, 1 SELL, 2 HOLD). */
  readonly yClass: Int32Array;
  /** Forward log return per sample. */
  readonly yReturn: Float32Array;
  readonly weight: Float32Array;
  readonly batchSize: number;
  readonly window: number;
  readonly features: number;
  /** Fills from samples[from ..]; returns how many were written (≤ batchSize; rows beyond are stale). */
  fill(samples: readonly SampleRef[], from: number): number;
}

export function createBatchBuilder(opts: BatchBuilderOptions): BatchBuilder {
  const { series, window, batchSize, norm, classWeights } = opts;
  if (series.length === 0) throw new QuantgateError('INTERNAL', 'batch builder: no series given');
  const names = series[0].features.names;
  for (const s of series) assertFeatureNames(names, s.features.names, `batch builder: series ${s.symbol}`);
  if (norm) assertFeatureNames(norm.names, names, 'batch builder: normalisation stats');
  const F = names.length;
  const span = window * F;
  // Per-series centre / inverse scale resolved once, so the inner loop is a multiply-add.
  const centers = series.map((s) =>
    Float64Array.from(norm ? normStatsFor(norm, s.symbol).center : names.map(() => 0)),
  );
  const invScales = series.map((s) =>
    Float64Array.from(norm ? normStatsFor(norm, s.symbol).scale.map((v) => 1 / v) : names.map(() => 1)),
  );
  const clip = norm ? norm.clip : Infinity;
  const x = new Float32Array(batchSize * span);
  const yClass = new Int32Array(batchSize);
  const yReturn = new Float32Array(batchSize);
  const weight = new Float32Array(batchSize);

  function fill(samples: readonly SampleRef[], from: number): number {
    const count = Math.max(0, Math.min(batchSize, samples.length - from));
    for (let b = 0; b < count; b++) {
      const ref = samples[from + b];
      const s = series[ref.series];
      const start = (ref.t - window + 1) * F;
      if (start < 0 || ref.t >= s.features.length)
        throw new QuantgateError(
          'INTERNAL',
          `batch builder: sample t=${ref.t} of ${s.symbol} has no full window of ${window}`,
        );
      const src = s.features.rows;
      const c = centers[ref.series];
      const inv = invScales[ref.series];
      const dst = b * span;
      for (let r = 0; r < span; r += F) {
        for (let j = 0; j < F; j++) {
          const z = (src[start + r + j] - c[j]) * inv[j];
          x[dst + r + j] = z > clip ? clip : z < -clip ? -clip : z;
        }
      }
      const code = s.labels.classes[ref.t];
      yClass[b] = code;
      yReturn[b] = s.labels.forwardReturn[ref.t];
      weight[b] = classWeights ? (code >= 0 ? classWeights[code] : 0) : 1;
    }
    return count;
  }

  return { x, yClass, yReturn, weight, batchSize, window, features: F, fill };
}
