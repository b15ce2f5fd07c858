import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import type { Direction, Forecast } from '../../src/core/types.ts';
import { initBackend } from '../../src/models/index.ts';
import { rng } from '../support/rng.ts';
import {
  ShadowTrial,
  activeVersion,
  addVersion,
  beginShadow,
  findVersion,
  finishShadow,
  promoteVersion,
  readActivePointer,
  readRegistry,
  routesToCandidate,
  syncFromDisk,
  updateRegistry,
} from '../../src/retrain/index.ts';
import type { AlertInput, AlertSink, ShadowThresholds, ShadowVerdict } from '../../src/retrain/index.ts';
import { saveTinyVersion, storeContext } from './fixtures.ts';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

const shadow: ShadowThresholds = { hours: 100, minTrades: 20, hitRateTolerance: 0.02, pnlTolerance: 0 };
const rollback = {
  minHitRate: 0.4,
  window: 200,
  exceedancePValue: 0.001,
  maxDrawdownSincePromotion: 0.1,
  minSamples: 30,
  minRiskRewardRatio: 0,
  edgePValue: 0.01,
  edgeWindow: 100,
  edgeMinTrades: 30,
};

const gaussian = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

function fc(version: string, band = 1): Forecast {
  const q = 0.0128 * band;
  return {
    timeframe: '1h',
    pBuy: 0.4,
    pSell: 0.4,
    pHold: 0.2,
    q10: -q,
    q50: 0,
    q90: q,
    modelVersion: version,
  };
}

interface Sim {
  readonly hours: number;
  readonly activeAccuracy: number;
  readonly candidateAccuracy: number;
  readonly candidateBand?: number;
  readonly activeBand?: number;
  /** Share of hours the candidate makes a call. */
  readonly candidateCalls?: number;
}

/** Two symbols, one candle an hour, horizon 1; calls right with the given accuracy. */
function run(trial: ShadowTrial, clock: ManualClock, s: Sim, seed = 3): void {
  const r = rng(seed);
  const prices: Record<string, number> = { 'BTC/USDT': 100, 'ETH/USDT': 50 };
  for (let i = 0; i < s.hours; i++) {
    const t = T0 + i * H;
    for (const sym of Object.keys(prices)) {
      const ret = gaussian(r) * 0.01;
      const call = (acc: number): Direction => (r() < acc === ret > 0 ? 'long' : 'short');
      const price = prices[sym];
      trial.recordActive({
        symbol: sym,
        timestamp: t,
        price,
        forecast: fc('A', s.activeBand ?? 1),
        call: call(s.activeAccuracy),
      });
      const calls = r() < (s.candidateCalls ?? 1);
      trial.recordCandidate({
        symbol: sym,
        timestamp: t,
        price,
        forecast: fc('B', s.candidateBand ?? 1),
        call: calls ? call(s.candidateAccuracy) : null,
      });
      prices[sym] = price * Math.exp(ret);
      trial.observe({ symbol: sym, timeframe: '1h', timestamp: t + H, close: prices[sym] });
    }
    clock.set(t + H);
  }
}

function trial(clock: ManualClock, extra: Partial<ShadowThresholds> = {}): ShadowTrial {
  return new ShadowTrial({
    timeframe: '1h',
    horizon: 1,
    activeVersion: 'A',
    candidateVersion: 'B',
    shadow: { ...shadow, ...extra },
    rollback,
    roundTripCost: 0.002,
    clock,
  });
}

function recordingSink(): AlertSink & { raised: AlertInput[] } {
  const raised: AlertInput[] = [];
  return { raised, raise: (a) => void raised.push(a), flush: async () => undefined };
}

describe('traffic split', () => {
  it('routes a stable, deterministic fraction of symbols to the candidate', () => {
    const symbols = Array.from({ length: 2000 }, (_, i) => `S${i}/USDT`);
    const routed = symbols.filter((s) => routesToCandidate(s, 'v2', 0.3));
    expect(routed.length).toBeGreaterThan(540);
    expect(routed.length).toBeLessThan(660);
    expect(symbols.filter((s) => routesToCandidate(s, 'v2', 0.3))).toEqual(routed);
    const other = symbols.filter((s) => routesToCandidate(s, 'v3', 0.3));
    expect(other).not.toEqual(routed);
    expect(symbols.some((s) => routesToCandidate(s, 'v2', 0))).toBe(false);
    expect(symbols.every((s) => routesToCandidate(s, 'v2', 1))).toBe(true);
    // A larger fraction keeps every symbol a smaller one routed.
    const more = new Set(symbols.filter((s) => routesToCandidate(s, 'v2', 0.5)));
    expect(routed.every((s) => more.has(s))).toBe(true);
  });
});

