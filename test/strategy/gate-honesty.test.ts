import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Candle, ClosedCandle } from '../../src/core/types.ts';
import { roundTripCosts } from '../../src/features/index.ts';
import { initBackend, loadForecaster, trainModel } from '../../src/models/index.ts';
import { DecisionRecorder, ModelSet, QuantileStrategy } from '../../src/strategy/index.ts';
import type { AccountView, PositionInfo } from '../../src/strategy/index.ts';

/**
 * The gate's honesty, both ways, with a real model trained on synthetic candles: where a learnable
 * pattern is planted (trend blocks) the default gate trades and the trades make money after costs;
 * on pure noise it does not trade at all. Nothing is lowered for either.
 */
const STEP = 300_000;
const T0 = Date.UTC(2021, 0, 1);
const N = 8000;
const SPLIT = 6000; // train on the first 6000 candles, trade the last 2000

const work = mkdtempSync(join(tmpdir(), 'qg-gate-honesty-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Seeded Gaussian (Box–Muller on a small LCG): the same candles on every run. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Log-return path → candles; drift(i) is the planted pattern (0 = pure noise). */
function candles(drift: (i: number) => number, seed: number): Candle[] {
  const g = gaussian(seed);
  const out: Candle[] = [];
  let price = 100;
  for (let i = 0; i < N; i++) {
    const open = price;
    const close = open * Math.exp(drift(i) + 0.002 * g());
    const wick = () => Math.exp(Math.abs(g()) * 0.0005);
    out.push({
      timestamp: T0 + i * STEP,
      open,
      high: Math.max(open, close) * wick(),
      low: Math.min(open, close) / wick(),
      close,
      volume: 100 * Math.exp(0.3 * g()),
    });
    price = close;
  }
  return out;
}

function writeStore(dir: string, cs: readonly Candle[]): void {
  const d = join(dir, 'binance', '5m');
  mkdirSync(d, { recursive: true });
  const rows = cs.map((c) => [c.timestamp, c.open, c.high, c.low, c.close, c.volume].join(','));
  writeFileSync(join(d, 'SYNUSDT.csv'), ['timestamp,open,high,low,close,volume', ...rows].join('\n') + '\n');
}

function configFor(dir: string, perp = false): Config {
  return configSchema.parse({
    exchange: { name: 'binance', symbols: ['SYN/USDT'], market: perp ? 'swap' : 'spot' },
    data: { dir, modelsDir: join(dir, 'models'), stateDir: join(dir, 'state') },
    model: {
      architecture: 'mlp',
      window: 8,
      hidden: 16,
      epochs: 6,
      batchSize: 64,
      patience: 3,
      split: { train: 0.7, validation: 0.15, calibration: 0.15 },
    },
    // The default gate (minEdgeBps 10, P(win) 0.5, Kelly sizing); one timeframe, so no trend filter.
    strategy: {
      timeframes: ['5m'],
      fusion: { weights: { '5m': 1 }, trend: 'off' },
      sizing: { allowShort: true },
    },
  });
}

interface Outcome {
  readonly trades: number;
  readonly shorts: number;
  readonly shortMeanNetReturn: number;
  readonly meanNetReturn: number;
  readonly meanPredictedEdge: number;
  readonly reasons: Readonly<Record<string, number>>;
}

/** Trains on the first SPLIT candles, then trades the rest with a host that books exits and costs. */
async function trade(name: string, cs: readonly Candle[], perp = false): Promise<Outcome> {
  const dir = join(work, name);
  writeStore(dir, cs);
  const config = configFor(dir, perp);
  await initBackend({ logger: silentLogger() });
  const r = await trainModel({
    config,
    timeframe: '5m',
    symbols: ['SYN/USDT'],
    exchange: 'binance',
    dataDir: dir,
    to: T0 + SPLIT * STEP,
    clock: { now: () => Date.now() },
    logger: silentLogger(),
  });
  const model = await loadForecaster(r.modelDir, { timeframe: '5m' });
  const costs = roundTripCosts(config.exchange.takerFee, config.paper.slippageBps);
  let open: (PositionInfo & { tp: number; sl: number; edge: number }) | null = null;
  const returns: number[] = [];
  const shortReturns: number[] = [];
  const edges: number[] = [];
  const account: AccountView = {
    equity: () => 10_000,
    position: () => open,
    hasPending: () => false,
  };
  const book = (exit: number) => {
    if (!open) return;
    const r = Math.log(exit / open.entryPrice) * (open.direction === 'long' ? 1 : -1) - costs;
    returns.push(r);
    if (open.direction === 'short') shortReturns.push(r);
    edges.push(open.edge);
    open = null;
  };
  const decisions = new DecisionRecorder(silentLogger());
  const plugin = new QuantileStrategy(config);
  await plugin.init({
    config,
    logger: silentLogger(),
    models: new ModelSet(silentLogger(), { '5m': model }),
    account,
    decisions,
  });
  for (let i = 0; i < cs.length; i++) {
    const c: ClosedCandle = { ...cs[i], exchange: 'binance', symbol: 'SYN/USDT', timeframe: '5m' };
    if (i < SPLIT - 200) continue; // warm-up starts 200 candles before the traded range
    if (open) {
      // As the runtime watches them: the stop first when both are touched (mirrored for shorts).
      const long = open.direction === 'long';
      if (long ? c.low <= open.sl : c.high >= open.sl) book(open.sl);
      else if (long ? c.high >= open.tp : c.low <= open.tp) book(open.tp);
    }
    const s = await plugin.onCandle(c);
    if (i < SPLIT || !s) continue;
    if (s.action === 'close') book(c.close);
    else
      open = {
        direction: s.direction,
        quantity: s.size,
        entryPrice: s.price,
        entryTime: s.timestamp,
        tp: s.takeProfit,
        sl: s.stopLoss,
        edge: (s.expectedEdgeBps ?? NaN) / 10_000,
      };
  }
  await plugin.dispose();
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return {
    shorts: shortReturns.length,
    shortMeanNetReturn: mean(shortReturns),
    trades: returns.length,
    meanNetReturn: mean(returns),
    meanPredictedEdge: mean(edges),
    reasons: decisions.counts(),
  };
}

describe('the expected-value gate is honest both ways (real training on synthetic candles)', () => {
  it('a planted, learnable trend pattern: it trades, and the trades make money after costs', async () => {
    // Blocks of 96 candles, each drifting ±0.2 % per candle at random: recent returns say which.
    const g = gaussian(7);
    const signs = Array.from({ length: Math.ceil(N / 96) }, () => (g() > 0 ? 1 : -1));
    const o = await trade(
      'planted',
      candles((i) => 0.002 * signs[Math.floor(i / 96)], 11),
    );
    expect(o.trades, JSON.stringify(o.reasons)).toBeGreaterThanOrEqual(10);
    expect(o.meanNetReturn).toBeGreaterThan(0);
    expect(o.meanPredictedEdge).toBeGreaterThanOrEqual(0.001); // every trade promised ≥ 10 bps
  }, 180_000);

  it('shorts: never on spot (refused before the gate), opened on perps when the edge says so', async () => {
    const g = gaussian(7);
    const signs = Array.from({ length: Math.ceil(N / 96) }, () => (g() > 0 ? 1 : -1));
    const path = candles((i) => 0.002 * signs[Math.floor(i / 96)], 11);
    const spot = await trade('planted-spot', path);
    expect(spot.shorts).toBe(0);
    expect(spot.reasons.short_not_allowed).toBeGreaterThan(0);
    const perp = await trade('planted-perp', path, true);
    expect(perp.shorts, JSON.stringify(perp.reasons)).toBeGreaterThanOrEqual(5);
    expect(perp.shortMeanNetReturn).toBeGreaterThan(0);
  }, 180_000);

  it('pure noise: no trade at all, and the gate says why', async () => {
    const o = await trade(
      'noise',
      candles(() => 0, 13),
    );
    expect(o.trades, JSON.stringify(o.reasons)).toBe(0);
    expect(o.reasons.no_edge + o.reasons.low_confidence + o.reasons.short_not_allowed).toBeGreaterThan(1000);
  }, 180_000);
});
