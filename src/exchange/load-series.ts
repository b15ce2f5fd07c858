import { QuantgateError } from '../core/errors.ts';
import type { Candle, ExchangeId, Timeframe } from '../core/types.ts';
import { candlePath, readCandles } from './csv-store.ts';
import { resampleCandles } from './resample.ts';

export interface LoadedSeries {
  readonly candles: Candle[];
  /** Where the candles came from: the file, or `resampled from <1h file>`. */
  readonly source: string;
  readonly skipped: number;
}

/** Timeframes the store can build from 1h candles when it has no file of their own. */
const RESAMPLABLE: readonly Timeframe[] = ['4h', '12h', '1d'];

/**
 * One series from the store, or, for 12h/24h (and 4h) with no file of their own, resampled from the
 * 1h file (whole UTC buckets only). Missing both → DATA_MISSING naming the paths tried.
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
  if (RESAMPLABLE.includes(timeframe)) {
    const hourly = readCandles(dataDir, exchange, '1h', symbol, opts);
    const hPath = candlePath(dataDir, exchange, '1h', symbol);
    if (hourly)
      return {
        candles: resampleCandles(hourly.candles, '1h', timeframe).candles,
        source: `resampled from ${hPath}`,
        skipped: hourly.skipped,
      };
    tried.push(hPath);
  }
  throw new QuantgateError(
    'DATA_MISSING',
    `no ${timeframe} candles for ${symbol} on ${exchange}: none of ${tried.join(', ')} exists (run \`quantgate download\` first)`,
    { symbol, timeframe },
  );
}
