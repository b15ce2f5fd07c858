import type { Candle, Forecast, Timeframe } from '../core/types.ts';
import { calibrationReport } from './summary.ts';
import type { ScoredForecast } from './summary.ts';
import type { CalibrationReport } from './types.ts';

/** Class of a realised forward return: 0 = BUY, 1 = SELL, 2 = HOLD (CLASS_ORDER), same rule as training labels. */
export type LabelRule = (
  timeframe: Timeframe,
  candles: readonly Candle[],
  i: number,
  horizon: number,
) => number | null;

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
  for (const { candles, forecasts } of perSymbol)
    for (let i = 0; i + horizon < candles.length; i++) {
      const f = forecasts[i];
      const c = candles[i];
      if (!f || c.timestamp < from || c.timestamp + (horizon + 1) * tfMs > to) continue;
      if (candles[i + horizon].timestamp !== c.timestamp + horizon * tfMs) continue;
      const y = label(timeframe, candles, i, horizon);
      if (y === null) continue;
      scored.push({ forecast: f, realised: Math.log(candles[i + horizon].close / c.close), label: y });
    }
  return calibrationReport(timeframe, scored);
}
