import { describe, expect, it } from 'vitest';
import type { Direction, Forecast } from '../../src/core/types.ts';
import {
  LiveMonitor,
  binomialTailP,
  callFigures,
  degradationReasons,
  modelCall,
  predictedRiskReward,
} from '../../src/retrain/index.ts';
import type { MonitorThresholds } from '../../src/retrain/index.ts';
import { rng } from '../support/rng.ts';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

const thresholds: MonitorThresholds = {
  minHitRate: 0.4,
  window: 200,
  exceedancePValue: 0.001,
  maxDrawdownSincePromotion: 0.1,
  minSamples: 50,
  minRiskRewardRatio: 0,
  edgePValue: 0.01,
  edgeWindow: 100,
  edgeMinTrades: 30,
};

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function forecast(q10: number, q90: number, pBuy = 0.2, pSell = 0.2, version = 'v1'): Forecast {
  return {
    timeframe: '1h',
    pBuy,
    pSell,
    pHold: 1 - pBuy - pSell,
    q10,
    q50: (q10 + q90) / 2,
    q90,
    modelVersion: version,
  };
}

/** Brute force P(X >= k), for checking the log-space sum. */
function bruteTail(k: number, n: number, p: number): number {
  let s = 0;
  let c = 1; // C(n, 0)
  for (let i = 0; i <= n; i++) {
    if (i >= k) s += c * p ** i * (1 - p) ** (n - i);
    c = (c * (n - i)) / (i + 1);
  }
  return s;
}

/**
 * Simulates one symbol with horizon 1: forecast at each close, the next closed candle resolves it.
 * `band` scales the quantile band relative to the true volatility (1 = calibrated); `accuracy` is
 * how often the call matches the sign of the coming return.
 */
function simulate(m: LiveMonitor, n: number, band: number, accuracy: number, seed = 7, start = T0): void {
  const r = rng(seed);
  const sigma = 0.01;
  const z90 = 1.2815515655446004;
  let price = 100;
  let t = start;
  let next = gaussian(r) * sigma;
  m.observe({ symbol: 'BTC/USDT', timeframe: '1h', timestamp: t, close: price });
  for (let i = 0; i < n; i++) {
    const up = next > 0;
    const right = r() < accuracy;
    const call: Direction = up === right ? 'long' : 'short';
    m.record({
      symbol: 'BTC/USDT',
      timestamp: t,
      price,
      forecast: forecast(-z90 * sigma * band, z90 * sigma * band),
      call,
    });
    price *= Math.exp(next);
    t += H;
    m.observe({ symbol: 'BTC/USDT', timeframe: '1h', timestamp: t, close: price });
    next = gaussian(r) * sigma;
  }
}

const monitor = (t: Partial<MonitorThresholds> = {}, horizon = 1) =>
  new LiveMonitor({ timeframe: '1h', horizon, thresholds: { ...thresholds, ...t }, version: 'v1' });

describe('monitor statistics', () => {
  it('binomial tail matches the exact sum and stays finite for large n', () => {
    expect(binomialTailP(0, 10, 0.1)).toBe(1);
    expect(binomialTailP(11, 10, 0.1)).toBe(0);
    expect(binomialTailP(1, 1, 0.1)).toBeCloseTo(0.1, 12);
    expect(binomialTailP(3, 10, 0.1)).toBeCloseTo(0.0701908264, 9);
    for (const [k, n] of [
      [5, 30],
      [20, 100],
      [40, 200],
      [0, 50],
      [200, 200],
    ])
      expect(binomialTailP(k, n, 0.1)).toBeCloseTo(bruteTail(k, n, 0.1), 10);
    const half = binomialTailP(10_000, 100_000, 0.1);
    expect(half).toBeGreaterThan(0.49);
    expect(half).toBeLessThan(0.52);
    const far = binomialTailP(13_000, 100_000, 0.1);
    expect(far).toBeGreaterThan(0);
    expect(far).toBeLessThan(1e-100);
  });

  it('predicted R/R follows the gate (q90 over -q10 for a long, mirrored for a short)', () => {
    expect(predictedRiskReward('long', -0.01, 0.03)).toBeCloseTo(3, 12);
    expect(predictedRiskReward('short', -0.03, 0.01)).toBeCloseTo(3, 12);
    expect(predictedRiskReward('long', 0.001, 0.03)).toBeNull();
  });

  it('call figures: hit rate, realised vs predicted R/R', () => {
    const f = callFigures([
      { q10: -0.01, q90: 0.02, realised: 0.02, call: 'long' },
      { q10: -0.01, q90: 0.02, realised: -0.01, call: 'long' },
      { q10: -0.02, q90: 0.01, realised: -0.03, call: 'short' },
      { q10: -0.02, q90: 0.01, realised: 0, call: 'short' }, // flat: no hit, no loss
      { q10: -0.02, q90: 0.01, realised: 0.5, call: null }, // no call: ignored
    ]);
    expect(f).toMatchObject({ calls: 4, hits: 2, hitRate: 0.5 });
    expect(f.predictedRiskReward).toBeCloseTo(2, 12);
    expect(f.realisedRiskReward).toBeCloseTo(0.025 / 0.01, 12);
    expect(f.riskRewardRatio).toBeCloseTo(1.25, 12);
  });

  it("the model's own call is BUY or SELL only when it is the most likely class", () => {
    expect(modelCall(forecast(-1, 1, 0.5, 0.2))).toBe('long');
    expect(modelCall(forecast(-1, 1, 0.2, 0.5))).toBe('short');
    expect(modelCall(forecast(-1, 1, 0.3, 0.3))).toBeNull();
    expect(modelCall(forecast(-1, 1, 0.35, 0.1))).toBeNull(); // pHold 0.55
  });
});

