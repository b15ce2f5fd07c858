import { QuantgateError } from '../core/errors.ts';
import type { Candle, ExchangeId, Timeframe } from '../core/types.ts';
import { candlePath, readCandles } from './csv-store.ts';
import { resampleMerged, resampleSourcesFor } from './resample.ts';

export interface LoadedSeries {
  readonly candles: Candle[];
  /** Where the candles came from: the file, or `resampled from <1h file>`. */
  readonly source: string;
  readonly skipped: number;
}

/**
 * One series from the store, or, for 4h/12h/24h with no file of their own, resampled from the 1h
 * and 4h files (whole UTC buckets only, each from the finest file that holds it whole). Missing
 * all → DATA_MISSING naming the paths tried.
 */
export function loadSeries(
  dataDir: string,
  exchange: ExchangeId,
  timeframe: Timeframe,
  symbol: string,
  opts: { skipBadRows?: boolean } = {},
): LoadedSeries {
  const own = readCandles(dataDir, exchange, timeframe, symbol, opts);
  if (own)
    return {
      candles: own.candles,
      source: candlePath(dataDir, exchange, timeframe, symbol),
      skipped: own.skipped,
    };
  const tried = [candlePath(dataDir, exchange, timeframe, symbol)];
  const found: { timeframe: Timeframe; candles: Candle[]; skipped: number }[] = [];
  for (const tf of resampleSourcesFor(timeframe)) {
    const r = readCandles(dataDir, exchange, tf, symbol, opts);
    tried.push(candlePath(dataDir, exchange, tf, symbol));
    if (r) found.push({ timeframe: tf, candles: r.candles, skipped: r.skipped });
  }
  if (found.length > 0)
    return {
      candles: resampleMerged(found, timeframe).candles,
      source: `resampled from ${found.map((f) => candlePath(dataDir, exchange, f.timeframe, symbol)).join(' + ')}`,
      skipped: found.reduce((a, f) => a + f.skipped, 0),
    };
  throw new QuantgateError(
    'DATA_MISSING',
    `no ${timeframe} candles for ${symbol} on ${exchange}: none of ${tried.join(', ')} exists (run \`quantgate download\` first)`,
    { symbol, timeframe },
  );
}
