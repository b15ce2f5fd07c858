import { describe, expect, it } from 'vitest';
import { runLookaheadAnalysis } from '../../src/backtest/index.ts';
import type { LookaheadRequest, ReplayTarget } from '../../src/backtest/index.ts';
import type { Candle } from '../../src/core/index.ts';
import { randomWalk, returnFeatures, toyDeps, ToyTarget } from './support/toy.ts';

const M5 = 300_000;
const D = 86_400_000;
const t0 = Date.UTC(2021, 0, 1);

const req: LookaheadRequest = {
  exchange: 'binance',
  symbols: ['BTC/USDT'],
  timeframes: ['5m'],
  executionTimeframe: '5m',
  from: t0 + D,
  to: t0 + 3 * D,
  walkForward: false,
  walkForwardDays: 1,
  warmupCandles: 50,
  horizons: { '5m': 3, '1h': 6, '12h': 2, '1d': 1 },
  startingBalance: 1000,
  fee: 0.001,
  slippage: 0,
  riskFreeRate: 0,
  cuts: 4,
  warmup: () => 10,
  recursiveTolerance: 1e-6,
};

describe('lookahead-analysis (features, recursive, signals)', () => {
  const store = { 'BTC/USDT': { '5m': randomWalk(t0, M5, 288 * 3, 5) } };

  it('a causal pipeline and strategy pass', async () => {
    const r = await runLookaheadAnalysis(req, toyDeps(store));
    expect(r.series[0].lookahead.findings).toEqual([]);
    expect(r.series[0].recursive.findings).toEqual([]);
    expect(r.signalCuts).toBe(4);
    expect(r.signalsCompared).toBeGreaterThan(10);
    expect(r.signalDiffs).toEqual([]);
    expect(r.clean).toBe(true);
  });

  it('catches a feature computed with the next candle', async () => {
    const leaky = (c: readonly Candle[]) => {
      const m = returnFeatures(c);
      const rows = new Float32Array(m.rows.length).fill(NaN);
      for (let i = 0; i + 1 < c.length; i++) rows[i] = m.rows[i + 1];
      return { ...m, rows };
    };
    const r = await runLookaheadAnalysis(req, { ...toyDeps(store), computeFeatures: leaky });
    expect(r.clean).toBe(false);
    expect(r.series[0].lookahead.leakyNames).toEqual(['ret1']);
  });

  it('catches a strategy that decides on data it reads from the store beyond the current candle', async () => {
    const deps = toyDeps(store);
    const r = await runLookaheadAnalysis(req, {
      ...deps,
      createTarget: async ({ clock, models, source }) => {
        // Classic bug: a signal table computed once over all loaded candles, looked up by time.
        const all = source.load('BTC/USDT', '5m')!;
        const inner = new ToyTarget(clock, models, 1000, 0.001);
        const target: ReplayTarget = {
          account: inner.account,
          gateCounters: () => inner.gateCounters(),
          warm: (c) => inner.warm(c),
          step: async (c) => {
            const out = await inner.step(c);
            const i = all.findIndex((x) => x.timestamp === c.timestamp);
            const later = all[i + 10];
            return later && later.close > c.close
              ? { ...out, signal: { ...(out.signal ?? leakSignal(c)), reason: 'peek' } }
              : out;
          },
        };
        return target;
      },
    });
    expect(r.series[0].lookahead.findings).toEqual([]);
    expect(r.signalDiffs.length).toBeGreaterThan(0);
    expect(r.clean).toBe(false);
  });
});

function leakSignal(c: Candle) {
  return {
    exchange: 'binance' as const,
    symbol: 'BTC/USDT',
    timestamp: c.timestamp,
    action: 'open' as const,
    direction: 'long' as const,
    confidence: 1,
    riskReward: 3,
    size: 1,
    price: c.close,
    takeProfit: c.close,
    stopLoss: c.close,
    modelVersions: {},
    reason: 'peek',
  };
}