describe('shadow trial', () => {
  it('records would-be trades with costs: in at the forecast close, out one horizon later', () => {
    const clock = new ManualClock(T0);
    const t = trial(clock);
    t.recordCandidate({ symbol: 'X', timestamp: T0, price: 100, forecast: fc('B'), call: 'short' });
    t.recordCandidate({ symbol: 'X', timestamp: T0, price: 100, forecast: fc('C'), call: 'long' }); // other version
    t.recordCandidate({ symbol: 'X', timestamp: T0 - H, price: 100, forecast: fc('B'), call: 'long' }); // before the start
    t.observe({ symbol: 'X', timeframe: '1h', timestamp: T0 + H, close: 98 });
    const trades = t.trades().candidate;
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({ symbol: 'X', issuedAt: T0, direction: 'short', entry: 100, exit: 98 });
    expect(trades[0].netLogReturn).toBeCloseTo(-Math.log(0.98) + Math.log(0.998), 12);
    expect(t.verdict().candidate).toMatchObject({ trades: 1, hits: 1, hitRate: 1 });
  });

  it('one would-be position per symbol at a time: calls while it is open are no new trades', () => {
    const clock = new ManualClock(T0);
    const t = new ShadowTrial({
      timeframe: '1h',
      horizon: 3,
      activeVersion: 'A',
      candidateVersion: 'B',
      shadow,
      rollback,
      roundTripCost: 0,
      clock,
    });
    for (let i = 0; i < 10; i++)
      t.recordCandidate({
        symbol: 'X',
        timestamp: T0 + i * H,
        price: 100 + i,
        forecast: fc('B'),
        call: 'long',
      });
    for (let i = 1; i < 13; i++)
      t.observe({ symbol: 'X', timeframe: '1h', timestamp: T0 + i * H, close: 100 + i });
    expect(t.trades().candidate.map((x) => [(x.issuedAt - T0) / H, x.entry, x.exit])).toEqual([
      [0, 100, 103],
      [3, 103, 106],
      [6, 106, 109],
      [9, 109, 112],
    ]);
  });

  it('runs for retrain.shadow.hours, then passes a candidate that keeps up', () => {
    const clock = new ManualClock(T0);
    const t = trial(clock);
    run(t, clock, { hours: 99, activeAccuracy: 0.55, candidateAccuracy: 0.7 });
    const early = t.verdict();
    expect(early.status).toBe('running');
    expect(early.reasons[0]).toContain('retrain.shadow.hours 100');
    clock.advance(H);
    const v = t.verdict();
    expect(v.status).toBe('passed');
    expect(v.reasons).toEqual([]);
    expect(v.candidate.trades).toBe(198);
    expect(v.candidate.hitRate).toBeGreaterThan(v.active.hitRate ?? 1);
    expect(v.candidate.pnl).toBeGreaterThan(v.active.pnl);
  });

  it('fails a candidate that trails the active model, naming each rule', () => {
    const clock = new ManualClock(T0);
    const t = trial(clock);
    run(t, clock, { hours: 100, activeAccuracy: 0.65, candidateAccuracy: 0.45 });
    const v = t.verdict();
    expect(v.status).toBe('failed');
    expect(v.reasons).toEqual([
      expect.stringMatching(
        /^hit rate 0\.\d{3} trails the active model's 0\.\d{3} by more than retrain\.shadow\.hitRateTolerance 0\.02$/,
      ),
      expect.stringMatching(/^would-be return -?\d+\.\d{3} .* by more than retrain\.shadow\.pnlTolerance 0$/),
    ]);
  });

  it('fails with too few trades, and when the candidate would be rolled back at once', () => {
    const clock = new ManualClock(T0);
    const quiet = trial(clock);
    run(quiet, clock, { hours: 100, activeAccuracy: 0.5, candidateAccuracy: 0.9, candidateCalls: 0.05 });
    expect(quiet.verdict().reasons).toEqual([
      expect.stringMatching(/^\d+ would-be trades < retrain\.shadow\.minTrades 20 \(too little evidence\)$/),
    ]);

    const clock2 = new ManualClock(T0);
    const narrow = trial(clock2, { pnlTolerance: 10, hitRateTolerance: 1 });
    run(narrow, clock2, { hours: 100, activeAccuracy: 0.5, candidateAccuracy: 0.6, candidateBand: 0.3 });
    const v = narrow.verdict();
    expect(v.status).toBe('failed');
    expect(v.reasons.length).toBeGreaterThan(0);
    for (const r of v.reasons)
      expect(r).toMatch(/^would be rolled back: q(10|90) exceeded .*retrain\.rollback\.exceedancePValue/);
  });

  it('a rollback rule the active model fails on the same candles too is no reason against the candidate', () => {
    const clock = new ManualClock(T0);
    const both = trial(clock, { pnlTolerance: 10, hitRateTolerance: 1 });
    run(both, clock, {
      hours: 100,
      activeAccuracy: 0.5,
      candidateAccuracy: 0.6,
      candidateBand: 0.3,
      activeBand: 0.3,
    });
    const v = both.verdict();
    expect(v.active.degradation.length).toBeGreaterThan(0);
    expect(v.candidate.degradation.length).toBeGreaterThan(0);
    expect(v).toMatchObject({ status: 'passed', reasons: [] });
  });
});