describe('live monitor', () => {
  it('resolves a forecast only with the closed candle exactly one horizon later', () => {
    const m = monitor({}, 3);
    const at = (i: number, close: number) =>
      m.observe({ symbol: 'ETH/USDT', timeframe: '1h', timestamp: T0 + i * H, close });
    at(0, 100);
    m.record({ symbol: 'ETH/USDT', timestamp: T0, price: 100, forecast: forecast(-0.01, 0.01, 0.6, 0.1) });
    expect(at(1, 150)).toBe(0);
    expect(at(2, 150)).toBe(0);
    expect(m.observe({ symbol: 'BTC/USDT', timeframe: '1h', timestamp: T0 + 3 * H, close: 1 })).toBe(0);
    expect(m.observe({ symbol: 'ETH/USDT', timeframe: '5m', timestamp: T0 + 3 * H, close: 1 })).toBe(0);
    expect(m.figures().pending).toBe(1);
    expect(at(3, 103)).toBe(1);
    const f = m.figures();
    expect(f).toMatchObject({ calls: 1, hits: 1, pending: 0, expired: 0 });
    expect(f.exceedance).toMatchObject({ n: 1, q10Misses: 0, q90Misses: 1 }); // ln 1.03 > 0.01
  });

  it('a forecast whose horizon candle is missing (a gap) expires instead of resolving with a later price', () => {
    const m = monitor({}, 2);
    m.record({ symbol: 'X', timestamp: T0, price: 100, forecast: forecast(-0.01, 0.01) });
    expect(m.observe({ symbol: 'X', timeframe: '1h', timestamp: T0 + 3 * H, close: 90 })).toBe(0);
    expect(m.figures()).toMatchObject({ pending: 0, expired: 1 });
    expect(m.figures().exceedance.n).toBe(0);
  });

  it('overlapping horizons: only outcomes a horizon apart are counted, so a calibrated coin-flip caller is not rolled back', () => {
    const h = 12;
    const sigma = 0.002;
    const band = 1.2815515655446004 * sigma * Math.sqrt(h);
    let alarms = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const m = monitor({ minSamples: 50 }, h);
      const r = rng(seed);
      let price = 100;
      for (let i = 0; i < 3000; i++) {
        const t = T0 + i * H;
        m.observe({ symbol: 'S', timeframe: '1h', timestamp: t, close: price });
        // A coin-flip caller (true hit rate 0.5, above minHitRate 0.4).
        m.record({
          symbol: 'S',
          timestamp: t,
          price,
          forecast: forecast(-band, band),
          call: r() < 0.5 ? 'long' : 'short',
        });
        price *= Math.exp(gaussian(r) * sigma);
      }
      expect(m.figures().exceedance.n).toBe(200);
      expect(m.figures().calls).toBe(200);
      if (m.check() !== undefined) alarms++;
    }
    // Two one-sided tests at p < 0.001 plus the hit rate, over 40 runs: about 0.1 alarms expected
    // (these seeds give 1, a q90 run of 36 in 200). Counting overlapping outcomes and calls gave 6.
    expect(alarms).toBeLessThanOrEqual(1);
  });

  it('a calibrated model with a 60 % hit rate passes', () => {
    const m = monitor();
    simulate(m, 400, 1, 0.6);
    const f = m.figures();
    expect(f.exceedance.n).toBe(200);
    expect(f.calls).toBe(200);
    expect(f.hitRate).toBeGreaterThan(0.5);
    expect(f.exceedance.q10PValue).toBeGreaterThan(0.001);
    expect(f.exceedance.q90PValue).toBeGreaterThan(0.001);
    expect(m.check()).toBeUndefined();
  });

  it('a too-narrow quantile band fails the exceedance test, naming the key and figures', () => {
    const m = monitor();
    simulate(m, 400, 0.4, 0.6);
    const d = m.check();
    expect(d?.version).toBe('v1');
    const q90 = d?.reasons.find((r) => r.startsWith('q90'));
    expect(q90).toMatch(
      /q90 exceeded by \d+ of 200 non-overlapping outcomes \(\d+\.\d %, nominal 10 %\): binomial p = .* < retrain\.rollback\.exceedancePValue 0\.001/,
    );
    expect(d?.reasons.some((r) => r.startsWith('q10'))).toBe(true);
    expect(d?.reasons.some((r) => r.includes('minHitRate'))).toBe(false);
  });

  it('a low hit rate fails minHitRate; realised vs predicted R/R only when configured', () => {
    const m = monitor();
    simulate(m, 400, 1, 0.25);
    expect(m.check()?.reasons).toEqual([
      expect.stringMatching(/^hit rate 0\.\d+ over the last 200 calls < retrain\.rollback\.minHitRate 0\.4$/),
    ]);
    // A symmetric band promises R/R 1; a coin's payoff ratio is near 1, far from the 2 asked for.
    const strict = monitor({ minRiskRewardRatio: 2, minHitRate: 0 });
    simulate(strict, 400, 1, 0.25);
    const f = strict.figures();
    expect(f.predictedRiskReward).toBeCloseTo(1, 9);
    expect(f.riskRewardRatio).toBeGreaterThan(0.5);
    expect(f.riskRewardRatio).toBeLessThan(1.5);
    expect(strict.check()?.reasons).toEqual([
      `realised R/R ${f.realisedRiskReward?.toFixed(3)} vs predicted 1.000 (ratio ${f.riskRewardRatio?.toFixed(3)}) over 200 calls < retrain.rollback.minRiskRewardRatio 2`,
    ]);
  });

  it('nothing fires below the minimum sample, however bad', () => {
    const m = monitor({ minSamples: 50 });
    simulate(m, 49, 0.01, 0);
    expect(m.figures().calls).toBe(49);
    expect(m.figures().hitRate).toBe(0);
    expect(m.check()).toBeUndefined();
    simulate(m, 1, 0.01, 0, 99, T0 + 100 * H);
    expect(m.check()?.reasons.length).toBeGreaterThanOrEqual(2);
  });

  it('drawdown since promotion counts from the peak after the version went live', () => {
    const m = monitor();
    m.observeEquity(1000);
    m.observeEquity(1100);
    m.observeEquity(1000);
    expect(m.check()).toBeUndefined(); // 9.1 %
    m.observeEquity(980);
    expect(m.check()?.reasons).toEqual([
      'drawdown since promotion 10.9 % (equity 980.00 from peak 1100.00) > retrain.rollback.maxDrawdownSincePromotion 10.0 %',
    ]);
    m.reset('v2');
    expect(m.figures()).toMatchObject({ version: 'v2', peakEquity: 980, drawdownSincePromotion: 0 });
    expect(m.check()).toBeUndefined();
  });

  it('a forecast from another version restarts the figures for that version', () => {
    const m = monitor();
    simulate(m, 60, 0.01, 0);
    expect(m.check()).toBeDefined();
    m.record({ symbol: 'BTC/USDT', timestamp: T0, price: 1, forecast: forecast(-0.1, 0.1, 0.2, 0.2, 'v2') });
    expect(m.version).toBe('v2');
    expect(m.figures()).toMatchObject({ calls: 0, pending: 1 });
    expect(m.check()).toBeUndefined();
  });

  it('after a reset (rollback) late forecasts of the left version are ignored', () => {
    const m = monitor();
    m.reset('v0');
    m.record({ symbol: 'ETH/USDT', timestamp: T0, price: 1, forecast: forecast(-0.1, 0.1, 0.2, 0.2, 'v1') });
    expect(m.version).toBe('v0');
    expect(m.figures().pending).toBe(0);
    m.record({ symbol: 'ETH/USDT', timestamp: T0, price: 1, forecast: forecast(-0.1, 0.1, 0.2, 0.2, 'v0') });
    expect(m.figures().pending).toBe(1);
    // Once v0 serves, v1 coming back (promoted again) is followed.
    m.record({
      symbol: 'ETH/USDT',
      timestamp: T0 + H,
      price: 1,
      forecast: forecast(-0.1, 0.1, 0.2, 0.2, 'v1'),
    });
    expect(m.version).toBe('v1');
  });

  it('degradationReasons is pure over the figures', () => {
    const m = monitor();
    simulate(m, 200, 1, 0.25);
    const f = m.figures();
    expect(degradationReasons(f, { ...thresholds, minHitRate: 0 })).toEqual([]);
    expect(degradationReasons(f, thresholds)).toHaveLength(1);
  });
});
