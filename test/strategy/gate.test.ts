import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import type { BarrierSpec } from '../../src/features/index.ts';
import { evaluateGate, expectedEdge, fuse, kellyFraction } from '../../src/strategy/index.ts';
import { forecast } from './support.ts';

const cfg = parseConfig({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } }).strategy;
/** σ·√H = 0.01: take-profit and stop 1 % away at the default multipliers; 0.24 % round trip. */
const barrier: BarrierSpec = { takeProfitMultiplier: 1, stopLossMultiplier: 1, horizon: 4, costs: 0.0024 };
const sigma = 0.005;
/** The same R/R adjustments as the seeds (default off), for the tests of the knobs themselves. */
const seeds = {
  ...cfg,
  thresholds: { confidence: 0.65, minRiskReward: 1.2, minEdgeBps: -10_000 },
  confidenceAdjust: {
    highRiskReward: 2,
    highBoost: 1.15,
    neutralLow: 0.7,
    neutralHigh: 1.3,
    neutralPenalty: 0.85,
  },
};

describe('expected-value gate', () => {
  it('expected edge = P·TP − (1 − P)·SL − costs, in basis points', () => {
    expect(expectedEdge(0.6, 0.01, 0.01, 0.0024)).toBeCloseTo(0.6 * 0.01 - 0.4 * 0.01 - 0.0024, 12);
    const g = evaluateGate(
      { forecast: forecast({ pBuy: 0.6, q10: -0.01, q90: 0.02 }), price: 100, direction: 'long', sigma },
      cfg,
      barrier,
    );
    expect(g.edgeBps).toBeCloseTo((0.6 * 0.01 - 0.4 * 0.01 - 0.0024) * 1e4, 9);
    // −4 bps after costs: not worth it although P(win) 0.6 > 0.5.
    expect(g.pass).toBe(false);
    expect(g.reason).toBe('no_edge');
  });

  it('costs enter the gate: the same forecast passes without costs and fails with them', () => {
    const f = forecast({ pBuy: 0.7, q10: -0.01, q90: 0.02 });
    const free = evaluateGate({ forecast: f, price: 100, direction: 'long', sigma }, cfg, {
      ...barrier,
      costs: 0,
    });
    const costly = evaluateGate({ forecast: f, price: 100, direction: 'long', sigma }, cfg, {
      ...barrier,
      costs: 0.004,
    });
    expect(free.edgeBps).toBeCloseTo(40, 9);
    expect(free.pass).toBe(true);
    expect(costly.edgeBps).toBeCloseTo(0, 9);
    expect(costly.reason).toBe('no_edge');
  });

  it('minEdgeBps and confidence are thresholds in config', () => {
    const f = forecast({ pBuy: 0.8, q10: -0.01, q90: 0.02 });
    const input = { forecast: f, price: 100, direction: 'long' as const, sigma };
    expect(evaluateGate(input, cfg, barrier).pass).toBe(true); // edge 36 bps
    expect(
      evaluateGate(input, { ...cfg, thresholds: { ...cfg.thresholds, minEdgeBps: 40 } }, barrier).reason,
    ).toBe('no_edge');
    expect(
      evaluateGate(input, { ...cfg, thresholds: { ...cfg.thresholds, confidence: 0.9 } }, barrier).reason,
    ).toBe('low_confidence');
    expect(
      evaluateGate(input, { ...cfg, thresholds: { ...cfg.thresholds, minRiskReward: 3 } }, barrier).reason,
    ).toBe('poor_rr');
  });

  it('take-profit and stop come from the barrier function (volatility), mirrored for shorts', () => {
    const g = evaluateGate(
      { forecast: forecast({ q10: -0.01, q90: 0.03 }), price: 100, direction: 'long', sigma },
      cfg,
      { ...barrier, takeProfitMultiplier: 2 },
    );
    expect(g.takeProfit).toBeCloseTo(100 * Math.exp(0.02), 9);
    expect(g.stopLoss).toBeCloseTo(100 * Math.exp(-0.01), 9);
    const s = evaluateGate(
      { forecast: forecast({ pSell: 0.8, q10: -0.03, q90: 0.01 }), price: 100, direction: 'short', sigma },
      cfg,
      { ...barrier, takeProfitMultiplier: 2 },
    );
    expect(s.takeProfit).toBeCloseTo(100 * Math.exp(-0.02), 9);
    expect(s.stopLoss).toBeCloseTo(100 * Math.exp(0.01), 9);
    expect(s.probability).toBe(0.8);
  });

  it('Kelly fraction from P(win) and the barriers net of costs', () => {
    // b = 0.02 − 0.002, a = 0.01 + 0.002
    expect(kellyFraction(0.5, 0.02, 0.01, 0.002)).toBeCloseTo(0.5 / 0.012 - 0.5 / 0.018, 9);
    expect(kellyFraction(0.3, 0.01, 0.01, 0.002)).toBeLessThan(0);
    expect(kellyFraction(0.9, 0.001, 0.01, 0.002)).toBe(0); // take-profit does not pay the costs
  });

  // The seeds' confidence adjustments stay as knobs: [name, forecast, expected pass, reason, rr, confidence]
  const cases: Array<[string, Parameters<typeof forecast>[0], boolean, string | null, number, number]> = [
    ['R/R 3 boosts confidence ×1.15', { pBuy: 0.6, q10: -0.01, q90: 0.03 }, true, null, 3, 0.69],
    ['R/R 1.0 penalised ×0.85', { pBuy: 0.7, q10: -0.02, q90: 0.02 }, false, 'low_confidence', 1, 0.595],
    ['R/R 1.5 no adjustment', { pBuy: 0.7, q10: -0.02, q90: 0.03 }, true, null, 1.5, 0.7],
    ['R/R 0.5 poor', { pBuy: 0.9, q10: -0.04, q90: 0.02 }, false, 'poor_rr', 0.5, 0.9],
    ['R/R exactly 2 gets no boost', { pBuy: 0.6, q10: -0.01, q90: 0.02 }, false, 'low_confidence', 2, 0.6],
    [
      'degenerate: q10 above zero for a long',
      { pBuy: 0.9, q10: 0.001, q90: 0.03 },
      false,
      'degenerate_quantiles',
      0,
      0.9,
    ],
    ['confidence capped at 1', { pBuy: 0.95, q10: -0.01, q90: 0.05 }, true, null, 5, 1],
  ];
  for (const [name, f, pass, reason, rr, conf] of cases) {
    it(name, () => {
      const g = evaluateGate({ forecast: forecast(f), price: 100, direction: 'long', sigma }, seeds, barrier);
      expect(g.pass).toBe(pass);
      expect(g.reason).toBe(reason);
      expect(g.riskReward).toBeCloseTo(rr, 9);
      expect(g.confidence).toBeCloseTo(conf, 9);
    });
  }

  it('the adjustments are off by default', () => {
    const g = evaluateGate(
      { forecast: forecast({ pBuy: 0.6, q10: -0.01, q90: 0.03 }), price: 100, direction: 'long', sigma },
      cfg,
      barrier,
    );
    expect(g.confidence).toBe(0.6);
  });
});

