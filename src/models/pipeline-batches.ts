import { QuantgateError } from '../core/errors.ts';
import type { ForecastInput } from './forecaster.ts';
import type { NormalisationParams, NormStats } from './normaliser.ts';
import { zScoreNormaliser } from './normaliser.ts';
import type { BatchProvider } from './train-loop.ts';
import type { DatasetSeries, SampleRef } from '../features/index.ts';
import type { VolatilitySource } from './vol-scale.ts';
import { volatilityColumns, volatilityOfRow } from './vol-scale.ts';

/** The raw (un-normalised) feature window of a sample: a view, no copy. */
export function sampleInput(series: readonly DatasetSeries[], r: SampleRef, window: number): ForecastInput {
  const s = series[r.series];
  const w = s.features.names.length;
  return { symbol: s.symbol, features: s.features.rows.subarray((r.t - window + 1) * w, (r.t + 1) * w) };
}

function statsOf(series: DatasetSeries, rows: readonly number[]): NormStats {
  const w = series.features.names.length;
  const mean = new Array<number>(w).fill(0);
  const m2 = new Array<number>(w).fill(0);
  rows.forEach((t, k) => {
    for (let j = 0; j < w; j++) {
      const v = series.features.rows[t * w + j];
      const d = v - mean[j];
      mean[j] += d / (k + 1);
      m2[j] += d * (v - mean[j]);
    }
  });
  const n = rows.length;
  return { mean, std: m2.map((v) => (n > 1 ? Math.sqrt(v / (n - 1)) : 0)) };
}

/**
 * Z-score statistics on the TRAINING slice only: per symbol over the feature rows of its training
 * samples, pooled over all of them as the fallback for symbols the model never saw.
 */
export function fitNormalisation(
  series: readonly DatasetSeries[],
  train: readonly SampleRef[],
): NormalisationParams {
  if (train.length === 0)
    throw new QuantgateError('INSUFFICIENT_HISTORY', 'pipeline: no training samples to fit normalisation on');
  const names = series[0].features.names;
  const per: Record<string, NormStats> = {};
  const pooledRows: Array<{ s: number; t: number }> = [];
  series.forEach((s, si) => {
    const rows = train.filter((r) => r.series === si).map((r) => r.t);
    if (rows.length > 1) per[s.symbol] = statsOf(s, rows);
    for (const t of rows) pooledRows.push({ s: si, t });
  });
  // Pooled = mean of per-row values across symbols (Welford over all rows).
  const w = names.length;
  const mean = new Array<number>(w).fill(0);
  const m2 = new Array<number>(w).fill(0);
  pooledRows.forEach(({ s, t }, k) => {
    for (let j = 0; j < w; j++) {
      const v = series[s].features.rows[t * w + j];
      const d = v - mean[j];
      mean[j] += d / (k + 1);
      m2[j] += d * (v - mean[j]);
    }
  });
  const n = pooledRows.length;
  return {
    featureNames: [...names],
    pooled: { mean, std: m2.map((v) => (n > 1 ? Math.sqrt(v / (n - 1)) : 0)) },
    perSymbol: per,
  };
}

/**
 * The quantile target of sample t of a series: its forward log return, divided by the causal σ of
 * row t (the issue candle's raw features) when `targetScaling` is set — the σ NetworkForecaster
 * multiplies back from the same row at predict time.
 */
export function quantileTarget(s: DatasetSeries, t: number, targetScaling?: VolatilitySource): number {
  const y = s.labels.forwardReturn[t];
  if (targetScaling === undefined) return y;
  const names = s.features.names;
  const cols = volatilityColumns(targetScaling, names, 'model.targetScaling');
  return y / volatilityOfRow(s.features.rows, t * names.length, cols);
}

/**
 * A BatchProvider over sample refs: normalised windows, class index, quantile target (the forward
 * return, volatility-scaled with `targetScaling`), weight 1.
 */
export function batchProvider(
  series: readonly DatasetSeries[],
  samples: readonly SampleRef[],
  window: number,
  norm: NormalisationParams,
  targetScaling?: VolatilitySource,
): BatchProvider {
  const normaliser = zScoreNormaliser(norm);
  const per = window * norm.featureNames.length;
  return {
    size: samples.length,
    fill(indices, x, yClass, yRet, w) {
      for (let i = 0; i < indices.length; i++) {
        const r = samples[indices[i]];
        const inp = sampleInput(series, r, window);
        normaliser.normalise(inp.symbol, inp.features, x.subarray(i * per, (i + 1) * per));
        yClass[i] = series[r.series].labels.classes[r.t];
        yRet[i] = quantileTarget(series[r.series], r.t, targetScaling);
        w[i] = 1;
      }
    },
  };
}
