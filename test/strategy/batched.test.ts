import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Candle, ClosedCandle, ModelTimeframe } from '../../src/core/types.ts';
import { timeframeMs } from '../../src/core/types.ts';
import { readCandles } from '../../src/exchange/index.ts';
import type { Forecaster } from '../../src/models/index.ts';
import { DecisionRecorder, ModelSet, QuantileStrategy } from '../../src/strategy/index.ts';
import type { DecisionRecord } from '../../src/strategy/index.ts';
import {
  CANDLE_STORE,
  RecordingForecaster,
  TRAINED_SYMBOLS,
  TRAINED_TIMEFRAMES,
  tinyTradingConfig,
  trainTinyModels,
} from '../support/trained-models.ts';
import { MiniHost } from './support.ts';

const work = mkdtempSync(join(tmpdir(), 'qg-batched-'));
let config: Config;
let trained: Partial<Record<ModelTimeframe, Forecaster>> = {};
let testStart = 0;
const TEST_5M = 700; // 5m candles per symbol replayed (the first ~260 only warm features up)

beforeAll(async () => {
  config = tinyTradingConfig(work);
  const last = Math.min(
    ...TRAINED_SYMBOLS.map((s) => readCandles(CANDLE_STORE, 'binance', '5m', s)!.candles.at(-1)!.timestamp),
  );
  testStart = last - TEST_5M * timeframeMs('5m');
  trained = await trainTinyModels(config, testStart - 400 * timeframeMs('1h'));
}, 180_000);
afterAll(() => {
  for (const m of Object.values(trained)) m.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** Every symbol's 5m and 1h candles of the replay, grouped by close instant (1h before 5m, symbols in a fixed order). */
function closeGroups(): ClosedCandle[][] {
  const groups = new Map<string, ClosedCandle[]>();
  const from = { '5m': testStart - 300 * timeframeMs('5m'), '1h': testStart - 300 * timeframeMs('1h') };
  for (const tfName of TRAINED_TIMEFRAMES)
    for (const symbol of TRAINED_SYMBOLS) {
      const cs: Candle[] = readCandles(CANDLE_STORE, 'binance', tfName, symbol)!.candles;
      for (const c of cs) {
        if (c.timestamp < from[tfName as '5m' | '1h']) continue;
        const key = `${c.timestamp + timeframeMs(tfName)}|${tfName === '1h' ? 0 : 1}`;
        const list = groups.get(key) ?? [];
        list.push({ ...c, exchange: 'binance', symbol, timeframe: tfName });
        groups.set(key, list);
      }
    }
  return [...groups.entries()]
    .sort(([a], [b]) => {
      const [ta, ra] = a.split('|').map(Number);
      const [tb, rb] = b.split('|').map(Number);
      return ta - tb || ra - rb;
    })
    .map(([, g]) => g);
}

/** The strategy on the replay with a minimal host (fills at the signal price, TP/SL checked on each 5m candle). */
async function replay(batched: boolean) {
  const rec: Record<string, RecordingForecaster> = {};
  for (const [k, m] of Object.entries(trained)) rec[k] = new RecordingForecaster(m);
  const host = new MiniHost();
  const account = host.account;
  const decisions = new DecisionRecorder(silentLogger(), 1_000_000);
  const plugin = new QuantileStrategy(config);
  await plugin.init({
    config,
    logger: silentLogger(),
    models: new ModelSet(silentLogger(), rec),
    account,
    decisions,
  });
  for (const group of closeGroups()) {
    if (batched) await plugin.prepare(group);
    for (const c of group) await host.feed(plugin, c);
  }
  await plugin.dispose();
  const decided: readonly DecisionRecord[] = decisions.last();
  return { rec, signals: host.signals, decided, counts: decisions.counts() };
}

describe('batched inference per close instant (prepare) on trained models', () => {
  it('gives the one-by-one forecasts and decisions, with one predict per timeframe per instant', async () => {
    const tensors = tf.memory().numTensors;
    const one = await replay(false);
    const batch = await replay(true);
    expect(tf.memory().numTensors).toBe(tensors);

    for (const tfName of TRAINED_TIMEFRAMES) {
      const a = one.rec[tfName];
      const b = batch.rec[tfName];
      // One call per candle one by one; one per close instant batched (an instant where a
      // symbol's window is not complete, e.g. after a gap in its candles, has fewer rows).
      const forecasts = [...a.bySymbol.values()].reduce((n, l) => n + l.length, 0);
      expect(a.calls).toBe(forecasts);
      expect(b.calls).toBeGreaterThanOrEqual(forecasts / TRAINED_SYMBOLS.length);
      expect(b.calls).toBeLessThan(forecasts / (TRAINED_SYMBOLS.length - 0.5));
      for (const symbol of TRAINED_SYMBOLS) {
        const fa = a.bySymbol.get(symbol)!;
        const fb = b.bySymbol.get(symbol)!;
        expect(fb.length).toBe(fa.length);
        expect(fa.length).toBeGreaterThan(50);
        // Exact: a batch row is computed exactly as a lone row (any difference would show here).
        expect(fb).toEqual(fa);
      }
      // The comparison can tell symbols apart: the same instant's forecasts differ across symbols.
      const [s0, s1] = TRAINED_SYMBOLS;
      const f0 = a.bySymbol.get(s0)!;
      const f1 = a.bySymbol.get(s1)!;
      const apart = f0.filter(
        (f, i) => Math.abs(f.q50 - f1[i].q50) > 1e-6 || Math.abs(f.pBuy - f1[i].pBuy) > 1e-6,
      );
      expect(apart.length).toBeGreaterThan(f0.length * 0.9);
    }
    expect(batch.signals).toEqual(one.signals);
    expect(batch.decided).toEqual(one.decided);
    expect(one.signals.filter((s) => s.action === 'open').length, JSON.stringify(one.counts)).toBeGreaterThan(
      0,
    );
  }, 180_000);
});
