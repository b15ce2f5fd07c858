import { describe, expect, it } from 'vitest';
import {
  LABEL_BUY,
  LABEL_HOLD,
  LABEL_NONE,
  LABEL_SELL,
  classLabelOf,
  classWeights,
  labelParamsFor,
  makeLabels,
  sampleWeights,
} from '../../src/features/index.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import { configSchema } from '../../src/config/index.ts';
import type { Candle } from '../../src/core/types.ts';
import { fixtureCandles } from './support.ts';

const STEP = 300_000;
function series(closes: number[], start = Date.UTC(2021, 0, 1)): Candle[] {
  return closes.map((close, i) => ({
    timestamp: start + i * STEP,
    open: close,
    high: close,
    low: close,
    close,
    volume: 1,
  }));
}

describe('makeLabels', () => {
  // Alternating ±1 % moves give σ = ln(1.01) per candle exactly; then a clear move up, down or flat.
  const up = 1.01;
  const base = [100, 101, 100, 101, 100];

  it('classifies by k × σ × √h with σ from the volWindow returns up to t only', () => {
    const closes = [...base, 101, 103, 105, 102, 101, 101.5, 101.4];
    const l = makeLabels(series(closes), 2, 1, 4, '5m');
    const sigma = Math.sqrt(
      [1, 2, 3, 4].reduce((a, j) => a + Math.log(closes[j] / closes[j - 1]) ** 2, 0) / 4,
    );
    expect(l.threshold[4]).toBeCloseTo(sigma * Math.SQRT2, 12);
    expect(sigma).toBeCloseTo(Math.log(up), 3);
    // t=4: 100 → 103 over 2 candles = +2.96 % > 1.41 % threshold.
    expect(l.forwardReturn[4]).toBeCloseTo(Math.log(103 / 100), 12);
    expect(l.classes[4]).toBe(LABEL_BUY);
    // t=7: 105 → 101 = −3.9 %; σ over candles 4..7 ≈ 1.54 %, threshold ≈ 2.18 %: SELL.
    expect(l.threshold[7]).toBeCloseTo(0.02182, 4);
    expect(l.classes[7]).toBe(LABEL_SELL);
    // t=8: 102 → 101.5, small: HOLD.
    expect(l.classes[8]).toBe(LABEL_HOLD);
  });

  it('has no label before the volatility window, in the last `horizon` rows, or across a gap', () => {
    const candles = fixtureCandles('5m', 'BTCUSDT').slice(0, 120);
    const h = 6;
    const l = makeLabels(candles, h, 1.5, 24, '5m');
    for (let i = 0; i < 24; i++) expect(l.classes[i]).toBe(LABEL_NONE);
    for (let i = 120 - h; i < 120; i++) {
      expect(l.classes[i]).toBe(LABEL_NONE);
      expect(Number.isNaN(l.forwardReturn[i])).toBe(true);
    }
    expect(l.classes[24]).not.toBe(LABEL_NONE);
    expect(l.classes[120 - h - 1]).not.toBe(LABEL_NONE);
    // Remove candles 60..62: horizons spanning the gap (t in 54..59) and vol windows spanning it have none.
    const gapped = [...candles.slice(0, 60), ...candles.slice(63)];
    const g = makeLabels(gapped, h, 1.5, 24, '5m');
    for (let t = 54; t < 60; t++) expect(g.classes[t]).toBe(LABEL_NONE);
    expect(g.classes[53]).not.toBe(LABEL_NONE);
    for (let t = 60; t < 60 + 24; t++) expect(g.classes[t]).toBe(LABEL_NONE);
    expect(g.classes[60 + 24]).not.toBe(LABEL_NONE);
  });

  it('has no label where realised volatility is 0 (flat maintenance candles)', () => {
    const l = makeLabels(series([...Array(10).fill(100), 101, 102]), 1, 1.5, 4, '5m');
    expect(l.classes[8]).toBe(LABEL_NONE);
    expect(l.classes[10]).not.toBe(LABEL_NONE);
  });

  it('are roughly balanced BUY/SELL on real candles and mostly finite', () => {
    const l = makeLabels(fixtureCandles('5m', 'ETHUSDT'), 12, 1.5, 24, '5m');
    const counts = [0, 0, 0, 0];
    for (const c of l.classes) counts[c + 1]++;
    const [none, buy, sell, hold] = counts;
    expect(none).toBe(24 + 12);
    expect(buy).toBeGreaterThan(0);
    expect(sell).toBeGreaterThan(0);
    expect(hold).toBeGreaterThan(buy);
  });

  it('the label at i reads only candles i − volWindow … i + horizon (the backtest labels whole series once)', () => {
    const c = fixtureCandles('5m', 'BTCUSDT').slice(0, 3000);
    const whole = makeLabels(c, 12, 1.5, 24, '5m').classes;
    let labelled = 0;
    for (let i = 0; i < c.length; i += 7) {
      const lo = Math.max(0, i - 24);
      const own = makeLabels(c.slice(lo, i + 13), 12, 1.5, 24, '5m').classes[i - lo];
      expect(own).toBe(whole[i]);
      if (own >= 0) labelled++;
    }
    expect(labelled).toBeGreaterThan(350);
  });

  it('rejects bad arguments and unordered candles with a clear error', () => {
    const c = series([100, 101, 102, 103]);
    expect(() => makeLabels(c, 0, 1, 2, '5m')).toThrow(/horizon is 0/);
    expect(() => makeLabels(c, 1, -1, 2, '5m')).toThrow(/k is -1/);
    expect(() => makeLabels([c[1], c[0]], 1, 1, 2, '5m')).toThrow(QuantgateError);
    expect(() => makeLabels([{ ...c[0], close: 0 }], 1, 1, 2, '5m')).toThrow(/close is 0/);
  });
});

