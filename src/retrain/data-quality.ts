import { DATA_QUALITY_DEFAULTS } from '../config/index.ts';
import type { RetrainConfig } from '../config/index.ts';
import type { Candle, ModelTimeframe, Timeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import { largestMove } from '../exchange/outliers.ts';

/** One symbol's candles as a retrain cycle would train on them (already cut at the last closed candle). */
export interface QualitySeries {
  readonly symbol: string;
  readonly candles: readonly Candle[];
}

export interface SeriesQuality {
  readonly symbol: string;
  readonly candles: number;
  /** Missing candles / candles the span from first to last should hold. */
  readonly gapRatio: number;
  /** Whole candles between the last stored candle's close and `now`. */
  readonly staleCandles: number;
  /** Largest one-candle move: |log(close_t / close_t−1)| or a wick's |log ratio| (exchange/outliers.ts). */
  readonly maxAbsReturn: number;
}

export interface QualityReport {
  readonly ok: boolean;
  /** One line per failed check, naming the symbol, the figure and the config key. */
  readonly problems: string[];
  readonly series: SeriesQuality[];
}

type QualityConfig = RetrainConfig['dataQuality'];
type PerTimeframe = number | Readonly<Partial<Record<ModelTimeframe, number>>>;

/** One timeframe's value of a number-or-map setting, falling back to the per-timeframe default. */
function forTimeframe(
  v: PerTimeframe,
  tf: Timeframe,
  fallback: Readonly<Record<ModelTimeframe, number>>,
): number {
  if (typeof v === 'number') return v;
  const key = tf as ModelTimeframe;
  return v[key] ?? fallback[key] ?? Math.max(...Object.values(fallback));
}

export function seriesQuality(s: QualitySeries, tf: Timeframe, now: number): SeriesQuality {
  const ms = timeframeMs(tf);
  const c = s.candles;
  if (c.length === 0)
    return { symbol: s.symbol, candles: 0, gapRatio: 1, staleCandles: Infinity, maxAbsReturn: 0 };
  const span = Math.round((c[c.length - 1].timestamp - c[0].timestamp) / ms) + 1;
  // Close to close and each candle's wicks (exchange/outliers.ts: the same rule for every command).
  const maxAbs = largestMove(c).value;
  return {
    symbol: s.symbol,
    candles: c.length,
    gapRatio: span > 0 ? Math.max(0, span - c.length) / span : 0,
    staleCandles: Math.max(0, Math.floor((now - (c[c.length - 1].timestamp + ms)) / ms)),
    maxAbsReturn: maxAbs,
  };
}

/** retrain.dataQuality's per-timeframe settings resolved for one timeframe. */
export function qualityLimits(
  q: QualityConfig,
  tf: Timeframe,
): { readonly minCandles: number; readonly maxAbsReturn: number } {
  return {
    minCandles: forTimeframe(q.minCandles, tf, DATA_QUALITY_DEFAULTS.minCandles),
    maxAbsReturn: forTimeframe(q.maxAbsReturn, tf, DATA_QUALITY_DEFAULTS.maxAbsReturn),
  };
}

/**
 * The check before a retrain: enough candles, few gaps, recent data, no absurd price jumps.
 * A failing series fails the cycle (a model trained on broken data must not even reach the gate).
 */
export function checkDataQuality(
  series: readonly QualitySeries[],
  tf: Timeframe,
  now: number,
  q: QualityConfig,
): QualityReport {
  const stats = series.map((s) => seriesQuality(s, tf, now));
  const { minCandles, maxAbsReturn } = qualityLimits(q, tf);
  const problems: string[] = [];
  for (const s of stats) {
    const p = `${s.symbol} ${tf}:`;
    if (s.candles < minCandles)
      problems.push(`${p} ${s.candles} candles < retrain.dataQuality.minCandles ${minCandles}`);
    if (s.candles === 0) continue;
    if (s.gapRatio > q.maxGapRatio)
      problems.push(
        `${p} gap ratio ${s.gapRatio.toFixed(4)} > retrain.dataQuality.maxGapRatio ${q.maxGapRatio}`,
      );
    if (s.staleCandles > q.maxStalenessCandles)
      problems.push(
        `${p} last candle is ${s.staleCandles} candles old > retrain.dataQuality.maxStalenessCandles ${q.maxStalenessCandles}`,
      );
    if (s.maxAbsReturn > maxAbsReturn)
      problems.push(
        `${p} a one-candle move of ${s.maxAbsReturn.toFixed(3)} (|log return|) > retrain.dataQuality.maxAbsReturn ${maxAbsReturn}`,
      );
  }
  if (series.length === 0) problems.push(`${tf}: no symbols to check`);
  return { ok: problems.length === 0, problems, series: stats };
}