describe('multi-timeframe fusion', () => {
  const against = forecast({ pBuy: 0.1, pSell: 0.7 });
  const withTrade = forecast({ pBuy: 0.7, pSell: 0.1 });

  it('a contradicting 24h shrinks by default and vetoes when configured', () => {
    const shrink = fuse(
      { direction: 'long', forecasts: { '5m': withTrade, '1d': against }, medianRegimeBand: NaN },
      cfg,
    );
    expect(shrink.veto).toBeNull();
    expect(shrink.sizeFactor).toBeCloseTo(0.5);
    const veto = fuse(
      { direction: 'long', forecasts: { '5m': withTrade, '1d': against }, medianRegimeBand: NaN },
      { ...cfg, fusion: { ...cfg.fusion, contradiction: 'veto' } },
    );
    expect(veto.veto).toBe('vetoed_24h');
  });

  it('a contradicting 1h vetoes with its own reason', () => {
    const r = fuse(
      { direction: 'long', forecasts: { '5m': withTrade, '1h': against }, medianRegimeBand: NaN },
      { ...cfg, fusion: { ...cfg.fusion, contradiction: 'veto' } },
    );
    expect(r.veto).toBe('vetoed_1h');
  });

  it('missing timeframes are neutral and said so', () => {
    const r = fuse({ direction: 'long', forecasts: { '5m': withTrade }, medianRegimeBand: NaN }, cfg);
    expect(r.veto).toBeNull();
    expect(r.sizeFactor).toBe(1);
    expect(r.notes.join(' ')).toContain('1d: no forecast yet');
  });

  it('a volatile 12h regime shrinks, or vetoes when its size factor is 0', () => {
    const wide = forecast({ q10: -0.2, q90: 0.2 });
    const r = fuse(
      { direction: 'long', forecasts: { '5m': withTrade, '12h': wide }, medianRegimeBand: 0.05 },
      cfg,
    );
    expect(r.regime).toBe('volatile');
    expect(r.sizeFactor).toBeCloseTo(0.5);
    const v = fuse(
      { direction: 'long', forecasts: { '5m': withTrade, '12h': wide }, medianRegimeBand: 0.05 },
      { ...cfg, fusion: { ...cfg.fusion, volatileSizeFactor: 0 } },
    );
    expect(v.veto).toBe('vetoed_12h_regime');
  });
});
