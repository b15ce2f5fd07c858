import type { Forecast, Timeframe } from '../core/types.ts';

/** The input of one forecast: one symbol's last `window` raw (un-normalised) feature rows. */
export interface ForecastInput {
  readonly symbol: string;
  /** Row-major `window × featureNames.length`, oldest row first. Normalisation is the forecaster's job. */
  readonly features: Float32Array;
}

/**
 * What every model (TFT-lite, MLP baseline, rolling-quantile baseline) offers the strategy.
 * Outputs are calibrated: class probabilities after temperature scaling, quantiles after conformal
 * adjustment. Quantiles are of the forward log return over the model's horizon.
 */
export interface Forecaster {
  readonly version: string;
  readonly timeframe: Timeframe;
  readonly horizon: number;
  readonly featureNames: readonly string[];
  /** How many feature rows one input needs. */
  readonly window: number;
  predictBatch(inputs: readonly ForecastInput[]): Forecast[];
  /** Frees tensors; the forecaster must not be used afterwards. */
  dispose(): void;
}
