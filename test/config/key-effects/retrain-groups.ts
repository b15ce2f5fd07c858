import schedule from 'node-schedule';
import type { Config } from '../../../src/config/index.ts';
import { ManualClock, silentLogger } from '../../../src/core/index.ts';
import type { Forecast } from '../../../src/core/index.ts';
import {
  DriftDetector,
  LiveMonitor,
  ShadowTrial,
  addVersion,
  emptyRegistry,
  judge,
  modelStoreContext,
  promote,
  purgeList,
  routesToCandidate,
  startScheduler,
} from '../../../src/retrain/index.ts';
import type { GateFigures } from '../../../src/retrain/index.ts';
import { rng } from '../../support/rng.ts';
import { MINIMAL, each } from './probe.ts';
import type { ProbeGroup } from './probe.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** Standard normal draws from a seeded PRNG (Box–Muller). */
function normals(seed: number, n: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

/** Which rules fired, without the figures and thresholds their messages quote. */
const rules = (reasons: readonly string[]): string[] =>
  reasons.map((r) => r.replace(/(?<![A-Za-z\d])-?\d[\d.e+-]*/g, '#'));

const forecast = (version: string, pBuy: number, band: number): Forecast => ({
  timeframe: '1h',
  pBuy,
  pSell: (1 - pBuy) / 2,
  pHold: (1 - pBuy) / 2,
  q10: -band,
  q50: 0,
  q90: band,
  modelVersion: version,
});

/** The promotion rule (judge) on a candidate close to every threshold, against an active model. */
export const promotionGateGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const candidate: GateFigures = {
      sharpe: 1,
      maxDrawdown: 0.1,
      winRate: 0.45,
      profitFactor: 1.1,
      signals: 8,
      bandCoverage: 0.83,
      ece: 0.08,
    };
    const active: GateFigures = { ...candidate, sharpe: 1.1 };
    return rules(judge(candidate, active, c.retrain.gate, 'x').reasons);
  }),
};

/**
 * The live monitor of a 1h model (retrain.rollback as its thresholds): 300 hourly forecasts with a
 * ±1 % band on returns of σ 1 %, long calls right a little under half the time, 120 closed trades that won
 * 55 % where 60 % was promised, and an 8 % drawdown since promotion.
 */
export const monitorGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const m = new LiveMonitor({ timeframe: '1h', horizon: 1, thresholds: c.retrain.rollback, version: 'v1' });
    const z = normals(7, 300);
    let price = 100;
    for (let i = 0; i < 300; i++) {
      m.record({
        symbol: 'BTC/USDT',
        timestamp: T0 + i * H,
        price,
        forecast: forecast('v1', 0.6, 0.01),
        call: 'long',
      });
      price *= Math.exp(0.01 * z[i] + 0.0005);
      m.observe({ symbol: 'BTC/USDT', timeframe: '1h', timestamp: T0 + (i + 1) * H, close: price });
    }
    for (let i = 0; i < 120; i++) {
      const won = i % 20 < 11;
      m.recordTrade({ pWin: 0.6, expectedEdgeBps: 20, won, realisedBps: won ? 50 : -60 });
    }
    m.observeEquity(10_000);
    m.observeEquity(9_200);
    return { rules: rules(m.check()?.reasons ?? []), figures: m.figures() };
  }),
};

/**
 * Feature drift: training deciles of three features uniform on [0, 1]; 300 live rows where the
 * first feature moved far, the other two not at all (median PSI small, max large); the last retrain
 * 10 h ago.
 */
