import { describe, expect, it } from 'vitest';
import {
  buyAndHoldCurve,
  classCalibration,
  probabilitySummary,
  dailyEquity,
  drawdowns,
  monthlyReturns,
  performanceMetrics,
  sharpeRatio,
  sortinoRatio,
  tradeStats,
} from '../../src/backtest/index.ts';
import type { EquityPoint, TradeRecord } from '../../src/backtest/index.ts';
import type { Forecast } from '../../src/core/types.ts';

const D = 86_400_000;
const t0 = Date.UTC(2021, 0, 1);

function curve(values: number[], step = D): EquityPoint[] {
  return values.map((equity, i) => ({ t: t0 + i * step, equity, exposure: i % 2 === 0 ? 1 : 0 }));
}

function trade(pnl: number, entry = 100, stop = 90, qty = 1, rr = 2): TradeRecord {
  return {
    symbol: 'BTC/USDT',
    timeframe: '5m',
    direction: 'long',
    entryTime: t0,
    exitTime: t0 + D,
    entryPrice: entry,
    exitPrice: entry + pnl / qty,
    quantity: qty,
    pnl,
    fees: 0.1,
    funding: 0,
    predictedRiskReward: rr,
    stopLoss: stop,
    exitReason: 'tp',
  };
}

describe('equity metrics', () => {
  it('samples end-of-day equity and computes hand-checked Sharpe / Sortino', () => {
    const c = curve([100, 110, 99, 108.9]);
    expect(dailyEquity(c)).toEqual([100, 100, 110, 99, 108.9]);
    const r = [0.1, -0.1, 0.1];
    const m = 0.1 / 3;
    const sd = Math.sqrt(((0.1 - m) ** 2 * 2 + (-0.1 - m) ** 2) / 2);
    expect(sharpeRatio(r, 0)).toBeCloseTo((m / sd) * Math.sqrt(365), 10);
    expect(sortinoRatio(r, 0)).toBeCloseTo((m / Math.sqrt(0.01 / 3)) * Math.sqrt(365), 10);
    // A risk-free rate lowers Sharpe.
    expect(sharpeRatio(r, 0.05)!).toBeLessThan(sharpeRatio(r, 0)!);
    expect(sharpeRatio([0.01], 0)).toBeNull();
    expect(sharpeRatio([0.01, 0.01], 0)).toBeNull();
  });

  it('max drawdown and its duration', () => {
    const dd = drawdowns(curve([100, 120, 90, 100, 130, 117]));
    expect(dd.maxDrawdown).toBeCloseTo(0.25, 12);
    expect(dd.maxDrawdownDays).toBeCloseTo(2, 12); // from the peak at day 1 to day 3 (recovered day 4)
    expect(dd.series[5]).toBeCloseTo(0.1, 12);
  });

  it('total, annualised, Calmar, exposure, trades', () => {
    const c = curve(Array.from({ length: 366 }, (_, i) => 100 * (1 + (0.2 * i) / 365)));
    const m = performanceMetrics({
      curve: c,
      trades: [trade(10), trade(-5)],
      fees: 1,
      funding: 0.5,
      riskFreeRate: 0,
    });
    expect(m.totalReturn).toBeCloseTo(0.2, 10);
    expect(m.days).toBe(365);
    expect(m.annualisedReturn).toBeCloseTo(0.2, 10);
    expect(m.maxDrawdown).toBe(0);
    expect(m.calmar).toBeNull();
    expect(m.trades).toBe(2);
    expect(m.winRate).toBe(0.5);
    expect(m.profitFactor).toBe(2);
    expect(m.exposure).toBeCloseTo(183 / 366, 12);
    expect(m.fees).toBe(1);
    expect(m.funding).toBe(0.5);
  });

  it('trade stats: realised R vs predicted R/R, no losing trade → profit factor null', () => {
    const s = tradeStats([trade(20, 100, 90, 1, 3), trade(5, 100, 95, 1, 1)]);
    expect(s.avgRealisedR).toBeCloseTo((2 + 1) / 2, 12);
    expect(s.avgPredictedRiskReward).toBe(2);
    expect(s.profitFactor).toBeNull();
    expect(tradeStats([]).winRate).toBeNull();
  });

  it('monthly returns chain to the total return', () => {
    const c = curve(Array.from({ length: 90 }, (_, i) => 100 + i));
    const mr = monthlyReturns(c);
    expect(mr.map((x) => x.month)).toEqual(['2021-01', '2021-02', '2021-03']);
    const total = mr.reduce((a, x) => a * (1 + x.ret), 1) - 1;
    expect(total).toBeCloseTo(189 / 100 - 1, 10);
  });
});

