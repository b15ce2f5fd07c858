import type { ExchangeId, Candle, Timeframe } from '../core/types.ts';
import { candlePath, readCandles } from '../exchange/index.ts';
import type { CandleSource } from './data.ts';

/** The backtest's view of the CSV store (validated reads; a missing file is `null`). */
export function csvSource(dataDir: string, exchange: ExchangeId, skipBadRows = false): CandleSource {
  const cache = new Map<string, Candle[] | null>();
  return {
    describe: `${dataDir}/${exchange}`,
    load(symbol: string, tf: Timeframe): Candle[] | null {
      const path = candlePath(dataDir, exchange, tf, symbol);
      if (!cache.has(path))
        cache.set(path, readCandles(dataDir, exchange, tf, symbol, { skipBadRows })?.candles ?? null);
      return cache.get(path) ?? null;
    },
  };
}
