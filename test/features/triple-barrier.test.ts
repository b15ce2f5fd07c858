import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.ts';
import type { Candle } from '../../src/core/types.ts';
import {
  LABEL_BUY,
  LABEL_HOLD,
  LABEL_NONE,
  LABEL_SELL,
  barrierDistances,
  barrierPrices,
  labelParamsFor,
  labelsFor,
  makeTripleBarrierLabels,
  realisedSigma,
} from '../../src/features/index.ts';
import { fixtureCandles } from './support.ts';

const STEP = 300_000;
const T0 = Date.UTC(2021, 0, 1);
/** Warm-up of alternating ±1 % closes (σ = ln 1.01 per candle), then the given candles. */
function withWarmup(path: Array<[high: number, low: number, close: number]>): Candle[] {
  const warm = [100, 101, 100, 101, 100].map((c) => [c, c, c] as [number, number, number]);
  return [...warm, ...path].map(([high, low, close], i) => ({
    timestamp: T0 + i * STEP,
    open: close,
    high,
    low,
    close,
    volume: 1,
  }));
}
const sigma = Math.log(1.01);
const H = 4;
// σ·√4 = 2σ ≈ 1.99 %: with multipliers 1 the take-profit is at 100·e^(2σ) = 102.01, the stop at 98.03.
const barrier = { takeProfitMultiplier: 1, stopLossMultiplier: 1, costs: 0.0024 };
const at = 4; // the entry candle (close 100) is the last warm-up candle