describe('buyAndHoldCurve', () => {
  it('splits the balance equally, pays one fee and slippage, holds', () => {
    const prices = {
      A: [
        { t: 10, close: 100 },
        { t: 20, close: 200 },
      ],
      B: [
        { t: 10, close: 50 },
        { t: 20, close: 25 },
      ],
    };
    const c = buyAndHoldCurve(prices, [10, 15, 20], 1000, 0.001, 0);
    expect(c[0].equity).toBeCloseTo(1000 * 0.999, 9);
    expect(c[1].equity).toBeCloseTo(1000 * 0.999, 9);
    expect(c[2].equity).toBeCloseTo(500 * 0.999 * 2 + 500 * 0.999 * 0.5, 9);
  });
});

describe('classCalibration', () => {
  it('sets each class mean probability beside its observed frequency and its highest probability', () => {
    const probs: Array<[number, number, number]> = [
      [0.5, 0.2, 0.3],
      [0.1, 0.6, 0.3],
      [0.2, 0.2, 0.6],
      [0.3, 0.1, 0.6],
    ];
    const c = classCalibration(probs, [0, 2, 2, 1]); // BUY, HOLD, HOLD, SELL
    expect(c.BUY.meanProbability).toBeCloseTo(0.275, 12);
    expect(c.BUY.frequency).toBe(0.25);
    expect(c.BUY.maxProbability).toBe(0.5);
    expect(c.SELL.maxProbability).toBe(0.6);
    expect(c.HOLD.frequency).toBe(0.5);
    expect(c.HOLD.meanProbability).toBeCloseTo(0.45, 12);
    // One-vs-rest per class: P(BUY) 0.5 (bin 0.5–0.6) was a BUY; 0.1–0.3 were not.
    expect(c.BUY.reliability).toEqual([
      { lo: 0.1, hi: 0.2, count: 1, meanConfidence: 0.1, accuracy: 0 },
      { lo: 0.2, hi: 0.3, count: 1, meanConfidence: 0.2, accuracy: 0 },
      { lo: 0.3, hi: 0.4, count: 1, meanConfidence: 0.3, accuracy: 0 },
      { lo: 0.5, hi: 0.6, count: 1, meanConfidence: 0.5, accuracy: 1 },
    ]);
    // P(SELL) 0.6 (the second row) was a HOLD: a miss in the SELL bin 0.6–0.7.
    expect(c.SELL.reliability.find((b) => b.lo === 0.6)).toEqual({
      lo: 0.6,
      hi: 0.7,
      count: 1,
      meanConfidence: 0.6,
      accuracy: 0,
    });
  });

  it('is NaN, not zero, with no forecasts', () => {
    const c = classCalibration([], []);
    expect(c.BUY.meanProbability).toBeNaN();
    expect(c.BUY.frequency).toBeNaN();
    expect(c.BUY.maxProbability).toBeNaN();
  });
});

describe('probabilitySummary', () => {
  const f = (pBuy: number, pSell: number) => ({ pBuy, pSell, pHold: 1 - pBuy - pSell }) as Forecast;
  it('gives the mean and the highest P(buy) and P(sell)', () => {
    const s = probabilitySummary([f(0.2, 0.1), f(0.6, 0.3), f(0.1, 0.5)]);
    expect(s.count).toBe(3);
    expect(s.meanBuy).toBeCloseTo(0.3, 12);
    expect(s.maxBuy).toBe(0.6);
    expect(s.meanSell).toBeCloseTo(0.3, 12);
    expect(s.maxSell).toBe(0.5);
  });
  it('is NaN, not zero, with no forecasts', () => {
    expect(probabilitySummary([])).toEqual({
      count: 0,
      meanBuy: NaN,
      maxBuy: NaN,
      meanSell: NaN,
      maxSell: NaN,
    });
  });
});
