import type { DataFormat, ExchangeId, Candle, Timeframe } from '../core/types.ts';
import { readStoredSeries } from '../exchange/index.ts';
import type { CandleSource } from './data.ts';

/** The backtest's view of the candle store, CSV or Freqtrade files (validated reads; a missing file is `null`). */
export function csvSource(
  dataDir: string,
  exchange: ExchangeId,
  skipBadRows = false,
  format: DataFormat = 'auto',
): CandleSource {
  const cache = new Map<string, Candle[] | null>();
  return {
    describe: `${dataDir}/${exchange}`,
    load(symbol: string, tf: Timeframe): Candle[] | null {
      const key = `${symbol}|${tf}`;
      if (!cache.has(key))
        cache.set(
          key,
          readStoredSeries(dataDir, exchange, tf, symbol, { skipBadRows, format })?.candles ?? null,
        );
      return cache.get(key) ?? null;
    },
  };
}
