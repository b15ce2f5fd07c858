import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Candle, ClosedCandle, Timeframe } from '../../src/core/types.ts';
import { readCandles } from '../../src/exchange/index.ts';
import { createIncrementalFeatures, labelParamsFor, labelsFor } from '../../src/features/index.ts';
import { DecisionRecorder, ModelSet, QuantileStrategy } from '../../src/strategy/index.ts';
import { FakeForecaster, MiniHost } from './support.ts';

const FIX = new URL('../fixtures/candles', import.meta.url).pathname;
const readFixture = (tf: Timeframe, symbol: string): Candle[] =>
  readCandles(FIX, 'binance', tf, symbol)!.candles;

const config = parseConfig({
  exchange: { name: 'binance', symbols: ['BTC/USDT'] },
  // Mechanics (counted reasons, look-ahead), not the trend filter: its days of history are not here.
  strategy: {
    timeframes: ['5m', '1h'],
    thresholds: { confidence: 0.6, minRiskReward: 1.2, minEdgeBps: 10 },
    fusion: { trend: 'off' },
  },
  model: { window: 8 },
});

/** A forecaster whose output depends only on its input window: momentum of the first feature. */
function momentumModel(tf: Timeframe) {
  const names = createIncrementalFeatures(tf, config.features).names;
  const w = names.length;
  return new FakeForecaster(`fake-${tf}`, tf, names, 8, ({ features }) => {
    const last = features[features.length - w]; // first feature of the newest row
    const up = last > 0;
    const p = Math.min(0.9, 0.55 + Math.abs(last) * 200);
    return up
      ? { pBuy: p, pSell: (1 - p) / 2, pHold: (1 - p) / 2, q10: -0.004, q50: 0.001, q90: 0.008 }
      : { pBuy: (1 - p) / 2, pSell: p, pHold: (1 - p) / 2, q10: -0.008, q50: -0.001, q90: 0.004 };
  });
}

/** Candles of several timeframes in close-time order, as every host delivers them. */
function merged(limit5m: number): ClosedCandle[] {
  const c5 = readFixture('5m', 'BTC/USDT').slice(0, limit5m);
  const end = c5[c5.length - 1].timestamp + 300_000;
  const c1h = readFixture('1h', 'BTC/USDT').filter(
    (c) => c.timestamp >= c5[0].timestamp - 200 * 3_600_000 && c.timestamp + 3_600_000 <= end,
  );
  const tag = (c: Candle, timeframe: Timeframe): ClosedCandle => ({
    ...c,
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe,
  });
  const all = [...c1h.map((c) => tag(c, '1h')), ...c5.map((c) => tag(c, '5m'))];
  const closeOf = (c: ClosedCandle) => c.timestamp + (c.timeframe === '1h' ? 3_600_000 : 300_000);
  return all.sort((a, b) => closeOf(a) - closeOf(b) || (a.timeframe === '1h' ? -1 : 1));
}

/** A minimal host: entries fill at once at the signal price; exits on close signals or TP/SL touches. */
async function run(candles: readonly ClosedCandle[]) {
  const host = new MiniHost();
  const account = host.account;
  const decisions = new DecisionRecorder(silentLogger());
  const plugin = new QuantileStrategy(config);
  const models = new ModelSet(silentLogger(), { '5m': momentumModel('5m'), '1h': momentumModel('1h') });
  await plugin.init({ config, logger: silentLogger(), models, account, decisions });
  let execCandles = 0;
  for (const c of candles) {
    if (c.timeframe === '5m') execCandles++;
    await host.feed(plugin, c);
  }
  await plugin.dispose();
  return { signals: host.signals, counts: decisions.counts(), execCandles };
}

describe('QuantileStrategy on real candles', () => {
  it('decides on every execution candle exactly once, with a counted reason', async () => {
    const { signals, counts, execCandles } = await run(merged(1500));
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(execCandles);
    expect(counts.warmup).toBeGreaterThan(0);
    expect(counts.trade_opened).toBeGreaterThan(0);
    expect(counts.low_confidence + counts.no_edge + counts.short_not_allowed).toBeGreaterThan(0);
    const opens = signals.filter((s) => s.action === 'open');
    expect(opens.length).toBe(counts.trade_opened);
    // The exits are the labels' barriers: one function places both (features/barriers.ts).
    const c5 = merged(1500).filter((c) => c.timeframe === '5m');
    const labels = labelsFor(c5, labelParamsFor(config, '5m'), '5m');
    const at = new Map(c5.map((c, i) => [c.timestamp, i]));
    for (const s of opens) {
      const i = at.get(s.timestamp)!;
      expect(s.direction).toBe('long');
      expect(s.takeProfit).toBeCloseTo(s.price * Math.exp(labels.threshold[i]), 9);
      expect(s.stopLoss).toBeCloseTo(s.price * Math.exp(-labels.stopDistance![i]), 9);
      expect(s.pWin).toBeGreaterThanOrEqual(0.6);
      expect(s.expectedEdgeBps).toBeGreaterThanOrEqual(10);
      expect(s.size).toBeGreaterThan(0);
      expect(s.modelVersions['5m']).toBe('fake-5m');
    }
  });

  it('no look-ahead: cutting the future changes no earlier signal', async () => {
    const full = await run(merged(1500));
    for (const cut of [400, 777, 1200]) {
      const part = await run(merged(cut));
      const lastT = merged(cut).at(-1)!.timestamp;
      const expected = full.signals.filter((s) => s.timestamp <= lastT);
      expect(part.signals).toEqual(expected);
    }
  });

  it('refuses a model trained on other features', async () => {
    const plugin = new QuantileStrategy(config);
    const wrong = new FakeForecaster('wrong', '5m', ['a', 'b'], 8, () => ({
      pBuy: 1,
      pSell: 0,
      pHold: 0,
      q10: 0,
      q50: 0,
      q90: 0,
    }));
    const ctx = {
      config,
      logger: silentLogger(),
      models: new ModelSet(silentLogger(), { '5m': wrong }),
      account: { equity: () => 1, position: () => null, hasPending: () => false },
      decisions: new DecisionRecorder(silentLogger()),
    };
    await expect(plugin.init(ctx)).rejects.toThrow(/trained on features \[a, b\]/);
  });
});
