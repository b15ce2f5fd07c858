import { describe, expect, it } from 'vitest';
import type { Candle } from '../../src/core/index.ts';
import { QuantgateError } from '../../src/core/index.ts';
import { CandleBuffer, CandleBufferSet } from '../../src/exchange/index.ts';
import { fixtureCandles } from '../simulator/helpers.ts';

const candles = fixtureCandles('5m', 'BTCUSDT');

function filled(capacity: number, n: number): CandleBuffer {
  const b = new CandleBuffer(capacity);
  for (const c of candles.slice(0, n)) b.append(c);
  return b;
}

describe('CandleBuffer', () => {
  it('keeps the newest `capacity` candles in order across many wrap-arounds', () => {
    const b = filled(7, 100);
    expect(b.length).toBe(7);
    expect(b.totalAppended).toBe(100);
    expect(b.toArray()).toEqual(candles.slice(93, 100));
    expect(b.at(0)).toEqual(candles[93]);
    expect(b.at(-1)).toEqual(candles[99]);
    expect(b.at(7)).toBeUndefined();
    expect(b.lastTimestamp()).toBe(candles[99].timestamp);
  });

  it('returns windows of any length as views of its own storage (no copy), equal to the candles', () => {
    for (let n = 1; n <= 60; n++) {
      const b = filled(16, n);
      for (const w of [1, 5, 16, 99]) {
        const win = b.window(w);
        const want = candles.slice(Math.max(0, n - Math.min(w, 16)), n);
        expect(win.length).toBe(want.length);
        expect([...win.close]).toEqual(want.map((c) => c.close));
        expect([...win.timestamp]).toEqual(want.map((c) => c.timestamp));
        expect([...win.volume]).toEqual(want.map((c) => c.volume));
        // A view: same ArrayBuffer as the ring, so appending changes what an old view shows.
        expect(win.close.buffer).toBe(b.window().close.buffer);
      }
    }
  });

  it('windowCopy is detached from later appends; window views are not', () => {
    const b = filled(4, 4);
    const view = b.window(4);
    const copy = b.windowCopy(4);
    const before = [...copy.close];
    b.append(candles[4]);
    expect([...copy.close]).toEqual(before);
    expect([...view.close]).not.toEqual(before);
  });

  it('rejects non-increasing timestamps and non-finite values with DATA_INVALID', () => {
    const b = filled(8, 3);
    const again = () => b.append(candles[2]);
    expect(again).toThrow(QuantgateError);
    expect(again).toThrow(/not after the newest/);
    expect(() => b.append(candles[1])).toThrow(/DATA_INVALID|not after/);
    const bad: Candle = { ...candles[3], close: Number.NaN };
    expect(() => b.append(bad)).toThrow(/non-finite/);
    expect(b.length).toBe(3);
    try {
      again();
    } catch (e) {
      expect((e as QuantgateError).code).toBe('DATA_INVALID');
    }
  });

  it('uses fixed memory whatever the run length', () => {
    const b = new CandleBuffer(500);
    const bytes = b.byteLength;
    let t = 0;
    for (let i = 0; i < 20_000; i++) b.append({ ...candles[i % candles.length], timestamp: (t += 300_000) });
    expect(b.byteLength).toBe(bytes);
    expect(b.length).toBe(500);
    expect(b.window(500).timestamp[499]).toBe(t);
  });

  it('handles empty buffers and bad capacities', () => {
    const b = new CandleBuffer(3);
    expect(b.window().length).toBe(0);
    expect(Number.isNaN(b.lastTimestamp())).toBe(true);
    expect(b.toArray()).toEqual([]);
    expect(() => new CandleBuffer(0)).toThrow(/capacity/);
  });
});

describe('CandleBufferSet', () => {
  it('keeps one buffer per (exchange, symbol, timeframe)', () => {
    const set = new CandleBufferSet(10);
    const key = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' } as const;
    set.append({ ...candles[0], ...key });
    set.append({ ...candles[0], ...key, timeframe: '1h' });
    expect(set.get(key).length).toBe(1);
    expect(set.get({ ...key, timeframe: '1h' }).length).toBe(1);
    expect(() => set.append({ ...candles[0], ...key })).toThrow(/binance BTC\/USDT 5m/);
  });
});
