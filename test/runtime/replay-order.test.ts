import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretRedactor, silentLogger } from '../../src/core/index.ts';
import { CandleStream, createCcxtExchange } from '../../src/exchange/index.ts';
import { PaperExecutor, Runtime, StateFile, equityOf } from '../../src/runtime/index.ts';
import type { RuntimeState } from '../../src/runtime/index.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import type { SimServer } from '../../src/simulator/index.ts';
import { START, waitFor } from '../simulator/helpers.ts';
import {
  FEE,
  RuleStrategy,
  SYMBOLS,
  lastClosed,
  processedAll,
  runtimeSeries,
  stepCandles,
} from './harness.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'qg-replay-order-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Paper runtime (fills at the next candle's open, so a replay fills at the prices live did) with
 * the rule strategy sized from equity, fed by the real CandleStream on the simulator.
 */
async function paperRun(sim: SimServer, dir: string) {
  const logger = silentLogger();
  const urls = simUrls(sim, 'binance');
  const ex = await createCcxtExchange({
    exchange: 'binance',
    market: 'spot',
    urls,
    rateLimit: false,
    timeoutMs: 2000,
    logger,
  });
  const strategy = new RuleStrategy();
  strategy.sizeDecimals = 8;
  const runtime = new Runtime({
    exchange: 'binance',
    executionTimeframe: '5m',
    plugin: strategy,
    executor: new PaperExecutor(FEE, 5),
    store: new StateFile(dir, new SecretRedactor([])),
    clock: sim.clock,
    logger,
    startingCash: 100_000,
  });
  strategy.equity = () => equityOf(runtime.snapshot);
  await runtime.start();
  const stream = new CandleStream({
    exchange: 'binance',
    ccxt: ex,
    series: SYMBOLS.map((symbol) => ({ symbol, timeframe: '5m' as const })),
    clock: sim.clock,
    logger,
    warmupCandles: 30,
    closeGraceMs: 60_000,
    reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
    checkIntervalMs: 20,
  });
  stream.onCandle((c, info) => void runtime.onCandle(c, info));
  await stream.start();
  await waitFor(
    () => sim.connections('binance').some((c) => c.subscriptions.size >= SYMBOLS.length),
    60_000,
    'subscribed',
  );
  return {
    runtime,
    stream,
    stop: async () => {
      await stream.stop();
      await runtime.stop();
    },
  };
}

async function newSim(): Promise<SimServer> {
  const sim = await startSimExchange({ series: runtimeSeries(), startTime: START });
  sim.advance();
  return sim;
}

const tradeLines = (s: RuntimeState) =>
  s.trades.map((t) => `${t.candleTime} ${t.symbol} ${t.side} ${t.kind} ${t.qty} @ ${t.price} ${t.state}`);

describe('candles missed while the process was down', () => {
  const STEPS = 60;
  const DOWN_AT = 20;
  const MISSED = 8;
  it('are decided in close-time order across symbols: trades, quantities and cash exactly as the uninterrupted run', async () => {
    const refSim = await newSim();
    let ref: RuntimeState;
    try {
      const run = await paperRun(refSim, tempDir());
      await stepCandles(refSim, run, STEPS);
      await run.stop();
      ref = run.runtime.snapshot;
    } finally {
      await refSim.close();
    }
    expect(ref.trades.filter((t) => t.qty > 0).length).toBeGreaterThanOrEqual(8);

    const sim = await newSim();
    const dir = tempDir();
    try {
      const first = await paperRun(sim, dir);
      await stepCandles(sim, first, DOWN_AT);
      await first.stop();
      const down = lastClosed(sim);
      // Down for MISSED candles of every symbol; the restart's warm-up delivers them.
      for (let i = 0; i < MISSED; i++) sim.advance();
      const up = lastClosed(sim);
      const second = await paperRun(sim, dir);
      await waitFor(() => processedAll(second, lastClosed(sim)), 30_000, 'missed candles decided');
      await second.runtime.idle();
      await stepCandles(sim, second, STEPS - DOWN_AT - MISSED);
      await second.stop();
      const st = second.runtime.snapshot;
      // Missed candles of several symbols decided orders (the replay had something to get wrong).
      const missed = ref.trades.filter((t) => t.candleTime > down && t.candleTime <= up && t.qty > 0);
      expect(new Set(missed.map((t) => t.symbol)).size).toBeGreaterThanOrEqual(2);
      expect(tradeLines(st)).toEqual(tradeLines(ref));
      expect(st.positions).toEqual(ref.positions);
      expect(st.cash).toBe(ref.cash);
      expect(st.realizedPnl).toBe(ref.realizedPnl);
      expect(st.fees).toBe(ref.fees);
    } finally {
      await sim.close();
    }
  }, 120_000);
});
