import { describe, expect, it } from 'vitest';
import { LiveMonitor, degradationReasons } from '../../src/retrain/monitor.ts';
import type { MonitorThresholds } from '../../src/retrain/monitor.ts';
import { normalCdf } from '../../src/backtest/index.ts';
import { edgeFigures } from '../../src/retrain/monitor-stats.ts';

const thresholds: MonitorThresholds = {
  minHitRate: 0,
  window: 200,
  exceedancePValue: 0,
  maxDrawdownSincePromotion: 1,
  minSamples: 50,
  minRiskRewardRatio: 0,
  edgePValue: 0.01,
  edgeWindow: 100,
  edgeMinTrades: 30,
};

function monitorWith(trades: number, wins: number, pWin = 0.6, t: Partial<MonitorThresholds> = {}) {
  const m = new LiveMonitor({
    timeframe: '5m',
    horizon: 12,
    thresholds: { ...thresholds, ...t },
    version: 'v1',
  });
  for (let i = 0; i < trades; i++) {
    const won = i < wins;
    m.recordTrade({ pWin, expectedEdgeBps: 20, won, realisedBps: won ? 90 : -110 });
  }
  return m;
}

describe('live edge ledger in the monitor', () => {
  it("the normal CDF it uses (the sweep statistics' one) against tabulated values", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-2.326348)).toBeCloseTo(0.01, 6);
  });

  it('promised vs realised take-profits, with a one-sided p-value', () => {
    const f = edgeFigures(
      Array.from({ length: 40 }, (_, i) => ({ pWin: 0.6, expectedEdgeBps: 20, won: i < 10, realisedBps: 0 })),
    );
    expect(f.expectedWins).toBeCloseTo(24, 9);
    expect(f.wins).toBe(10);
    // z = (10 + 0.5 − 24) / √(40 · 0.24)
    expect(f.pValue).toBeCloseTo(normalCdf(-13.5 / Math.sqrt(9.6)), 12);
    expect(edgeFigures([]).pValue).toBe(1);
  });

  it('rolls back when far fewer trades won than the gate promised', () => {
    const d = monitorWith(40, 10).check();
    expect(d?.reasons.join(' ')).toMatch(
      /realised edge below the promised one: 10 take-profits in 40 trades/,
    );
    expect(d?.reasons.join(' ')).toContain('retrain.rollback.edgePValue');
  });

  it('holds while the promise is kept, before edgeMinTrades, or with the rule off', () => {
    expect(monitorWith(40, 24).check()).toBeUndefined();
    expect(monitorWith(20, 2).check()).toBeUndefined();
    expect(monitorWith(40, 10, 0.6, { edgePValue: 0 }).check()).toBeUndefined();
  });

  it('counts the last edgeWindow trades only, and starts over for a new version', () => {
    const m = monitorWith(40, 10, 0.6, { edgeWindow: 50 });
    for (let i = 0; i < 50; i++)
      m.recordTrade({ pWin: 0.6, expectedEdgeBps: 20, won: i % 5 < 3, realisedBps: 0 });
    expect(m.figures().edge.trades).toBe(50);
    expect(degradationReasons(m.figures(), { ...thresholds, edgeWindow: 50 })).toEqual([]);
    m.reset('v2');
    expect(m.figures().edge.trades).toBe(0);
  });
});