const root = mkdtempSync(join(tmpdir(), 'qg-shadow-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend();
});

describe('shadow verdict on the registry', () => {
  const side = (version: string) => ({
    version,
    trades: 40,
    hits: 25,
    hitRate: 0.625,
    pnl: 0.1,
    degradation: [],
  });
  const verdict = (status: ShadowVerdict['status'], reasons: string[] = []): ShadowVerdict => ({
    status,
    timeframe: '1h',
    startedAt: T0,
    endsAt: T0 + 24 * H,
    reasons,
    candidate: side('cand'),
    active: side('live'),
  });

  async function setup(name: string) {
    const r = join(root, name);
    mkdirSync(r, { recursive: true });
    const clock = new ManualClock(T0);
    const ctx = storeContext(r, clock);
    await saveTinyVersion(ctx.modelsDir, '1h', 'live');
    await saveTinyVersion(ctx.modelsDir, '1h', 'cand', 2);
    await syncFromDisk(ctx);
    await promoteVersion(ctx, '1h', 'live', 'first');
    clock.advance(60_000);
    await beginShadow(ctx, '1h', 'cand');
    expect(findVersion(readRegistry(ctx.registryPath), '1h', 'cand')?.status).toBe('shadow');
    return { ctx, clock };
  }

  it('a passed trial promotes the candidate (pointer + registry) with an info alert', async () => {
    const { ctx } = await setup('pass');
    const sink = recordingSink();
    expect(await finishShadow(ctx, sink, 'cand', verdict('running'))).toBe('running');
    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('live');
    expect(await finishShadow(ctx, sink, 'cand', verdict('passed'))).toBe('promoted');
    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('cand');
    const reg = readRegistry(ctx.registryPath);
    expect(activeVersion(reg, '1h')?.version).toBe('cand');
    expect(findVersion(reg, '1h', 'live')?.status).toBe('retired');
    expect(sink.raised).toEqual([expect.objectContaining({ severity: 'info', code: 'SHADOW_PROMOTED' })]);
  });

  it('a failed trial rejects the candidate with its reasons; the active model stays', async () => {
    const { ctx } = await setup('fail');
    const sink = recordingSink();
    expect(await finishShadow(ctx, sink, 'cand', verdict('failed', ['hit rate 0.4 trails …']))).toBe(
      'rejected',
    );
    const reg = readRegistry(ctx.registryPath);
    expect(findVersion(reg, '1h', 'cand')?.status).toBe('rejected');
    expect(findVersion(reg, '1h', 'cand')?.history.at(-1)?.reason).toBe(
      'shadow trial failed: hit rate 0.4 trails …',
    );
    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('live');
    expect(sink.raised[0]).toMatchObject({ severity: 'warning', code: 'SHADOW_REJECTED', timeframe: '1h' });
  });

  it('a passed trial waits out a rollback cool-down; an unknown version is an alert, not a throw', async () => {
    const { ctx, clock } = await setup('cool');
    await updateRegistry(ctx.registryPath, (reg) => {
      reg.cooldownUntil['1h'] = new Date(clock.now() + H).toISOString();
    });
    const sink = recordingSink();
    expect(await finishShadow(ctx, sink, 'cand', verdict('passed'))).toBe('held-cooldown');
    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('live');
    clock.advance(2 * H);
    expect(await finishShadow(ctx, sink, 'cand', verdict('passed'))).toBe('promoted');

    await updateRegistry(ctx.registryPath, (reg) =>
      addVersion(
        reg,
        {
          version: 'ghost',
          timeframe: '1h',
          parent: null,
          trainingWindow: null,
          dataHash: null,
          seed: null,
          metrics: {},
        },
        'x',
      ),
    );
    expect(await finishShadow(ctx, sink, 'ghost', verdict('passed'))).toBe('error');
    expect(sink.raised.at(-1)).toMatchObject({ severity: 'critical', code: 'SHADOW_FINISH_FAILED' });
    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('cand');
  });
});
