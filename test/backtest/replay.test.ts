import { describe, expect, it } from 'vitest';
import { mergeByCloseTime, sliceByTime } from '../../src/backtest/index.ts';
import { findGaps } from '../../src/exchange/index.ts';
import type { Candle, Timeframe } from '../../src/core/index.ts';
import { timeframeMs } from '../../src/core/index.ts';

const H = 3_600_000;
const M5 = 300_000;

function series(start: number, step: number, n: number, skip: number[] = []): Candle[] {
  const out: Candle[] = [];
  for (let i = 0; i < n; i++) {
    if (skip.includes(i)) continue;
    const p = 100 + i;
    out.push({ timestamp: start + i * step, open: p, high: p + 1, low: p - 1, close: p + 0.5, volume: 1 });
  }
  return out;
}

describe('mergeByCloseTime', () => {
  it('releases each candle only at its close time, higher timeframe first on ties', () => {
    const t0 = Date.UTC(2021, 0, 1);
    const ev = mergeByCloseTime('binance', [
      { symbol: 'BTC/USDT', timeframe: '5m', candles: series(t0, M5, 24) },
      { symbol: 'BTC/USDT', timeframe: '1h', candles: series(t0, H, 2) },
    ]);
    expect(ev).toHaveLength(26);
    for (let i = 1; i < ev.length; i++) expect(ev[i].closeTime).toBeGreaterThanOrEqual(ev[i - 1].closeTime);
    for (const e of ev) expect(e.closeTime).toBe(e.candle.timestamp + (e.candle.timeframe === '1h' ? H : M5));
    // The 1h candle opened at t0 closes at t0+1h, together with the 12th 5m candle: 1h comes first.
    const i1h = ev.findIndex((e) => e.candle.timeframe === '1h');
    expect(ev[i1h].closeTime).toBe(t0 + H);
    expect(ev[i1h + 1].candle.timeframe).toBe('5m');
    expect(ev[i1h + 1].closeTime).toBe(t0 + H);
    expect(ev.slice(0, i1h).every((e) => e.candle.timeframe === '5m' && e.closeTime < t0 + H)).toBe(true);
  });

  it('gives the order of a stable sort by (close time, longer timeframe, series), gaps and ties included', () => {
    const t0 = Date.UTC(2021, 0, 1);
    const tfs: Timeframe[] = ['5m', '1h', '12h', '1d', '5m', '1h'];
    const input = tfs.map((timeframe, k) => ({
      symbol: k < 4 ? 'BTC/USDT' : 'ETH/USDT',
      timeframe,
      // Series starting at different times, with gaps, so ties and empty stretches both occur.
      candles: series(t0 + k * timeframeMs(timeframe), timeframeMs(timeframe), 600 >> k, [3, 4, 17 + k]),
    }));
    // The reference: every candle with its keys, sorted (Array.prototype.sort is stable).
    const ref = input
      .flatMap((sr, s) =>
        sr.candles.map((c) => ({
          closeTime: c.timestamp + timeframeMs(sr.timeframe),
          tfMs: timeframeMs(sr.timeframe),
          s,
          candle: { ...c, exchange: 'binance' as const, symbol: sr.symbol, timeframe: sr.timeframe },
        })),
      )
      .sort((a, b) => a.closeTime - b.closeTime || b.tfMs - a.tfMs || a.s - b.s)
      .map(({ closeTime, candle }) => ({ closeTime, candle }));
    const ev = mergeByCloseTime('binance', input);
    expect(ev.length).toBeGreaterThan(1000);
    expect(JSON.stringify(ev)).toBe(JSON.stringify(ref));
    expect(mergeByCloseTime('binance', [])).toEqual([]);
  });

  it('rejects unsorted or duplicate candles naming the series', () => {
    const c = series(0, M5, 3);
    expect(() =>
      mergeByCloseTime('binance', [{ symbol: 'ETH/USDT', timeframe: '5m', candles: [c[0], c[2], c[1]] }]),
    ).toThrow(/ETH\/USDT 5m: candles not strictly ascending/);
  });
});

describe('findGaps / sliceByTime', () => {
  it('lists each run of missing candles', () => {
    const c = series(0, M5, 20, [5, 6, 7, 12]);
    expect(findGaps(c, '5m')).toEqual([
      { after: 4 * M5, before: 8 * M5, missing: 3 },
      { after: 11 * M5, before: 13 * M5, missing: 1 },
    ]);
    expect(findGaps(series(0, M5, 5), '5m')).toEqual([]);
  });
  it('slices by open time [from, to)', () => {
    const c = series(0, M5, 10);
    expect(sliceByTime(c, 2 * M5, 5 * M5).map((x) => x.timestamp)).toEqual([2 * M5, 3 * M5, 4 * M5]);
    expect(sliceByTime(c, 100 * M5, 200 * M5)).toEqual([]);
  });
});
