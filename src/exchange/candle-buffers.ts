import type { ClosedCandle, SeriesKey } from '../core/types.ts';
import { CandleBuffer } from './candle-buffer.ts';

/** Stable map key of a series, e.g. `binance|BTC/USDT|5m`. */
export function seriesId(k: SeriesKey): string {
  return `${k.exchange}|${k.symbol}|${k.timeframe}`;
}

/** One CandleBuffer per (exchange, symbol, timeframe), created on first use with a fixed capacity. */
export class CandleBufferSet {
  private readonly buffers = new Map<string, CandleBuffer>();
  // exchange → symbol → timeframe: three Map hits are cheaper than building an id string per candle.
  private readonly index = new Map<string, Map<string, Map<string, CandleBuffer>>>();
  constructor(private readonly capacity: number) {}

  get(k: SeriesKey): CandleBuffer {
    const found = this.index.get(k.exchange)?.get(k.symbol)?.get(k.timeframe);
    if (found) return found;
    const b = new CandleBuffer(this.capacity, {
      exchange: k.exchange,
      symbol: k.symbol,
      timeframe: k.timeframe,
    });
    this.buffers.set(seriesId(k), b);
    let bySymbol = this.index.get(k.exchange);
    if (!bySymbol) this.index.set(k.exchange, (bySymbol = new Map()));
    let byTf = bySymbol.get(k.symbol);
    if (!byTf) bySymbol.set(k.symbol, (byTf = new Map()));
    byTf.set(k.timeframe, b);
    return b;
  }

  /** Appends a closed candle to its series' buffer (throws on a non-increasing timestamp). */
  append(c: ClosedCandle): void {
    this.get(c).append(c);
  }

  has(k: SeriesKey): boolean {
    return this.index.get(k.exchange)?.get(k.symbol)?.has(k.timeframe) ?? false;
  }

  entries(): IterableIterator<[string, CandleBuffer]> {
    return this.buffers.entries();
  }
}
