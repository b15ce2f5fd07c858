import type { ClosedCandle, SeriesKey } from '../core/types.ts';
import { CandleBuffer } from './candle-buffer.ts';

/** Stable map key of a series, e.g. `binance|BTC/USDT|5m`. */
export function seriesId(k: SeriesKey): string {
  return `${k.exchange}|${k.symbol}|${k.timeframe}`;
}

/** One CandleBuffer per (exchange, symbol, timeframe), created on first use with a fixed capacity. */
export class CandleBufferSet {
  private readonly buffers = new Map<string, CandleBuffer>();
  constructor(private readonly capacity: number) {}

  get(k: SeriesKey): CandleBuffer {
    const id = seriesId(k);
    let b = this.buffers.get(id);
    if (!b) {
      b = new CandleBuffer(this.capacity, { exchange: k.exchange, symbol: k.symbol, timeframe: k.timeframe });
      this.buffers.set(id, b);
    }
    return b;
  }

  /** Appends a closed candle to its series' buffer (throws on a non-increasing timestamp). */
  append(c: ClosedCandle): void {
    this.get(c).append(c);
  }

  has(k: SeriesKey): boolean {
    return this.buffers.has(seriesId(k));
  }

  entries(): IterableIterator<[string, CandleBuffer]> {
    return this.buffers.entries();
  }
}