export const driftGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const deciles = Array.from({ length: 9 }, (_, i) => (i + 1) / 10);
    const clock = new ManualClock(T0 + 10 * H);
    const d = new DriftDetector({
      timeframe: '1h',
      edges: {
        version: 1,
        names: ['a', 'b', 'c'],
        edges: [deciles, deciles, deciles],
        fractions: [0, 1, 2].map(() => Array(10).fill(0.1) as number[]),
        rows: 1000,
      },
      psiThreshold: c.retrain.drift.psiThreshold,
      minHoursBetweenRetrains: c.retrain.drift.minHoursBetweenRetrains,
      windowRows: c.retrain.drift.windowRows,
      statistic: c.retrain.drift.statistic,
      lastRetrainAt: T0,
      clock,
      logger: silentLogger(),
    });
    const r = rng(3);
    for (let i = 0; i < 300; i++) d.observe([0.4 + 0.6 * r(), r(), r()]);
    const out = d.evaluate();
    return { action: out.action, rows: out.report.rows, drifted: out.report.drifted };
  }),
};

/**
 * A shadow trial (retrain.shadow and retrain.rollback as the service passes them): 40 hourly
 * forecasts of both models on one symbol, the candidate right less often; judged 30 h after its
 * start. trafficSplit: which of 20 symbols would trade on the candidate.
 */
export const shadowGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const clock = new ManualClock(T0);
    const trial = new ShadowTrial({
      timeframe: '1h',
      horizon: 1,
      activeVersion: 'active',
      candidateVersion: 'cand',
      shadow: c.retrain.shadow,
      rollback: c.retrain.rollback,
      roundTripCost: 0.002,
      startedAt: T0,
      clock,
      logger: silentLogger(),
    });
    const z = normals(11, 40);
    let price = 100;
    for (let i = 0; i < 40; i++) {
      const t = T0 + i * H;
      const up = z[i] > 0;
      trial.recordActive({
        symbol: 'BTC/USDT',
        timestamp: t,
        price,
        forecast: forecast('active', 0.6, 0.03),
        call: i % 5 === 0 ? (up ? 'short' : 'long') : up ? 'long' : 'short',
      });
      trial.recordCandidate({
        symbol: 'BTC/USDT',
        timestamp: t,
        price,
        forecast: forecast('cand', 0.6, 0.03),
        call: i % 4 === 0 ? (up ? 'short' : 'long') : up ? 'long' : 'short',
      });
      price *= Math.exp(0.01 * z[i]);
      trial.observe({ symbol: 'BTC/USDT', timeframe: '1h', timestamp: t + H, close: price });
    }
    clock.set(T0 + 30 * H);
    const v = trial.verdict();
    const symbols = Array.from({ length: 20 }, (_, i) => `S${i}/USDT`);
    return {
      status: v.status,
      reasons: rules(v.reasons),
      routed: symbols.filter((s) => routesToCandidate(s, 'cand', c.retrain.shadow.trafficSplit)),
    };
  }),
};

/** The retrain schedule (node-schedule jobs from retrain.*) for all four timeframes: cron and next firing. */
export const schedulerGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const before = new Set(Object.keys(schedule.scheduledJobs));
    const s = startScheduler({
      config: c.retrain,
      timeframes: ['5m', '1h', '12h', '1d'],
      runCycle: async () => undefined,
      logger: silentLogger(),
    });
    const next = Object.entries(schedule.scheduledJobs)
      .filter(([name]) => !before.has(name))
      .map(([, j]) => j.nextInvocation()?.toISOString() ?? null)
      .sort();
    s.stop();
    return { jobs: Object.fromEntries(s.jobs), next };
  }),
};

/** Registry housekeeping with the model-store context the cycle builds: four promotions, then the purge. */
export const purgeGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const ctx = modelStoreContext(c, new ManualClock(T0), silentLogger());
    const reg = emptyRegistry();
    const at = new Date(T0).toISOString();
    for (const v of ['v1', 'v2', 'v3', 'v4', 'v5']) {
      addVersion(
        reg,
        {
          version: v,
          timeframe: '1h',
          parent: null,
          trainingWindow: null,
          dataHash: null,
          seed: 1,
          metrics: {},
        },
        at,
      );
      promote(reg, '1h', v, at, 'test');
    }
    return purgeList(reg, '1h', ctx.keepVersions, at);
  }),
};
