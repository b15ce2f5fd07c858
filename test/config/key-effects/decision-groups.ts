import type { Config } from '../../../src/config/index.ts';
import { horizonFor } from '../../../src/config/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import type { Forecast, ModelTimeframe } from '../../../src/core/index.ts';
import { roundTripCosts } from '../../../src/features/index.ts';
import { evaluateGate, fuse } from '../../../src/strategy/index.ts';
import { MINIMAL, each } from './probe.ts';
import type { ProbeGroup } from './probe.ts';
import { RiskManager } from '../../../src/runtime/index.ts';

const f = (p: Partial<Forecast>): Forecast => ({
  timeframe: '5m',
  pBuy: 0.6,
  pSell: 0.2,
  pHold: 0.2,
  q10: -0.01,
  q50: 0.002,
  q90: 0.012,
  modelVersion: 'fixture',
  ...p,
});

/**
 * Forecasts spanning the gate's rules: probabilities from 0.3 to 0.9, quantile reward/risk from
 * 0.5 to 4 (inside and outside the confidenceAdjust bands), at σ = 0.4 % per candle.
 */
const GATE_CASES: Forecast[] = [0.3, 0.45, 0.55, 0.65, 0.8, 0.9].flatMap((p) =>
  [0.5, 0.8, 1, 1.2, 1.6, 2.5, 4].map((rr) =>
    f({ pBuy: p, pSell: (1 - p) / 2, pHold: (1 - p) / 2, q10: -0.01, q90: 0.01 * rr }),
  ),
);

/** The gate (evaluateGate) on each case, with the barriers the strategy builds from the config. */
export const gateGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const exec = c.strategy.executionTimeframe;
    const barrier = {
      takeProfitMultiplier: c.strategy.exits.takeProfitMultiplier,
      stopLossMultiplier: c.strategy.exits.stopLossMultiplier,
      horizon: horizonFor(c, exec),
      costs: roundTripCosts(c.exchange.takerFee, c.paper.slippageBps),
    };
    return GATE_CASES.map((fc) => {
      const g = evaluateGate(
        { forecast: fc, price: 100, direction: 'long', sigma: 0.004 },
        c.strategy,
        barrier,
      );
      return [g.pass, g.reason, g.confidence];
    });
  }),
};

const lean = (tf: ModelTimeframe, pBuy: number, pSell: number, band = 0.02): Forecast =>
  f({ timeframe: tf, pBuy, pSell, pHold: 1 - pBuy - pSell, q10: -band / 2, q50: 0, q90: band / 2 });

/** Higher-timeframe forecasts for and against a long, in calm, wide and very wide 12h regimes. */
const FUSION_CASES: Array<Partial<Record<ModelTimeframe, Forecast>>> = [
  {
    '5m': lean('5m', 0.6, 0.2),
    '1h': lean('1h', 0.5, 0.3),
    '12h': lean('12h', 0.4, 0.4, 0.02),
    '1d': lean('1d', 0.5, 0.3),
  },
  {
    '5m': lean('5m', 0.6, 0.2),
    '1h': lean('1h', 0.2, 0.6),
    '12h': lean('12h', 0.4, 0.4, 0.02),
    '1d': lean('1d', 0.5, 0.3),
  },
  {
    '5m': lean('5m', 0.6, 0.2),
    '1h': lean('1h', 0.5, 0.3),
    '12h': lean('12h', 0.4, 0.4, 0.05),
    '1d': lean('1d', 0.3, 0.5),
  },
  {
    '5m': lean('5m', 0.6, 0.2),
    '1h': lean('1h', 0.5, 0.3),
    '12h': lean('12h', 0.4, 0.4, 0.07),
    '1d': lean('1d', 0.5, 0.3),
  },
  {
    '5m': lean('5m', 0.3, 0.5),
    '1h': lean('1h', 0.55, 0.25),
    '12h': lean('12h', 0.4, 0.4, 0.02),
    '1d': lean('1d', 0.6, 0.2),
  },
];

/** Multi-timeframe fusion (fuse) of each case for a long, the median 12h band being 0.02. */
export const fusionGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) =>
    FUSION_CASES.map((forecasts) => {
      const r = fuse({ direction: 'long', forecasts, medianRegimeBand: 0.02 }, c.strategy);
      return [r.veto, r.sizeFactor, r.regime, Number(r.score.toFixed(6))];
    }),
  ),
};

/**
 * The risk manager through a day: entries of growing size with positions and notional already
 * open, a burst of orders, a drawdown, then a loss that may halt trading.
 */
export const riskGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const t0 = Date.UTC(2024, 0, 1);
    const rm = new RiskManager(c.risk, silentLogger(), 10_000, t0);
    const out: unknown[] = [];
    const entry = (
      now: number,
      equity: number,
      quantity: number,
      open: number,
      sym: number,
      total: number,
    ) => {
      const v = rm.checkEntry({
        now,
        symbol: 'BTC/USDT',
        price: 100,
        quantity,
        equity,
        openPositions: open,
        symbolNotional: sym,
        totalNotional: total,
      });
      out.push(v.ok ? ['ok', Number(v.quantity.toFixed(6))] : ['no', v.reason]);
      if (v.ok) rm.recordOrder(now);
    };
    for (const [q, open, sym, total] of [
      [5, 0, 0, 0],
      [15, 1, 500, 1500],
      [25, 2, 1000, 3500],
      [30, 3, 0, 4000],
      [40, 5, 0, 0],
    ])
      entry(t0 + 1000, 10_000, q, open, sym, total);
    for (let i = 0; i < 25; i++) entry(t0 + 120_000 + i, 10_000, 1, 0, 0, 0);
    for (const eq of [9_500, 9_000, 8_700, 8_400, 8_000]) {
      out.push(rm.update(t0 + 3_600_000, eq));
      entry(t0 + 3_600_000, eq, 10, 0, 0, 0);
    }
    return out;
  }),
};
