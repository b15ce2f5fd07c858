/**
 * Decision latency per execution-timeframe close for 20 symbols: incremental features, the models
 * of every timeframe closing at that instant (5m always, 1h/12h/1d at their closes) and the fusion +
 * quantile gate, through QuantileStrategy.onCandle. Models are constant-time fakes, so this is
 * the strategy's own cost; model inference is measured in bench/predict.bench.ts.
 * Prices: real BTC/USDT 5m OHLCV (/work/shared/data when present, else the fixture) re-stamped on
 * each timeframe's grid and scaled per symbol — realistic values, synthetic timing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/index.ts';
import { silentLogger } from '../src/core/logger.ts';
import type { Candle, ClosedCandle, Forecast, ModelTimeframe } from '../src/core/types.ts';
import { timeframeMs } from '../src/core/types.ts';
import { createIncrementalFeatures, featureWarmup } from '../src/features/index.ts';
import type { Forecaster, ForecastInput } from '../src/models/index.ts';
import { DecisionRecorder, ModelSet, QuantileStrategy } from '../src/strategy/index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const SHARED = '/work/shared/data/binance/5m/BTCUSDT.csv';
const FIXTURE = join(here, '..', 'test/fixtures/candles/binance/5m/BTCUSDT.csv');
const SYMBOLS = 20;
const MEASURED_TICKS = 288 * 2; // two days of 5m closes: includes 1h, 12h and 1d closes
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
  return readFileSync(existsSync(SHARED) ? SHARED : FIXTURE, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const [timestamp, open, high, low, close, volume] = l.split(',').map(Number);
      return { timestamp, open, high, low, close, volume };
    });
}

/** Every symbol's candles closing at each 5m close, in the order hosts deliver them (higher tf first). */
function schedule(src: readonly Candle[], end: number): Map<number, ClosedCandle[]> {
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

async function main(): Promise<void> {
  const src = loadCandles();
  const end = 400 * 86_400_000 * 50; // a UTC midnight, far enough from the epoch for every warm-up
  const ticks = schedule(src, end);
  const models: Partial<Record<ModelTimeframe, Forecaster>> = {};
  for (const tf of TFS)
    models[tf] = new ConstantForecaster(
      tf,
      createIncrementalFeatures(tf, config.features).names,
      config.model.window,
    );
  const decisions = new DecisionRecorder(silentLogger());
  const plugin = new QuantileStrategy(config);
  await plugin.init({
    config,
    logger: silentLogger(),
    models: new ModelSet(silentLogger(), models),
    account: { equity: () => 100_000, position: () => null, hasPending: () => false },
    decisions,
  });
  const measureFrom = end - MEASURED_TICKS * 300_000;
  const times = [...ticks.keys()].sort((a, b) => a - b);
  const lat: number[] = [];
  const cpu: number[] = [];
  for (const t of times) {
    const batch = ticks.get(t) ?? [];
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    for (const c of batch) await plugin.onCandle(c);
    const dc = process.cpuUsage(c0);
    const dw = performance.now() - w0;
    if (t > measureFrom) {
      lat.push(dw);
      cpu.push((dc.user + dc.system) / 1000);
    }
  }
  await plugin.dispose();
  const counts = decisions.counts();
  if (counts.warmup > SYMBOLS * (featureWarmup('5m', config.features) + config.model.window + 5))
    throw new Error(`bench did not warm up: ${JSON.stringify(counts)}`);
  const ls = [...lat].sort((a, b) => a - b);
  const cs = [...cpu].sort((a, b) => a - b);
  const result = {
    symbols: SYMBOLS,
    ticks: lat.length,
    source: existsSync(SHARED) ? SHARED : FIXTURE,
    wallMs: { p50: pct(ls, 50), p99: pct(ls, 99), max: ls.at(-1) },
    cpuMs: { p50: pct(cs, 50), p99: pct(cs, 99), max: cs.at(-1) },
    targetP99Ms: 50,
    decisions: counts,
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'decision.json'), `${JSON.stringify(result, null, 2)}\n`);
  const f = (x: number | undefined) => (x ?? NaN).toFixed(2);
  process.stdout.write(
    `decision latency per 5m close, ${SYMBOLS} symbols, 4 constant-time models, ${lat.length} closes\n\n` +
      `| measure | p50 ms | p99 ms | max ms |\n|---|---|---|---|\n` +
      `| wall | ${f(result.wallMs.p50)} | ${f(result.wallMs.p99)} | ${f(result.wallMs.max)} |\n` +
      `| cpu | ${f(result.cpuMs.p50)} | ${f(result.cpuMs.p99)} | ${f(result.cpuMs.max)} |\n\n` +
      `decisions: ${JSON.stringify(Object.fromEntries(Object.entries(counts).filter(([, v]) => v > 0)))}\n`,
  );
}

await main();
