import { describe, expect, it } from 'vitest';
import { tradeReview, tradesCsv } from '../../src/backtest/index.ts';
import { parseTrades, readCloses, recomputeTrades } from '../../scripts/recompute-trades.ts';
import { FIXTURE_DIR, ruleBacktest } from './support/rule-backtest.ts';

const FEE = 0.001;
const RATE = 0.0003;

/**
 * The `--trades` CSV of a perp backtest (longs, shorts, funding) against `scripts/recompute-trades.ts`,
 * which recomputes fees, funding and PnL from the fills and the candle store with code that shares
 * nothing with the runtime: the bookkeeping of shorts and of funding is checked, not just its total.
 */
describe('trade list recomputed from the fills (perps: longs, shorts, funding)', () => {
  it('every trade’s fees, funding and PnL equal an independent recomputation, and they add up to the equity', async () => {
    const { result } = await ruleBacktest('many', { days: 6, perp: { fundingRatePer8h: RATE } });
    const csv = tradesCsv(tradeReview(result).trades);
    const trades = parseTrades(csv);
    const r = recomputeTrades(trades, {
      takerFee: FEE,
      fundingRate: RATE,
      closesOf: (s) => readCloses(FIXTURE_DIR, 'binance', s),
    });
    expect(r.longs).toBeGreaterThan(5);
    expect(r.shorts).toBeGreaterThan(5);
    // Funding was charged on both sides (it can fail: a runtime that skipped shorts' funding).
    expect(Math.abs(r.fundingLongs)).toBeGreaterThan(0);
    expect(Math.abs(r.fundingShorts)).toBeGreaterThan(0);
    expect(r.worst.diff).toBeLessThan(1e-6);
    // Whole-run totals: every trade closed before the end here (the rule's max hold is 3 h).
    const m = result.metrics;
    expect(m.endEquity - m.startEquity).toBeCloseTo(r.pnl, 6);
    expect(m.funding).toBeCloseTo(r.fundingLongs + r.fundingShorts, 9);
    expect(m.fees).toBeCloseTo(r.fees, 6);
  });

  it('the recomputation catches a wrong sign on a short', () => {
    const row = {
      n: 1,
      symbol: 'BTC/USDT',
      side: 'short' as const,
      entryTime: Date.UTC(2021, 5, 10, 1),
      exitTime: Date.UTC(2021, 5, 10, 2),
      entryPrice: 100,
      exitPrice: 90,
      quantity: 1,
      fees: 0.19,
      funding: 0,
      pnl: -10 - 0.19,
    };
    const r = recomputeTrades([row], {
      takerFee: FEE,
      fundingRate: 0,
      closesOf: () => ({ times: [], prices: [] }),
    });
    expect(r.worst).toEqual({ n: 1, field: 'pnl', diff: expect.closeTo(20, 9) });
  });
});
