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

/**
 * Wraps another forecaster and passes everything through; a subclass overrides only what it adds
 * (recording what was served, switching models between walk-forward windows, …).
 */
export class ForwardingForecaster implements Forecaster {
  constructor(protected inner: Forecaster) {}
  get version(): string {
    return this.inner.version;
  }
  get timeframe(): Timeframe {
    return this.inner.timeframe;
  }
  get horizon(): number {
    return this.inner.horizon;
  }
  get featureNames(): readonly string[] {
    return this.inner.featureNames;
  }
  get window(): number {
    return this.inner.window;
  }
  /** The wrapped model. */
  get unwrapped(): Forecaster {
    return this.inner;
  }
  predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    return this.inner.predictBatch(inputs);
  }
  dispose(): void {
    this.inner.dispose();
  }
}
