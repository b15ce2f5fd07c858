import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { evaluateGate, fuse } from '../../src/strategy/index.ts';
import { forecast } from './support.ts';

const cfg = parseConfig({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } }).strategy;

describe('quantile risk/reward gate', () => {
  // [name, forecast, direction, expected pass, reason, rr, confidence]
  const cases: Array<
    [string, Parameters<typeof forecast>[0], 'long' | 'short', boolean, string | null, number, number]
  > = [
    [
      'long, R/R 3 boosts confidence ×1.15',
      { pBuy: 0.6, q10: -0.01, q90: 0.03 },
      'long',
      true,
      null,
      3,
      0.69,
    ],
    [
      'long, R/R 1.0 penalised ×0.85',
      { pBuy: 0.7, q10: -0.02, q90: 0.02 },
      'long',
      false,
      'low_confidence',
      1,
      0.595,
    ],
    [
      'long, R/R 1.5 no adjustment, passes',
      { pBuy: 0.7, q10: -0.02, q90: 0.03 },
      'long',
      true,
      null,
      1.5,
      0.7,
    ],
    ['long, R/R 0.5 poor', { pBuy: 0.9, q10: -0.04, q90: 0.02 }, 'long', false, 'poor_rr', 0.5, 0.9],
    [
      'R/R exactly 2 gets no boost',
      { pBuy: 0.6, q10: -0.01, q90: 0.02 },
      'long',
      false,
      'low_confidence',
      2,
      0.6,
    ],
    ['R/R exactly 1.3 gets no penalty', { pBuy: 0.66, q10: -0.1, q90: 0.13 }, 'long', true, null, 1.3, 0.66],
    [
      'short mirrors: upside −q10, downside q90',
      { pSell: 0.8, q10: -0.03, q90: 0.01 },
      'short',
      true,
      null,
      3,
      0.92,
    ],
    [
      'degenerate: q10 above zero for a long',
      { pBuy: 0.9, q10: 0.001, q90: 0.03 },
      'long',
      false,
      'degenerate_quantiles',
      0,
      0.9,
    ],
    ['confidence capped at 1', { pBuy: 0.95, q10: -0.01, q90: 0.05 }, 'long', true, null, 5, 1],
  ];
  for (const [name, f, dir, pass, reason, rr, conf] of cases) {
    it(name, () => {
      const g = evaluateGate({ forecast: forecast(f), price: 100, direction: dir }, cfg);
      expect(g.pass).toBe(pass);
      expect(g.reason).toBe(reason);
      expect(g.riskReward).toBeCloseTo(rr, 9);
      expect(g.confidence).toBeCloseTo(conf, 9);
    });
  }

  it('take-profit and stop-loss come from the quantiles (log returns → prices)', () => {
    const g = evaluateGate(
      { forecast: forecast({ q10: -0.01, q90: 0.03 }), price: 100, direction: 'long' },
      cfg,
    );
    expect(g.takeProfit).toBeCloseTo(100 * Math.exp(0.03), 9);
    expect(g.stopLoss).toBeCloseTo(100 * Math.exp(-0.01), 9);
    const s = evaluateGate(
      { forecast: forecast({ pSell: 0.8, q10: -0.03, q90: 0.01 }), price: 100, direction: 'short' },
      cfg,
    );
    expect(s.takeProfit).toBeCloseTo(100 * Math.exp(-0.03), 9);
    expect(s.stopLoss).toBeCloseTo(100 * Math.exp(0.01), 9);
  });

  it('thresholds come from config', () => {
    const strict = { ...cfg, thresholds: { confidence: 0.95, minRiskReward: 1.2 } };
    expect(
      evaluateGate(
        { forecast: forecast({ pBuy: 0.7, q10: -0.01, q90: 0.03 }), price: 1, direction: 'long' },
        strict,
      ).reason,
    ).toBe('low_confidence');
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
