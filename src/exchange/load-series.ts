import { QuantgateError } from '../core/errors.ts';
import type { Candle, DataFormat, ExchangeId, Timeframe } from '../core/types.ts';
import { resampleMerged, resampleSourcesFor } from './resample.ts';
import { readStoredSeries, storePaths } from './store-read.ts';

export interface LoadedSeries {
  readonly candles: Candle[];
  /** Where the candles came from: the file, or `resampled from <1h file>`. */
  readonly source: string;
  readonly skipped: number;
}

/**
 * One series from the store (our CSV or Freqtrade's files, `format`), or, for 4h/12h/24h with no
 * file of their own, resampled from the 1h and 4h files (whole UTC buckets only, each from the
 * finest file that holds it whole). Missing all → DATA_MISSING naming the paths tried.
 */
export function loadSeries(
  dataDir: string,
  exchange: ExchangeId,
  timeframe: Timeframe,
  symbol: string,
  opts: { skipBadRows?: boolean; format?: DataFormat } = {},
): LoadedSeries {
  const own = readStoredSeries(dataDir, exchange, timeframe, symbol, opts);
  if (own) return { candles: own.candles, source: own.path, skipped: own.skipped };
  const tried = storePaths(dataDir, exchange, timeframe, symbol, opts.format);
  const found: { timeframe: Timeframe; candles: Candle[]; skipped: number; path: string }[] = [];
  for (const tf of resampleSourcesFor(timeframe)) {
    const r = readStoredSeries(dataDir, exchange, tf, symbol, opts);
    tried.push(...storePaths(dataDir, exchange, tf, symbol, opts.format));
    if (r) found.push({ timeframe: tf, candles: r.candles, skipped: r.skipped, path: r.path });
  }
  if (found.length > 0)
    return {
      candles: resampleMerged(found, timeframe).candles,
      source: `resampled from ${found.map((f) => f.path).join(' + ')}`,
      skipped: found.reduce((a, f) => a + f.skipped, 0),
    };
  throw new QuantgateError(
    'DATA_MISSING',
    `no ${timeframe} candles for ${symbol} on ${exchange}: none of ${tried.join(', ')} exists (run \`quantgate download\` first)`,
    { symbol, timeframe },
  );
}
