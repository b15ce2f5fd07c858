import type { Config, FeaturesConfig } from '../config/index.ts';
import { QuantgateError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ExchangeId, ModelTimeframe } from '../core/types.ts';
import { MODEL_TIMEFRAMES, timeframeMs } from '../core/types.ts';
import { loadArtifact, networkFromArtifact } from './artifact.ts';
import { initBackend } from './backend.ts';
import type { DatasetSeries, LabelParams, SampleRef } from '../features/index.ts';
import { classLabelOf, selectWindows } from '../features/index.ts';
import type { ClassProbs, ForecastMetrics, QuantileTriple } from './metrics.ts';
import { computeMetrics } from './metrics.ts';
import { NetworkForecaster } from './network-forecaster.ts';
import { isNormalisationParams, zScoreNormaliser } from './normaliser.ts';
import { sampleInput } from './pipeline-batches.ts';
import { loadDatasetSeries, maxAbsReturnFor } from './pipeline-data.ts';
import { rollingBaseline } from './rolling-quantile.ts';
import type { TrainResult } from './train-loop.ts';
import type { WarmStartRecord } from './warm-start.ts';
import type { FeatureEdges } from './feature-edges.ts';

/** Realised outcomes the rolling-quantile baseline looks back over (≈ 3.5 days of 5m candles). */
export const BASELINE_LOOKBACK = 1000;
const CHUNK = 512;

/** What the pipeline stores in the artifact's metrics.json besides the test metrics. */
export interface PipelineMeta {
  /** Out-of-sample metrics on the test slice, null when there was none. */
  readonly test: ForecastMetrics | null;
  /** Class frequencies (BUY, SELL, HOLD) of the training slice: the class baseline. */
  readonly trainClassFreq: ClassProbs;
  /**
   * Calibration score distributions for the online adaptive conformal update (initOnlineConformal);
   * in units of the calibration's scaleFeature when it has one (model.conformalScale: volatility).
   */
  readonly conformal: {
    readonly scoreGrids: Readonly<Record<'q10' | 'q50' | 'q90', readonly number[]>>;
    readonly samples: number;
  };
  readonly features: FeaturesConfig;
  readonly labels: LabelParams;
  readonly exchange: ExchangeId;
  readonly split: Readonly<Record<string, number | string | null>>;
  readonly training: TrainResult;
  /** Decile edges of the training features (absent in models trained before drift checks). */
  readonly featureEdges?: FeatureEdges;
  /** Where the weights came from (absent in models trained before warm starts: scratch). */
  readonly warmStart?: WarmStartRecord;
}

function isPipelineMeta(v: unknown): v is PipelineMeta {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return Array.isArray(o.trainClassFreq) && typeof o.features === 'object' && typeof o.labels === 'object';
}

/** Uncalibrated predictions of a forecaster on samples, in chunks (bounded memory). */
export function predictRawOn(
  f: NetworkForecaster,
  series: readonly DatasetSeries[],
  samples: readonly SampleRef[],
): { probs: ClassProbs[]; quantiles: QuantileTriple[] } {
  const probs: ClassProbs[] = [];
  const quantiles: QuantileTriple[] = [];
  for (let s = 0; s < samples.length; s += CHUNK) {
    const inputs = samples.slice(s, s + CHUNK).map((r) => sampleInput(series, r, f.window));
    const raw = f.predictRaw(inputs);
    for (let i = 0; i < inputs.length; i++) {
      probs.push([raw.probs[i * 3], raw.probs[i * 3 + 1], raw.probs[i * 3 + 2]]);
      quantiles.push({
        q10: raw.quantiles[i * 3],
        q50: raw.quantiles[i * 3 + 1],
        q90: raw.quantiles[i * 3 + 2],
      });
    }
  }
  return { probs, quantiles };
}

/**
 * Calibrated forecasts on the samples vs realised outcomes, with the rolling-quantile baseline
 * (run over each whole series so early samples see every outcome completed before them) and the
 * training-slice class frequencies as baselines.
 */
export function metricsOnSamples(
  f: NetworkForecaster,
  series: readonly DatasetSeries[],
  samples: readonly SampleRef[],
  horizon: number,
  trainClassFreq: ClassProbs,
  lookback: number,
): ForecastMetrics {
  const baselines = series.map((s) =>
    rollingBaseline(s.labels.forwardReturn, Array.from(s.labels.classes, classLabelOf), horizon, {
      lookback,
    }),
  );
  const forecasts = [];
  for (let s = 0; s < samples.length; s += CHUNK)
    forecasts.push(
      ...f.predictBatch(samples.slice(s, s + CHUNK).map((r) => sampleInput(series, r, f.window))),
    );
  return computeMetrics({
    forecasts,
    returns: samples.map((r) => series[r.series].labels.forwardReturn[r.t]),
    labels: samples.map((r) => classLabelOf(series[r.series].labels.classes[r.t]) ?? 'HOLD'),
    baselineQuantiles: samples.map((r) => baselines[r.series][r.t] ?? { q10: 0, q50: 0, q90: 0 }),
    baselineClassFreq: trainClassFreq,
    volatility: samples.map((r) => forecastTimeVolatility(series[r.series], r.t)),
  });
}