describe('triple-barrier labels', () => {
  it('BUY when a long hits its take-profit first, SELL when a short would, HOLD at the vertical barrier', () => {
    const up = makeTripleBarrierLabels(
      withWarmup([
        [101, 99.5, 101],
        [102.5, 100.5, 102],
        [102, 101, 101],
        [101, 100, 100],
      ]),
      H,
      4,
      barrier,
      '5m',
    );
    expect(up.classes[at]).toBe(LABEL_BUY);
    const down = makeTripleBarrierLabels(
      withWarmup([
        [100.2, 99, 99],
        [99, 97.5, 98],
        [99, 98, 98.5],
        [99, 98, 98.5],
      ]),
      H,
      4,
      barrier,
      '5m',
    );
    expect(down.classes[at]).toBe(LABEL_SELL);
    const flat = makeTripleBarrierLabels(
      withWarmup([
        [100.5, 99.5, 100],
        [101, 99, 100.5],
        [101.5, 99, 100],
        [101, 99, 100],
      ]),
      H,
      4,
      barrier,
      '5m',
    );
    expect(flat.classes[at]).toBe(LABEL_HOLD);
    expect(up.threshold[at]).toBeCloseTo(2 * sigma, 12);
    expect(up.stopDistance![at]).toBeCloseTo(2 * sigma, 12);
    expect(up.forwardReturn[at]).toBeCloseTo(Math.log(100 / 100), 12);
  });

  it('the stop is assumed first when one candle touches both levels (as the runtime does)', () => {
    const both = makeTripleBarrierLabels(
      withWarmup([
        [103, 97, 100],
        [103, 100, 102],
        [101, 100, 100],
        [101, 100, 100],
      ]),
      H,
      4,
      barrier,
      '5m',
    );
    // A long is stopped and a short is stopped by the same candle: nobody wins.
    expect(both.classes[at]).toBe(LABEL_HOLD);
  });

  it('only the path after the entry candle and up to the vertical barrier counts', () => {
    const late = makeTripleBarrierLabels(
      withWarmup([
        [100.5, 99.5, 100],
        [100.5, 99.5, 100],
        [100.5, 99.5, 100],
        [100.5, 99.5, 100],
        [110, 100, 110],
      ]),
      H,
      4,
      barrier,
      '5m',
    );
    expect(late.classes[at]).toBe(LABEL_HOLD); // the jump comes at candle 5 > horizon 4
    expect(late.classes[at + 1]).toBe(LABEL_BUY);
  });

  it('costs enter the labels: a take-profit that does not pay the round trip is no win', () => {
    const path: Array<[number, number, number]> = [
      [101, 99.5, 101],
      [102.5, 100.5, 102],
      [102, 101, 101],
      [101, 100, 100],
    ];
    expect(makeTripleBarrierLabels(withWarmup(path), H, 4, barrier, '5m').classes[at]).toBe(LABEL_BUY);
    const expensive = makeTripleBarrierLabels(withWarmup(path), H, 4, { ...barrier, costs: 0.03 }, '5m');
    expect(expensive.classes[at]).toBe(LABEL_HOLD);
  });

  it('asymmetric barriers: a wider take-profit is reached less often', () => {
    const path: Array<[number, number, number]> = [
      [101, 99.5, 101],
      [102.5, 100.5, 102],
      [102, 101, 101],
      [101, 100, 100],
    ];
    const wide = makeTripleBarrierLabels(
      withWarmup(path),
      H,
      4,
      { ...barrier, takeProfitMultiplier: 2 },
      '5m',
    );
    expect(wide.threshold[at]).toBeCloseTo(4 * sigma, 12);
    expect(wide.classes[at]).toBe(LABEL_HOLD);
  });

  it('no label before the volatility window, in the last horizon rows, or across a gap', () => {
    const c = withWarmup([
      [101, 99.5, 101],
      [102.5, 100.5, 102],
      [102, 101, 101],
      [101, 100, 100],
    ]);
    const l = makeTripleBarrierLabels(c, H, 4, barrier, '5m');
    expect(Array.from(l.classes.slice(0, 4))).toEqual([LABEL_NONE, LABEL_NONE, LABEL_NONE, LABEL_NONE]);
    expect(l.classes[c.length - 1]).toBe(LABEL_NONE);
    const gapped = c.map((x, i) => (i > 6 ? { ...x, timestamp: x.timestamp + STEP } : x));
    expect(makeTripleBarrierLabels(gapped, H, 4, barrier, '5m').classes[at]).toBe(LABEL_NONE);
  });

  it('on real candles: the label at i equals walking the shared barrier prices over candles i+1 … i+h', () => {
    const candles = fixtureCandles('5m', 'BTCUSDT').slice(0, 3000);
    const cfg = configSchema.parse({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
    const p = labelParamsFor(cfg, '5m');
    const l = labelsFor(candles, p, '5m');
    const closes = candles.map((c) => c.close);
    const counts = [0, 0, 0];
    for (let i = p.volWindow; i + p.horizon < candles.length; i += 7) {
      const d = barrierDistances(realisedSigma(closes, i, p.volWindow), {
        ...p.barrier!,
        horizon: p.horizon,
      });
      const long = barrierPrices(closes[i], 'long', d);
      const short = barrierPrices(closes[i], 'short', d);
      // Independently: the first candle where each side's trade ends, and whether it won.
      const end = (stop: (c: Candle) => boolean, win: (c: Candle) => boolean): number => {
        for (let j = i + 1; j <= i + p.horizon; j++) {
          if (stop(candles[j])) return Infinity;
          if (win(candles[j])) return j;
        }
        return Infinity;
      };
      const longWin = end(
        (c) => c.low <= long.stopLoss,
        (c) => c.high >= long.takeProfit,
      );
      const shortWin = end(
        (c) => c.high >= short.stopLoss,
        (c) => c.low <= short.takeProfit,
      );
      const expected = longWin < shortWin ? LABEL_BUY : shortWin < longWin ? LABEL_SELL : LABEL_HOLD;
      if (l.classes[i] >= 0) counts[l.classes[i]]++;
      if (l.classes[i] !== LABEL_NONE) expect(l.classes[i], `candle ${i}`).toBe(expected);
    }
    // Every class occurs on real data (not a degenerate rule).
    expect(counts.every((n) => n > 0)).toBe(true);
  });
});
