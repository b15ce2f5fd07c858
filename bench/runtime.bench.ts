/**
 * Decision latency per closed candle through the runtime: features + models + gate + paper
 * execution + state save, for 20 symbols. Models: small MLPs trained here for 5m and 1h on the
 * bundled candles (12h / 1d need more history than the fixtures hold; they stay neutral).
 * Run: npx tsx bench/runtime.bench.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock, SecretRedactor, silentLogger } from '../src/core/index.ts';
import type { Candle, ClosedCandle, ModelTimeframe } from '../src/core/index.ts';
import { initBackend, loadForecaster, trainModel } from '../src/models/index.ts';
import type { Forecaster } from '../src/models/index.ts';
import { DecisionRecorder, ModelSet, QuantileStrategy } from '../src/strategy/index.ts';
import { demoConfig } from '../src/app/index.ts';
import { PaperExecutor, Runtime, StateFile, equityOf } from '../src/runtime/index.ts';
import { readCandleFile } from '../src/exchange/index.ts';

const SYMBOLS = 20;
const STEPS = Number(process.env.QG_BENCH_STEPS ?? 150);
const dataDir = process.env.QG_DATA_DIR ?? 'test/fixtures/candles';
const logger = silentLogger();
const work = mkdtempSync(join(tmpdir(), 'qg-bench-'));

function readCsv(path: string): Candle[] {
  return readCandleFile(path).candles;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

try {
  const config = demoConfig(dataDir, work, 2);
  await initBackend({ logger });
  const stems = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
  const c5 = stems.map((s) => readCsv(join(dataDir, 'binance', '5m', `${s}.csv`)));
  const c1h = stems.map((s) => readCsv(join(dataDir, 'binance', '1h', `${s}.csv`)));
  const end5 = Math.min(...c5.map((c) => c[c.length - 1].timestamp));
  const cut = end5 - STEPS * 300_000;
  const models: Partial<Record<ModelTimeframe, Forecaster>> = {};
  for (const tf of ['5m', '1h'] as const) {
    const r = await trainModel({
      config,
      timeframe: tf,
      symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'],
      exchange: 'binance',
      dataDir,
      to: cut,
      clock: { now: () => Date.now() },
      logger,
    });
    models[tf] = await loadForecaster(r.modelDir, { timeframe: tf });
  }
  const modelSet = new ModelSet(logger, models);
  const plugin = new QuantileStrategy(config);
  const clock = new ManualClock(cut);
  const ref: { rt?: Runtime } = {};
  const runtime = new Runtime({
    exchange: 'binance',
    executionTimeframe: '5m',
    plugin,
    executor: new PaperExecutor(0.001, 2),
    store: new StateFile(join(work, 'state'), new SecretRedactor([])),
    clock,
    logger,
    startingCash: 1_000_000,
  });
  ref.rt = runtime;
  const state = () => runtime.snapshot;
  await plugin.init({
    config,
    logger,
    models: modelSet,
    decisions: new DecisionRecorder(logger),
    account: {
      equity: () => equityOf(state()),
      position: (s) => {
        const p = state().positions[s];
        return p
          ? { direction: p.direction, quantity: p.qty, entryPrice: p.entryPrice, entryTime: p.openedAt }
          : null;
      },
      hasPending: () => false,
    },
  });
  await runtime.start();
  const sym = (i: number) => `S${i}/USDT`;
  const as = (c: Candle, i: number, tf: '5m' | '1h'): ClosedCandle => ({
    ...c,
    exchange: 'binance',
    symbol: sym(i),
    timeframe: tf,
  });
  // Warm-up history (not timed), then timed decisions.
  for (let i = 0; i < SYMBOLS; i++) {
    for (const c of c1h[i % 3].filter((x) => x.timestamp + 3_600_000 <= cut).slice(-300))
      await runtime.onCandle(as(c, i, '1h'), { warmup: true });
    for (const c of c5[i % 3].filter((x) => x.timestamp < cut).slice(-300))
      await runtime.onCandle(as(c, i, '5m'), { warmup: true });
  }
  const perCandle: number[] = [];
  const perStep: number[] = [];
  for (let k = 0; k < STEPS; k++) {
    const t = cut + k * 300_000;
    clock.set(Math.max(clock.now(), t + 300_000));
    const s0 = performance.now();
    for (let i = 0; i < SYMBOLS; i++) {
      const c = c5[i % 3].find((x) => x.timestamp === t);
      if (!c) continue;
      const t0 = performance.now();
      await runtime.onCandle(as(c, i, '5m'));
      perCandle.push(performance.now() - t0);
    }
    perStep.push(performance.now() - s0);
  }
  await runtime.stop();
  const result = {
    symbols: SYMBOLS,
    steps: STEPS,
    candles: perCandle.length,
    perCandleMs: { p50: pct(perCandle, 0.5), p99: pct(perCandle, 0.99), max: Math.max(...perCandle) },
    per20SymbolStepMs: { p50: pct(perStep, 0.5), p99: pct(perStep, 0.99) },
    targetP99StepMs: 50,
    models: Object.fromEntries(Object.entries(models).map(([k, m]) => [k, m!.version])),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/runtime.json', JSON.stringify(result, null, 2));
  const f = (x: number) => x.toFixed(2);
  process.stdout.write(
    `| measure | p50 ms | p99 ms |\n|---|---|---|\n| one closed candle (1 symbol) | ${f(result.perCandleMs.p50)} | ${f(result.perCandleMs.p99)} |\n| one 5m close, ${SYMBOLS} symbols | ${f(result.per20SymbolStepMs.p50)} | ${f(result.per20SymbolStepMs.p99)} |\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
