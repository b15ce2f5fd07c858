/**
 * Decision latency per execution-timeframe close for 20 symbols: incremental features, the models
 * of every timeframe closing at that instant (5m always, 1h/12h/1d at their closes) and the fusion +
 * quantile gate, called as the live runtime calls the plugin: per (timeframe, close time) group one
 * `prepare` (one predict per model for all symbols), then `onCandle` per candle. Runs: constant-time
 * fake models (the strategy's own cost), and untrained TFT-lite NetworkForecasters of the configured
 * size on the wasm backend (latency only: their forecasts are meaningless), batched as live and —
 * for comparison — one predict per candle (no `prepare`, the path before batching).
 * `--fake-only` skips the TFT runs, `--batched-only` the one-by-one TFT run.
 * Prices: real BTC/USDT 5m OHLCV (/work/shared/data when present, else the fixture) re-stamped on
 * each timeframe's grid and scaled per symbol — realistic values, synthetic timing.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/index.ts';
import { silentLogger } from '../src/core/logger.ts';
import type { Candle, ClosedCandle, Forecast, ModelTimeframe } from '../src/core/types.ts';
import { timeframeMs } from '../src/core/types.ts';
import { createIncrementalFeatures, featureWarmup } from '../src/features/index.ts';
import type { Forecaster, ForecastInput } from '../src/models/index.ts';
import {
  createNetwork,
  initBackend,
  NetworkForecaster,
  networkSpecFromConfig,
  zScoreNormaliser,
} from '../src/models/index.ts';
import { DecisionRecorder, ModelSet, QuantileStrategy } from '../src/strategy/index.ts';
import { readCandleFile } from '../src/exchange/index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const SHARED = '/work/shared/data/binance/5m/BTCUSDT.csv';
const FIXTURE = join(here, '..', 'test/fixtures/candles/binance/5m/BTCUSDT.csv');
const SYMBOLS = 20;
const TFS: readonly ModelTimeframe[] = ['5m', '1h', '12h', '1d'];

const config = parseConfig({
  exchange: { name: 'binance', symbols: Array.from({ length: SYMBOLS }, (_, i) => `S${i}/USDT`) },
});

class ConstantForecaster implements Forecaster {
  readonly horizon = 12;
  constructor(
    readonly timeframe: ModelTimeframe,
    readonly featureNames: readonly string[],
    readonly window: number,
  ) {}
  get version(): string {
    return `const-${this.timeframe}`;
  }
  predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    return inputs.map(() => ({
      timeframe: this.timeframe,
      pBuy: 0.7,
      pSell: 0.15,
      pHold: 0.15,
      q10: -0.004,
      q50: 0.002,
      q90: 0.01,
      modelVersion: this.version,
    }));
  }
  dispose(): void {}
}

function loadCandles(): Candle[] {
  return readCandleFile(existsSync(SHARED) ? SHARED : FIXTURE).candles;
}

/** Every symbol's candles closing at each 5m close, in the order hosts deliver them (higher tf first). */
function schedule(src: readonly Candle[], end: number, MEASURED_TICKS: number): Map<number, ClosedCandle[]> {
  const byClose = new Map<number, ClosedCandle[]>();
  for (const tf of [...TFS].reverse()) {
    const ms = timeframeMs(tf);
    const count =
      (tf === '5m' ? MEASURED_TICKS : Math.ceil((MEASURED_TICKS * 300_000) / ms)) +
      featureWarmup(tf, config.features) +
      config.model.window +
      5;
    for (let k = 0; k < count; k++) {
      const openTime = end - (count - k) * ms;
      const base = src[k % src.length];
      for (let s = 0; s < SYMBOLS; s++) {
        const f = 1 + s * 0.01;
        const c: ClosedCandle = {
          exchange: 'binance',
          symbol: `S${s}/USDT`,
          timeframe: tf,
          timestamp: openTime,
          open: base.open * f,
          high: base.high * f,
          low: base.low * f,
          close: base.close * f,
          volume: base.volume,
        };
        const at = openTime + ms;
        const list = byClose.get(at) ?? [];
        list.push(c);
        byClose.set(at, list);
      }
    }
  }
  return byClose;
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** constant: no model cost; tft: the old default; mlp: the default architecture since warm start. */
type Mode = 'constant' | 'tft' | 'mlp';

function makeModel(mode: Mode, tf: ModelTimeframe, seed: number): Forecaster {
  const names = createIncrementalFeatures(tf, config.features).names;
  if (mode === 'constant') return new ConstantForecaster(tf, names, config.model.window);
  const F = names.length;
  const net = createNetwork(networkSpecFromConfig({ ...config.model, architecture: mode }, F, 0.01), seed);
  return new NetworkForecaster({
    network: net,
    featureNames: names,
    timeframe: tf,
    horizon: 12,
    version: `untrained-${mode}-${tf}`,
    normaliser: zScoreNormaliser({
      featureNames: names,
      pooled: { mean: new Array<number>(F).fill(0), std: new Array<number>(F).fill(1) },
    }),
  });
}

async function run(mode: Mode, batched: boolean, src: readonly Candle[], measuredTicks: number) {
  const end = 400 * 86_400_000 * 50; // a UTC midnight, far enough from the epoch for every warm-up
  const ticks = schedule(src, end, measuredTicks);
  const models: Partial<Record<ModelTimeframe, Forecaster>> = {};
  TFS.forEach((tf, i) => (models[tf] = makeModel(mode, tf, i + 1)));
  const decisions = new DecisionRecorder(silentLogger());
  const plugin = new QuantileStrategy(config);
  await plugin.init({
    config,
    logger: silentLogger(),
    models: new ModelSet(silentLogger(), models),
    account: { equity: () => 100_000, position: () => null, hasPending: () => false },
    decisions,
  });
  const measureFrom = end - measuredTicks * 300_000;
  const times = [...ticks.keys()].sort((a, b) => a - b);
  const lat: number[] = [];
  const cpu: number[] = [];
  // CPU per close by how many models run at it (1 = 5m only; 2+ = a 1h / 12h / 1d close too).
  const cpuByModels = new Map<number, number[]>();
  for (const t of times) {
    const batch = ticks.get(t) ?? [];
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    if (batched)
      for (const tf of TFS) {
        const group = batch.filter((c) => c.timeframe === tf);
        if (group.length > 0) await plugin.prepare(group);
      }
    for (const c of batch) await plugin.onCandle(c);
    const dc = process.cpuUsage(c0);
    const dw = performance.now() - w0;
    if (t > measureFrom) {
      lat.push(dw);
      cpu.push((dc.user + dc.system) / 1000);
      const k = new Set(batch.map((c) => c.timeframe)).size;
      cpuByModels.set(k, [...(cpuByModels.get(k) ?? []), (dc.user + dc.system) / 1000]);
    }
  }
  await plugin.dispose();
  for (const m of Object.values(models)) m.dispose();
  const counts = decisions.counts();
  if (counts.warmup > SYMBOLS * (featureWarmup('5m', config.features) + config.model.window + 5))
    throw new Error(`bench did not warm up: ${JSON.stringify(counts)}`);
  const ls = [...lat].sort((a, b) => a - b);
  const cs = [...cpu].sort((a, b) => a - b);
  return {
    mode: `${mode}${batched ? ' batched' : ' one by one'}`,
    closes: lat.length,
    wallMs: { p50: pct(ls, 50), p99: pct(ls, 99), max: ls.at(-1) ?? NaN },
    cpuMs: { p50: pct(cs, 50), p99: pct(cs, 99), max: cs.at(-1) ?? NaN },
    cpuMsByModelsRun: Object.fromEntries(
      [...cpuByModels.entries()]
        .sort(([a], [b]) => a - b)
        .map(([k, xs]) => {
          const sorted = [...xs].sort((a, b) => a - b);
          return [k, { closes: xs.length, p50: pct(sorted, 50), max: sorted.at(-1) ?? NaN }];
        }),
    ),
    decisions: Object.fromEntries(Object.entries(counts).filter(([, v]) => v > 0)),
  };
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg();
  const src = loadCandles();
  const results = [await run('constant', true, src, 288 * 2)];
  if (!process.argv.includes('--fake-only')) {
    const backend = await initBackend();
    process.stdout.write(`tfjs backend: ${JSON.stringify(backend)}\n`);
    results.push(await run('mlp', true, src, 288));
    results.push(await run('tft', true, src, 288));
    if (!process.argv.includes('--batched-only')) results.push(await run('tft', false, src, 288));
  }
  const out = {
    symbols: SYMBOLS,
    loadAverage: { start: loadAtStart, end: os.loadavg() },
    cores: os.cpus().length,
    source: existsSync(SHARED) ? SHARED : FIXTURE,
    modelWindow: config.model.window,
    targetP99Ms: 25,
    results,
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'decision.json'), `${JSON.stringify(out, null, 2)}\n`);
  const f = (x: number) => x.toFixed(2);
  let table = `decision latency per 5m close, ${SYMBOLS} symbols, 4 models (5m, 1h, 12h, 1d)\n\n`;
  table += '| models | closes | wall p50 | wall p99 | wall max | cpu p50 | cpu p99 | cpu max |\n';
  table += '|---|---|---|---|---|---|---|---|\n';
  for (const r of results)
    table += `| ${r.mode} | ${r.closes} | ${f(r.wallMs.p50)} | ${f(r.wallMs.p99)} | ${f(r.wallMs.max)} | ${f(r.cpuMs.p50)} | ${f(r.cpuMs.p99)} | ${f(r.cpuMs.max)} |\n`;
  for (const r of results) table += `\n${r.mode} decisions: ${JSON.stringify(r.decisions)}`;
  for (const r of results)
    table += `\n${r.mode} cpu ms by models run at the close: ${Object.entries(r.cpuMsByModelsRun)
      .map(([k, v]) => `${k}: n=${v.closes} p50 ${f(v.p50)} max ${f(v.max)}`)
      .join('; ')}`;
  const load = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(
    `${table}\n(ms; target p99 < 50 ms; load average ${load(loadAtStart)} at the start, ${load(out.loadAverage.end)} at the end, ${out.cores} cores)\n`,
  );
}

await main();
