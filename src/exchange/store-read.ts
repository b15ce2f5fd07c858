import type { DataFormat, ExchangeId, Timeframe } from '../core/types.ts';
import { candlePath, readCandles } from './csv-store.ts';
import type { ReadOptions, ReadResult } from './csv-store.ts';
import { findFreqtradeFile, freqtradePaths, readFreqtradeFile } from './freqtrade-store.ts';

export interface StoredSeries extends ReadResult {
  /** The file the candles were read from. */
  readonly path: string;
}

export type StoreReadOptions = Omit<ReadOptions, 'timeframe'> & { readonly format?: DataFormat };

/**
 * One series' own file in the format asked for (`auto`: our CSV when it exists, else Freqtrade's
 * feather/json), validated; null when no such file exists.
 */
export function readStoredSeries(
  dataDir: string,
  exchange: ExchangeId,
  timeframe: Timeframe,
  symbol: string,
  opts: StoreReadOptions = {},
): StoredSeries | null {
  const format = opts.format ?? 'auto';
  if (format !== 'freqtrade') {
    const r = readCandles(dataDir, exchange, timeframe, symbol, opts);
    if (r) return { ...r, path: candlePath(dataDir, exchange, timeframe, symbol) };
    if (format === 'csv') return null;
  }
  const path = findFreqtradeFile(dataDir, exchange, timeframe, symbol);
  return path === undefined ? null : { ...readFreqtradeFile(path, { ...opts, timeframe }), path };
}

/** Where `readStoredSeries` looks, for "not found" messages (Freqtrade's candidates as one pattern). */
export function storePaths(
  dataDir: string,
  exchange: ExchangeId,
  timeframe: Timeframe,
  symbol: string,
  format: DataFormat = 'auto',
): string[] {
  const csv = format === 'freqtrade' ? [] : [candlePath(dataDir, exchange, timeframe, symbol)];
  const first = freqtradePaths(dataDir, exchange, timeframe, symbol)[0].replace(/\.feather$/, '');
  const ft = format === 'csv' ? [] : [`${first}.{feather,json,json.gz} (or the same name in ${dataDir})`];
  return [...csv, ...ft];
}
