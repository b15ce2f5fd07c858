import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { ManualClock, SecretRedactor, silentLogger } from '../../src/core/index.ts';
import type { Candle, ClosedCandle, Timeframe } from '../../src/core/index.ts';
import { readCandles } from '../../src/exchange/index.ts';
import { createIncrementalFeatures } from '../../src/features/index.ts';
import { PaperExecutor, Runtime, StateFile } from '../../src/runtime/index.ts';
import type { RuntimeState, TradeRecord } from '../../src/runtime/index.ts';
import { DecisionRecorder, ModelSet, QuantileStrategy } from '../../src/strategy/index.ts';
import { FakeForecaster } from '../strategy/support.ts';

const FIX = new URL('../fixtures/candles', import.meta.url).pathname;
const M5 = 300_000;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The state file without the disk: what is tested is the decisions, not persistence. */
class MemoryStateFile extends StateFile {
  override write(_s: RuntimeState): void {}
}

const configWith = (cooldownCandles: number): Config =>
  parseConfig({
    exchange: { name: 'binance', symbols: ['BTC/USDT'] },
    strategy: {
      timeframes: ['5m'],
      thresholds: { confidence: 0.6, minRiskReward: 1.2, minEdgeBps: 10 },
      fusion: { trend: 'off' },
      cooldownCandles,
    },
    model: { window: 8 },
  });

/** Momentum of the newest row's first feature (deterministic, trades often on real candles). */
function momentumModel(config: Config, tf: Timeframe): FakeForecaster {
  const names = createIncrementalFeatures(tf, config.features).names;
  const w = names.length;
  return new FakeForecaster(`fake-${tf}`, tf, names, 8, ({ features }) => {
    const last = features[features.length - w];
    const p = Math.min(0.9, 0.55 + Math.abs(last) * 200);
    return last > 0
      ? { pBuy: p, pSell: (1 - p) / 2, pHold: (1 - p) / 2, q10: -0.004, q50: 0.001, q90: 0.008 }
      : { pBuy: (1 - p) / 2, pSell: p, pHold: (1 - p) / 2, q10: -0.008, q50: -0.001, q90: 0.004 };
  });
}

/** QuantileStrategy in the built-in runtime with the paper executor, over real 5m candles. */
async function run(cooldownCandles: number): Promise<{ trades: TradeRecord[]; cooldowns: number }> {
  const config = configWith(cooldownCandles);
  const logger = silentLogger();
  const candles: ClosedCandle[] = readCandles(FIX, 'binance', '5m', 'BTC/USDT')!
    .candles.slice(0, 1500)
    .map((c: Candle) => ({ ...c, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }));
  const dir = mkdtempSync(join(tmpdir(), 'qg-cooldown-'));
  dirs.push(dir);
  const decisions = new DecisionRecorder(logger);
  const clock = new ManualClock(candles[0].timestamp);
  const runtime = new Runtime({
    exchange: 'binance',
    executionTimeframe: '5m',
    plugin: new QuantileStrategy(config),
    context: {
      config,
      logger,
      models: new ModelSet(logger, { '5m': momentumModel(config, '5m') }),
      decisions,
    },
    executor: new PaperExecutor(config.exchange.takerFee, config.paper.slippageBps),
    store: new MemoryStateFile(dir, new SecretRedactor([])),
    clock,
    logger,
    startingCash: 10_000,
  });
  await runtime.start();
  for (const [i, c] of candles.entries()) {
    clock.set(c.timestamp + M5);
    await runtime.onCandle(c, { warmup: i < 100 });
  }
  const trades = runtime.snapshot.trades.filter((t) => t.qty > 0);
  await runtime.stop();
  return { trades, cooldowns: decisions.counts().cooldown ?? 0 };
}

/** Candles between each filled exit and the next entry's decision candle. */
function gaps(trades: readonly TradeRecord[]): number[] {
  const out: number[] = [];
  trades.forEach((t, i) => {
    if (t.kind === 'open') return;
    const next = trades.slice(i + 1).find((x) => x.kind === 'open');
    // The exit decided on candle T fills at T+1's open: the cool-down counts from there.
    if (next) out.push((next.candleTime - (t.candleTime + M5)) / M5);
  });
  return out;
}

describe('strategy.cooldownCandles through the runtime', () => {
  it('after a filled exit, no entry on that symbol for N execution candles (none without it)', async () => {
    const N = 12;
    const free = await run(0);
    const cooled = await run(N);
    // Without a cool-down the strategy re-enters sooner than N candles after some exits …
    expect(free.cooldowns).toBe(0);
    expect(gaps(free.trades).some((g) => g < N)).toBe(true);
    // … with it, never: the runtime's onOrderUpdate of each filled exit starts the cool-down.
    expect(cooled.cooldowns).toBeGreaterThan(0);
    expect(gaps(cooled.trades).length).toBeGreaterThan(2);
    expect(Math.min(...gaps(cooled.trades))).toBeGreaterThanOrEqual(N);
  }, 60_000);
});
