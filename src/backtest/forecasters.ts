import type { ManualClock } from '../core/clock.ts';
import type { Forecast, ModelTimeframe, Timeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import type { ForecastInput, Forecaster } from '../models/forecaster.ts';
import { ForwardingForecaster, RollingQuantileForecaster } from '../models/index.ts';
import type { CachedForecaster } from './forecast-cache.ts';

export type ModelMap = Partial<Record<ModelTimeframe, Forecaster>>;

/**
 * Delegates to whichever model the current walk-forward window trained, so one plugin, one risk
 * manager and one paper account run through all windows (equity carries over, as it would live).
 */
export class SwitchingForecaster extends ForwardingForecaster {
  swap(next: Forecaster): void {
    this.inner = next;
  }
}

/**
 * Records every forecast the plugin was served, keyed by symbol and the open time of the candle it
 * was made on (the clock stands at that candle's close): calibration scores exactly what traded.
 */
export class RecordingForecaster extends ForwardingForecaster {
  readonly served = new Map<string, Map<number, Forecast>>();
  constructor(
    inner: Forecaster,
    private readonly clock: ManualClock,
    private readonly tfMs: number,
  ) {
    super(inner);
  }
  override predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    const out = this.inner.predictBatch(inputs);
    const at = this.clock.now() - this.tfMs;
    inputs.forEach((x, i) => {
      if (out[i] === undefined) return; // a model that gave no forecast (AbsentForecaster)
      let m = this.served.get(x.symbol);
      if (!m) this.served.set(x.symbol, (m = new Map()));
      m.set(at, out[i]);
    });
    return out;
  }
}

/** Models whose output depends on state fed during the replay (the rolling baseline) cannot be precomputed. */
export function isStateful(m: Forecaster): boolean {
  return m instanceof RollingQuantileForecaster;
}

export interface PrecomputedSet {
  readonly models: ModelMap;
  readonly caches: CachedForecaster[];
}

export function recording(
  models: ModelMap,
  clock: ManualClock,
): Partial<Record<ModelTimeframe, RecordingForecaster>> {
  const out: Partial<Record<ModelTimeframe, RecordingForecaster>> = {};
  for (const [tf, m] of Object.entries(models) as Array<[ModelTimeframe, Forecaster]>)
    out[tf] = new RecordingForecaster(m, clock, timeframeMs(tf));
  return out;
}

/**
 * Stands in for a timeframe whose model a walk-forward window could not train (too little
 * gap-free history before the retrain point): it forecasts nothing, so the strategy decides
 * without that timeframe, as a live bot does while a model is missing.
 */
export class AbsentForecaster implements Forecaster {
  readonly version: string;
  readonly horizon = 1;
  readonly featureNames: readonly string[] = [];
  readonly window = 1;
  constructor(
    readonly timeframe: Timeframe,
    readonly reason: string,
  ) {
    this.version = `none (${reason})`;
  }
  predictBatch(): Forecast[] {
    return [];
  }
  dispose(): void {}
}