describe('class weights', () => {
  it('are inverse frequency with mean sample weight 1, ignoring missing labels', () => {
    const codes = Int8Array.from([0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2, -1, -1]);
    const w = classWeights(codes);
    // 12 labelled: 6 BUY, 2 SELL, 4 HOLD → 12/(3·6), 12/(3·2), 12/(3·4)
    expect(w[0]).toBeCloseTo(12 / 18, 12);
    expect(w[1]).toBeCloseTo(2, 12);
    expect(w[2]).toBeCloseTo(1, 12);
    const sw = sampleWeights(codes, w);
    expect(sw[12]).toBe(0);
    const labelled = Array.from(sw.subarray(0, 12));
    expect(labelled.reduce((a, b) => a + b, 0) / 12).toBeCloseTo(1, 6);
    // Each class contributes the same total weight.
    expect(6 * w[0]).toBeCloseTo(2 * w[1], 12);
    expect(2 * w[1]).toBeCloseTo(4 * w[2], 12);
  });

  it('give an absent class weight 0', () => {
    expect(classWeights([2, 2, 0])).toEqual([1.5, 0, 0.75]);
  });

  it('map codes to class names', () => {
    expect([LABEL_BUY, LABEL_SELL, LABEL_HOLD, LABEL_NONE].map(classLabelOf)).toEqual([
      'BUY',
      'SELL',
      'HOLD',
      null,
    ]);
  });
});

describe('labelParamsFor', () => {
  it('uses the per-timeframe horizon, k and the label volatility window (fallback: features.volatilityWindow)', () => {
    const cfg = configSchema.parse({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
    const p = labelParamsFor(cfg, '5m');
    expect({ ...p, barrier: undefined }).toEqual({
      method: 'triple-barrier',
      horizon: 12,
      k: 1.5,
      volWindow: 24,
      barrier: undefined,
    });
    // strategy.exits multipliers; costs = 2 × takerFee 0.001 + 2 × slippage 2 bps
    expect(p.barrier?.takeProfitMultiplier).toBe(1);
    expect(p.barrier?.stopLossMultiplier).toBe(1);
    expect(p.barrier?.costs).toBeCloseTo(0.0024, 15);
    const held = configSchema.parse({
      exchange: { name: 'binance', symbols: ['BTC/USDT'] },
      strategy: { exits: { maxHoldCandles: 36, takeProfitMultiplier: 2 } },
    });
    // The vertical barrier of the execution timeframe is the strategy's maximum hold.
    expect(labelParamsFor(held, '5m').horizon).toBe(36);
    expect(labelParamsFor(held, '5m').barrier?.takeProfitMultiplier).toBe(2);
    expect(labelParamsFor(held, '1h').horizon).toBe(6);
    expect(labelParamsFor(cfg, '1d').horizon).toBe(1);
    const own = configSchema.parse({
      exchange: { name: 'binance', symbols: ['BTC/USDT'] },
      labels: { volatilityWindow: 96, k: 2, method: 'threshold' },
    });
    expect(labelParamsFor(own, '1h')).toEqual({ method: 'threshold', horizon: 6, k: 2, volWindow: 96 });
  });
});