/**
 * The causal volatility estimate coverageByVolatility groups by: the realised volatility feature
 * (`rvol_<features.volatilityWindow>`, RMS of one-candle log returns up to and including candle t),
 * which every feature set has. NaN when absent.
 */
export function forecastTimeVolatility(s: DatasetSeries, t: number): number {
  const j = s.features.names.findIndex((n) => n.startsWith('rvol_'));
  return j < 0 ? NaN : s.features.rows[t * s.features.names.length + j];
}

export interface EvaluateModelOptions {
  readonly config: Config;
  readonly modelDir: string;
  readonly symbols: readonly string[];
  readonly exchange: ExchangeId;
  readonly dataDir: string;
  /** Evaluate forecasts issued at or after / before these times (ms UTC). Earlier candles still warm features up. */
  readonly from?: number;
  readonly to?: number;
  readonly logger: Logger;
}

/** Forecast quality of a saved model on candles from the store (features and labels as it was trained with). */
export async function evaluateModel(o: EvaluateModelOptions): Promise<ForecastMetrics> {
  const art = await loadArtifact(o.modelDir);
  const meta = art.metrics;
  if (!isPipelineMeta(meta))
    throw new QuantgateError(
      'MODEL_INVALID',
      `${o.modelDir}/metrics.json: missing the training pipeline's metadata (trainClassFreq, features, labels); was it saved by quantgate train?`,
    );
  if (!isNormalisationParams(art.normalisation))
    throw new QuantgateError(
      'MODEL_INVALID',
      `${o.modelDir}/normalisation.json: expected featureNames and pooled mean/std`,
    );
  const timeframe = art.model.timeframe;
  if (!(MODEL_TIMEFRAMES as readonly string[]).includes(timeframe))
    throw new QuantgateError(
      'MODEL_INVALID',
      `${o.modelDir}/model.json: timeframe ${timeframe} is not a model timeframe`,
    );
  const tf = timeframe as ModelTimeframe;
  const horizon = art.model.horizon;
  const { series } = await loadDatasetSeries({
    dataDir: o.dataDir,
    exchange: o.exchange,
    timeframe: tf,
    symbols: o.symbols,
    features: meta.features,
    configuredSymbols: o.config.exchange.symbols,
    labels: meta.labels,
    to: o.to,
    logger: o.logger,
    format: o.config.data.format,
    maxAbsReturn: maxAbsReturnFor(o.config, tf),
  });
  const names = series[0]?.features.names ?? [];
  const want = art.model.featureNames;
  if (names.length !== want.length || names.some((n, i) => n !== want[i]))
    throw new QuantgateError(
      'MODEL_INVALID',
      `${o.modelDir}: model features [${want.join(', ')}] differ from the features computed now [${names.join(', ')}]`,
    );
  const window = art.model.spec.window;
  const from = o.from ?? -Infinity;
  const samples = selectWindows(series, window, tf).filter((r) => r.time >= from);
  if (samples.length === 0)
    throw new QuantgateError(
      'INSUFFICIENT_HISTORY',
      `evaluate: no complete samples for ${o.symbols.join(', ')} ${tf}${o.from !== undefined ? ` from ${new Date(o.from).toISOString()}` : ''} (need ≥ ${window} gap-free candles after feature warm-up plus ${horizon} candles of outcome)`,
    );
  warnIfInSample(o, art.model.trainingWindow.symbols, meta, horizon * timeframeMs(tf), samples, series);
  await initBackend({ logger: o.logger });
  const f = new NetworkForecaster({
    network: networkFromArtifact(art),
    featureNames: want,
    timeframe: tf,
    horizon,
    version: art.model.version,
    normaliser: zScoreNormaliser(art.normalisation),
    calibration: art.calibration,
  });
  try {
    return metricsOnSamples(f, series, samples, horizon, meta.trainClassFreq, BASELINE_LOOKBACK);
  } finally {
    f.dispose();
  }
}

/**
 * Metrics on data the model was fitted on (training, validation or calibration outcomes of a symbol
 * it trained on) are not out-of-sample: say so loudly rather than let a flattering number pass.
 */
function warnIfInSample(
  o: EvaluateModelOptions,
  trainedSymbols: readonly string[],
  meta: PipelineMeta,
  horizonMs: number,
  samples: readonly SampleRef[],
  series: readonly DatasetSeries[],
): void {
  const fittedTo = typeof meta.split.fittedTo === 'string' ? Date.parse(meta.split.fittedTo) : NaN;
  if (!Number.isFinite(fittedTo)) return;
  const trained = new Set(trainedSymbols);
  const inSample = samples.filter(
    (r) => trained.has(series[r.series].symbol) && r.time <= fittedTo + horizonMs,
  ).length;
  if (inSample > 0)
    o.logger.warn(
      { inSample, samples: samples.length, fittedTo: meta.split.fittedTo },
      `evaluate: ${inSample} of ${samples.length} samples are of symbols the model trained on, issued before its fitted data ended (${meta.split.fittedTo}): those are in-sample; use --from after that date for an honest out-of-sample figure`,
    );
}
