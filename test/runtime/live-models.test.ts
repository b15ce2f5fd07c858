import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretRedactor, createLogger, silentLogger, timeframeMs } from '../../src/core/index.ts';
import type { ModelTimeframe } from '../../src/core/index.ts';
import { readCandles } from '../../src/exchange/index.ts';
import { labelParamsFor, labelsFor } from '../../src/features/index.ts';
import type { Forecaster } from '../../src/models/index.ts';
import { startLive } from '../../src/app/index.ts';
import type { LiveHandle } from '../../src/app/index.ts';
import type { TradeRecord } from '../../src/runtime/index.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import {
  CANDLE_STORE,
  RecordingForecaster,
  TRAINED_SYMBOLS,
  TRAINED_TIMEFRAMES,
  tinyTradingConfig,
  trainTinyModels,
} from '../support/trained-models.ts';
import { stepCandles, storeSeries, waitSubscribed } from './harness.ts';

// The runtime fsyncs its state file after every candle, warm-up history included (1,800 candles
// here): on a memory file system that costs nothing, on a busy disk it is most of the test's time.
const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'qg-live-models-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** Realised PnL from the fills alone: one position per symbol, each sell closing (part of) the last buy. */
function pnlFromFills(trades: readonly TradeRecord[]): { realized: number; cash: number } {
  let realized = 0;
  let cash = 0;
  const open = new Map<string, { qty: number; price: number; fee: number }>();
  for (const t of trades) {
    if (t.qty <= 0) continue;
    if (t.side === 'buy') {
      cash -= t.qty * t.price + t.fee;
      open.set(t.symbol, { qty: t.qty, price: t.price, fee: t.fee });
    } else {
      cash += t.qty * t.price - t.fee;
      const b = open.get(t.symbol)!;
      const share = t.qty / b.qty;
      realized += (t.price - b.price) * t.qty - b.fee * share - t.fee;
      open.delete(t.symbol);
    }
  }
  return { realized, cash };
}

describe('live paper runtime with trained models against the local exchange', () => {
  it('one simulated day on 3 symbols: trades with barrier TP/SL shared with the labels, PnL from the fills, no tensor or heap growth', async () => {
    const config = tinyTradingConfig(work);
    const last5m = Math.min(
      ...TRAINED_SYMBOLS.map((s) => readCandles(CANDLE_STORE, 'binance', '5m', s)!.candles.at(-1)!.timestamp),
    );
    const start = Math.floor((last5m - 86_400_000) / timeframeMs('1h')) * timeframeMs('1h');
    const t0 = Date.now();
    const trained = await trainTinyModels(config, start);
    const t1 = Date.now();
    const models: Partial<Record<ModelTimeframe, Forecaster>> = {};
    const rec = new Map<ModelTimeframe, RecordingForecaster>();
    for (const t of TRAINED_TIMEFRAMES) {
      rec.set(t, new RecordingForecaster(trained[t]!));
      models[t] = rec.get(t);
    }

    const sim = await startSimExchange({
      series: storeSeries(CANDLE_STORE, TRAINED_SYMBOLS, TRAINED_TIMEFRAMES),
      startTime: start,
    });
    sim.advance();
    const ref: { handle?: LiveHandle } = {};
    const opened: Array<{ trade: TradeRecord; takeProfit: number; stopLoss: number }> = [];
    const trades: TradeRecord[] = [];
    const handle = await startLive(config, {
      live: false,
      logger: process.env.QG_DEBUG ? createLogger({ level: 'warn' }) : silentLogger(),
      redactor: new SecretRedactor([]),
      clock: sim.clock,
      urls: simUrls(sim, 'binance'),
      models,
      retrain: false,
      stream: { checkIntervalMs: 20 },
      onTrade: (t) => {
        trades.push(t);
        const p = ref.handle?.runtime.snapshot.positions[t.symbol];
        if (t.kind === 'open' && t.qty > 0 && p) opened.push({ trade: t, ...p });
      },
    });
    ref.handle = handle;
    await waitSubscribed(sim, TRAINED_SYMBOLS.length * TRAINED_TIMEFRAMES.length, 180_000);
    const t2 = Date.now();
    let tensorsEarly = -1;
    let heapEarly = 0;
    try {
      // Step 24 is two hours in: every model has run, the first 1h closes included.
      await stepCandles(sim, handle, Number(process.env.QG_STEPS ?? 288), (i) => {
        if (i !== 24) return;
        tensorsEarly = tf.memory().numTensors;
        heapEarly = heapAfterGc();
      });
      const tensorsEnd = tf.memory().numTensors;
      const heapEnd = heapAfterGc();
      const forecasts5m = [...rec.get('5m')!.bySymbol.values()].reduce((n, l) => n + l.length, 0);
      // QG_REPORT=1 prints the figures (the issue asks for them); the assertions below hold either way.
      if (process.env.QG_REPORT)
        process.stderr.write(
          `${JSON.stringify({
            trainS: (t1 - t0) / 1000,
            warmupS: (t2 - t1) / 1000,
            dayS: (Date.now() - t2) / 1000,
            tensorsEarly,
            tensorsEnd,
            heapEarlyMb: heapEarly / 2 ** 20,
            heapEndMb: heapEnd / 2 ** 20,
            predictCalls5m: rec.get('5m')!.calls,
            forecasts5m,
            predictCalls1h: rec.get('1h')!.calls,
            trades: trades.length,
          })}\n`,
        );
      expect(tensorsEnd).toBe(tensorsEarly);
      const growthMb = (heapEnd - heapEarly) / 2 ** 20;
      expect(
        growthMb,
        `heap ${(heapEarly / 2 ** 20).toFixed(1)} → ${(heapEnd / 2 ** 20).toFixed(1)} MB`,
      ).toBeLessThan(32);

      const st = handle.runtime.snapshot;
      expect(st.equityCurve.length).toBe(288);
      expect(opened.length).toBeGreaterThan(0);
      // TP/SL of every entry are the labels' barriers at the decision candle (one shared function).
      const lp = labelParamsFor(config, '5m');
      for (const o of opened) {
        const candles = readCandles(CANDLE_STORE, 'binance', '5m', o.trade.symbol)!.candles;
        const i = candles.findIndex((c) => c.timestamp === o.trade.candleTime);
        const labels = labelsFor(candles.slice(0, i + lp.horizon + 1), lp, '5m');
        const close = candles[i].close;
        const at = `${o.trade.symbol} at ${new Date(o.trade.candleTime).toISOString()}`;
        // The gate's promise travels with the opening fill (the live edge ledger reads it).
        expect(o.trade.pWin, at).toBeGreaterThan(0);
        expect(Number.isFinite(o.trade.expectedEdgeBps), at).toBe(true);
        expect(Math.abs(o.takeProfit - close * Math.exp(labels.threshold[i])), at).toBeLessThanOrEqual(
          1e-9 * close,
        );
        expect(Math.abs(o.stopLoss - close * Math.exp(-labels.stopDistance![i])), at).toBeLessThanOrEqual(
          1e-9 * close,
        );
      }
      const f5 = rec.get('5m')!;
      const ref2 = pnlFromFills(trades);
      expect(st.realizedPnl).toBeCloseTo(ref2.realized, 6);
      expect(st.cash).toBeCloseTo(config.paper.startingBalance + ref2.cash, 6);
      // Batched in the live path: the day's 3 × 288 5m forecasts took about one call per instant.
      expect(f5.calls).toBeLessThan(forecasts5m / 2);
    } finally {
      await handle.stop();
      await sim.close();
      for (const t of Object.values(trained)) t.dispose();
    }
  }, 300_000);
});
