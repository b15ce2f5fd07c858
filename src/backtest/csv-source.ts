import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantgateError } from '../core/errors.ts';
import { symbolToFileStem, timeframeMs } from '../core/types.ts';
import type { Candle, ExchangeId, Timeframe } from '../core/types.ts';
import type { CandleSource } from './data.ts';

/*
 * TEMPORARY until the CSV store (src/exchange/csv-store.ts, resample.ts) lands: a strict reader of
 * `<dir>/<exchange>/<tf>/<SYMBOL>.csv` and a 1h → 12h/1d resampler. Replace with the store's.
 */

export function csvSource(dataDir: string, exchange: ExchangeId): CandleSource {
  const cache = new Map<string, Candle[] | null>();
  return {
    describe: join(dataDir, exchange),
    load(symbol: string, tf: Timeframe): Candle[] | null {
      const path = join(dataDir, exchange, tf, `${symbolToFileStem(symbol)}.csv`);
      if (cache.has(path)) return cache.get(path) ?? null;
      if (!existsSync(path)) {
        cache.set(path, null);
        return null;
      }
      const lines = readFileSync(path, 'utf8').split('\n');
      const out: Candle[] = [];
      for (let i = 1; i < lines.length; i++) {
        const l = lines[i].trim();
        if (l.length === 0) continue;
        const v = l.split(',').map(Number);
        if (v.length < 6 || v.some((x) => !Number.isFinite(x)))
          throw new QuantgateError(
            'DATA_INVALID',
            `${path}:${i + 1}: expected 6 numbers timestamp,open,high,low,close,volume`,
          );
        if (out.length > 0 && v[0] <= out[out.length - 1].timestamp)
          throw new QuantgateError(
            'DATA_INVALID',
            `${path}:${i + 1}: timestamp ${v[0]} is not after the previous row`,
          );
        out.push({ timestamp: v[0], open: v[1], high: v[2], low: v[3], close: v[4], volume: v[5] });
      }
      cache.set(path, out);
      return out;
    },
  };
}

/**
 * UTC-aligned buckets (Binance 12h candles open at 00:00 and 12:00 UTC). A bucket missing more than
 * half of its 1h candles is dropped (it shows up as a gap); one missing fewer is built from the rest,
 * as the exchange's own candle would still exist.
 */
export function resampleCandles(candles: readonly Candle[], from: Timeframe, to: Timeframe): Candle[] {
  const fm = timeframeMs(from);
  const tm = timeframeMs(to);
  const per = tm / fm;
  const out: Candle[] = [];
  let i = 0;
  while (i < candles.length) {
    const start = Math.floor(candles[i].timestamp / tm) * tm;
    let j = i;
    while (j < candles.length && candles[j].timestamp < start + tm) j++;
    if ((j - i) * 2 >= per) {
      const b = candles.slice(i, j);
      out.push({
        timestamp: start,
        open: b[0].open,
        high: Math.max(...b.map((c) => c.high)),
        low: Math.min(...b.map((c) => c.low)),
        close: b[b.length - 1].close,
        volume: b.reduce((a, c) => a + c.volume, 0),
      });
    }
    i = j;
  }
  return out;
}
