import type { Forecast, Timeframe } from '../../src/core/types.ts';
import type { Forecaster, ForecastInput } from '../../src/models/forecaster.ts';

/** A deterministic forecaster for strategy tests: the forecast is a pure function of the input rows. */
export class FakeForecaster implements Forecaster {
  readonly horizon = 12;
  calls = 0;
  disposed = false;
  constructor(
    readonly version: string,
    readonly timeframe: Timeframe,
    readonly featureNames: readonly string[],
    readonly window: number,
    private readonly fn: (inp: ForecastInput) => Omit<Forecast, 'timeframe' | 'modelVersion'>,
  ) {}
  predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    if (this.disposed) throw new Error(`${this.version} used after dispose`);
    this.calls++;
    return inputs.map((i) => ({ ...this.fn(i), timeframe: this.timeframe, modelVersion: this.version }));
  }
  dispose(): void {
    this.disposed = true;
  }
}

export function forecast(p: Partial<Forecast>): Forecast {
  return {
    timeframe: '5m',
    pBuy: 0.8,
    pSell: 0.1,
    pHold: 0.1,
    q10: -0.01,
    q50: 0.005,
    q90: 0.03,
    modelVersion: 'v',
    ...p,
  };
}
