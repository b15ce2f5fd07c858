import type { Candle, Forecast, Timeframe } from '../core/types.ts';
import { calibrationReport } from './summary.ts';
import type { ScoredForecast } from './summary.ts';
import type { CalibrationReport } from './types.ts';

/**
 * Class of the realised forward return at every index of a series: 0 = BUY, 1 = SELL, 2 = HOLD
 * (CLASS_ORDER), negative = no label; the same rule as the training labels. Whole-series, not per
 * candle: the per-candle form re-ran the rule on a slice for every forecast and took half of a
 * precomputed replay's time.
 */
export type LabelRule = (
  timeframe: Timeframe,
  candles: readonly Candle[],
  horizon: number,
) => ArrayLike<number>;

/**
 * Scores the forecasts made on candles inside [from, to) against what happened over their
 * horizon. Only forecasts whose horizon ended inside the data (and did not span a gap) count.
 */
export function scoreForecasts(
  timeframe: Timeframe,
  perSymbol: ReadonlyArray<{ candles: readonly Candle[]; forecasts: ReadonlyArray<Forecast | undefined> }>,
  horizon: number,
  from: number,
  to: number,
  tfMs: number,
  label: LabelRule,
): CalibrationReport {
  const scored: ScoredForecast[] = [];
  for (const { candles, forecasts } of perSymbol) {
    const labels = label(timeframe, candles, horizon);
    for (let i = 0; i + horizon < candles.length; i++) {
      const f = forecasts[i];
      const c = candles[i];
      if (!f || c.timestamp < from || c.timestamp + (horizon + 1) * tfMs > to) continue;
      if (candles[i + horizon].timestamp !== c.timestamp + horizon * tfMs) continue;
      const y = labels[i];
      if (!(y >= 0)) continue;
      scored.push({ forecast: f, realised: Math.log(candles[i + horizon].close / c.close), label: y });
    }
  }
  return calibrationReport(timeframe, scored);
}
