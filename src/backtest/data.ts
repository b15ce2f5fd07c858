import { QuantgateError } from '../core/errors.ts';
import { findGaps, largestMove, resampleMerged, resampleSourcesFor } from '../exchange/index.ts';
import { timeframeMs } from '../core/types.ts';
import type { Candle, Timeframe } from '../core/types.ts';
import { isoDate } from './dates.ts';
import { sliceByTime } from './replay.ts';
import type { GapReport } from './types.ts';

/** Reads one stored series; returns null when the store has no file for it. */
export interface CandleSource {
  readonly describe: string;
  load(symbol: string, timeframe: Timeframe): Candle[] | null;
}

export interface LoadedData {
  /** All stored candles per symbol and timeframe (history before `from` included, nothing at or after `to`). */
  readonly series: Record<string, Partial<Record<Timeframe, Candle[]>>>;
  readonly gaps: GapReport[];
  readonly warnings: string[];
}

const RESAMPLABLE: readonly Timeframe[] = ['12h', '1d'];

/**
 * The retrain data-quality rule for single-candle outliers (high = 1e300, a close ×100), as train
 * and evaluate apply it (exchange/outliers.ts): a warning in the report, not an error.
 */
function outlierWarning(
  symbol: string,
  tf: Timeframe,
  candles: readonly Candle[],
  limit: number | undefined,
): string | null {
  if (limit === undefined) return null;
  const m = largestMove(candles);
  if (!(m.value > limit)) return null;
  return `${symbol} ${tf}: a one-candle move of ${m.value.toFixed(3)} (|log ratio|) at ${new Date(m.at).toISOString()} > retrain.dataQuality.maxAbsReturn ${limit}: check the candle store`;
}

/**
 * Loads every (symbol, timeframe) the strategy needs, resampling 12h/24h from the 1h and 4h files
 * when the store lacks them (as training does: exchange/load-series.ts), and checks that the execution timeframe has candles inside [from, to). Missing
 * symbols, timeframes and empty ranges are errors that say what the store does hold.
 */
export function loadBacktestData(
  source: CandleSource,
  symbols: readonly string[],
  timeframes: readonly Timeframe[],
  executionTimeframe: Timeframe,
  from: number,
  to: number,
  /** retrain.dataQuality.maxAbsReturn per timeframe: a larger one-candle move is warned about. */
  maxAbsReturn?: (tf: Timeframe) => number | undefined,
): LoadedData {
  if (!(to > from))
    throw new QuantgateError('USAGE', `--from ${isoDate(from)} must be before --to ${isoDate(to)}`);
  const series: LoadedData['series'] = {};
  const gaps: GapReport[] = [];
  const warnings: string[] = [];
  for (const symbol of symbols) {
    const bySym: Partial<Record<Timeframe, Candle[]>> = {};
    for (const tf of timeframes) {
      let candles = source.load(symbol, tf);
      if (candles === null && RESAMPLABLE.includes(tf)) {
        const found = resampleSourcesFor(tf).flatMap((s) => {
          const c = source.load(symbol, s);
          return c === null ? [] : [{ timeframe: s, candles: c }];
        });
        if (found.length > 0) {
          candles = resampleMerged(found, tf).candles;
          warnings.push(
            `${symbol} ${tf}: not in the store, resampled from ${found.map((f) => f.timeframe).join(' + ')}`,
          );
        }
      }
      if (candles === null)
        throw new QuantgateError(
          'DATA_MISSING',
          tf === executionTimeframe
            ? `symbol ${symbol} is not in the candle store ${source.describe} (no ${tf} file); download it first (quantgate download)`
            : `${symbol}: timeframe ${tf} is missing from ${source.describe}${RESAMPLABLE.includes(tf) ? ' and there is no 1h or 4h file to resample it from' : ''}`,
          { symbol, timeframe: tf },
        );
      // Candles that close after `to` are not part of the backtest.
      const kept = sliceByTime(candles, -Infinity, to - timeframeMs(tf) + 1);
      bySym[tf] = kept;
      const outlier = outlierWarning(symbol, tf, kept, maxAbsReturn?.(tf));
      if (outlier !== null) warnings.push(outlier);
      const inRange = sliceByTime(kept, from, to);
      if (tf === executionTimeframe && inRange.length === 0) {
        const span =
          candles.length > 0
            ? `${isoDate(candles[0].timestamp)} … ${isoDate(candles[candles.length - 1].timestamp)}`
            : 'no rows';
        throw new QuantgateError(
          'DATA_MISSING',
          `${symbol} ${tf}: no candles between ${isoDate(from)} and ${isoDate(to)} (the store holds ${span})`,
          { symbol, timeframe: tf },
        );
      }
      if (tf !== executionTimeframe && inRange.length === 0)
        warnings.push(
          `${symbol} ${tf}: no candles inside the range; that timeframe's model never gets a fresh candle`,
        );
      // The store's one gap finder (exchange/csv-store.ts), tagged with the series for the report.
      for (const g of findGaps(inRange, tf)) gaps.push({ symbol, timeframe: tf, ...g });
    }
    series[symbol] = bySym;
  }
  const bySeries = new Map<string, { n: number; missing: number }>();
  for (const g of gaps) {
    const k = `${g.symbol} ${g.timeframe}`;
    const s = bySeries.get(k) ?? { n: 0, missing: 0 };
    bySeries.set(k, { n: s.n + 1, missing: s.missing + g.missing });
  }
  for (const [k, s] of bySeries)
    warnings.push(
      `${k}: ${s.missing} missing candles in ${s.n} gap(s); open positions are marked at the first candle after each gap`,
    );
  return { series, gaps, warnings };
}
