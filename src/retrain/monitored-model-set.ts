import type { Forecast, ModelTimeframe } from '../core/types.ts';
import type { ForecastInput } from '../models/index.ts';
import { ModelSet } from '../strategy/index.ts';

/**
 * Sees the inputs and the active model's forecasts of one predict call; may return the forecasts to
 * serve instead (same order and length: a shadow trial's traffic split), or nothing to serve `out`.
 */
export type ForecastListener = (
  tf: ModelTimeframe,
  inputs: readonly ForecastInput[],
  out: readonly Forecast[],
) => readonly Forecast[] | undefined;

/**
 * The strategy's ModelSet, telling a listener every forecast it serves, so the live monitor sees
 * exactly what the strategy decided on (no second prediction, no wrapper that a swap could drop).
 */
export class MonitoredModelSet extends ModelSet {
  private listener: ForecastListener | null = null;

  observeForecasts(l: ForecastListener | null): void {
    this.listener = l;
  }

  override predict(tf: ModelTimeframe, inputs: readonly ForecastInput[]): Forecast[] | null {
    const out = super.predict(tf, inputs);
    if (out === null || this.listener === null) return out;
    const served = this.listener(tf, inputs, out);
    return served === undefined || served.length !== out.length ? out : [...served];
  }
}
