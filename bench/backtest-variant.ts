/**
 * One backtest of bench/backtest.bench.ts in its own process, with the sources of `root`: this
 * checkout's, or an older commit's exported by the bench, so old and new code run side by side on
 * the same models, data and request. Loads the models with that code's own loader, runs the
 * backtest and prints one JSON line: throughput, CPU, stages (when that code reports them) and a
 * digest of everything the backtest decided, so the bench can check both gave the same result.
 * Usage: tsx bench/backtest-variant.ts '<json of VariantJob>'.
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Backtest from '../src/backtest/index.ts';
import type * as ConfigModule from '../src/config/index.ts';
import type * as Core from '../src/core/index.ts';
import type { ModelTimeframe } from '../src/core/index.ts';
import type * as Models from '../src/models/index.ts';

export interface VariantJob {
  /** Repository root whose src/ runs (this checkout, or an exported older commit). */
  readonly root: string;
  readonly architecture: 'mlp' | 'tft';
  /** Trained model directory per timeframe. */
  readonly models: Readonly<Partial<Record<ModelTimeframe, string>>>;
  readonly dataDir: string;
  readonly symbols: readonly string[];
  readonly timeframes: readonly ModelTimeframe[];
  readonly from: number;
  readonly to: number;
}

export interface VariantResult {
  readonly candles: number;
  readonly seconds: number;
  readonly replaySeconds: number;
  readonly cpuSeconds: number;
  /** CPU of the replay from its first progress report (10,000 candles in) to its end, and those candles. */
  readonly replayCpuSeconds: number;
  readonly replayCpuCandles: number;
  readonly stages: unknown;
  readonly trades: number;
  readonly cacheMisses: string;
  /** SHA-256 (16 hex digits) per part of the result: trades, equity curve, signals, gate counters, metrics, calibration. */
  readonly digest: Readonly<Record<string, string>>;
  readonly loadAverage1m: number;
}

async function run(job: VariantJob): Promise<VariantResult> {
  // Another commit's sources, imported by path: typed as this checkout's (the API they use is older).
  const mod = async <T>(p: string): Promise<T> =>
    (await import(pathToFileURL(join(job.root, 'src', p)).href)) as T;
  const bt = await mod<typeof Backtest>('backtest/index.ts');
  const { parseConfig } = await mod<typeof ConfigModule>('config/index.ts');
  const { createLogger } = await mod<typeof Core>('core/index.ts');
  const { initBackend, loadForecaster } = await mod<typeof Models>('models/index.ts');
  const logger = createLogger({ level: 'error' });
  const config = parseConfig({
    exchange: { name: 'binance', symbols: job.symbols },
    data: { dir: job.dataDir },
    strategy: { timeframes: job.timeframes, executionTimeframe: '5m' },
    model: { architecture: job.architecture, epochs: 1, maxMinutes: 0.5 },
  });
  await initBackend({ logger });
  const models: Backtest.ModelMap = {};
  for (const [tf, dir] of Object.entries(job.models) as Array<[ModelTimeframe, string]>)
    models[tf] = await loadForecaster(dir, { timeframe: tf });
  const deps = await bt.createBacktestDeps(config, logger, bt.strategyTarget);
  const cpuNow = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let replay0: { cpu: number; done: number } | undefined;
  let replay = { seconds: NaN, candles: 0 };
  const cpu0 = cpuNow();
  const r = await bt.runBacktest(
    {
      exchange: 'binance',
      symbols: job.symbols,
      timeframes: job.timeframes,
      executionTimeframe: '5m',
      from: job.from,
      to: job.to,
      walkForward: false,
      walkForwardDays: 7,
      warmupCandles: 500,
      horizons: { '5m': 12, '1h': 6, '12h': 2, '1d': 1 },
      startingBalance: 10_000,
      fee: 0.001,
      slippage: 0.0002,
      riskFreeRate: 0,
      skipBaseline: true,
      inferenceWorkers: config.backtest.inferenceWorkers,
      onProgress: (phase: string, done: number, total: number) => {
        if (phase !== 'replay') return;
        if (!replay0) replay0 = { cpu: cpuNow(), done };
        else if (done === total) replay = { seconds: cpuNow() - replay0.cpu, candles: done - replay0.done };
      },
    },
    { ...deps, loadModels: async () => models },
  );
  const cpuSeconds = cpuNow() - cpu0;
  const hash = (v: unknown): string =>
    createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);
  // Per part: other work may add fields to a report (e.g. calibration) between the two commits.
  const digest = {
    trades: hash(r.trades),
    equity: hash(r.curve),
    signals: hash(r.signals),
    gate: hash(r.gate),
    metrics: hash(r.metrics),
    calibration: hash(r.calibration),
  };
  return {
    candles: r.candles,
    seconds: r.seconds,
    replaySeconds: r.replaySeconds,
    cpuSeconds,
    replayCpuSeconds: replay.seconds,
    replayCpuCandles: replay.candles,
    stages: r.stages ?? null,
    trades: r.metrics.trades,
    cacheMisses: (r.warnings as string[]).find((w) => w.includes('precomputed cache')) ?? 'none',
    digest,
    loadAverage1m: loadavg()[0],
  };
}

const arg = process.argv[2];
if (arg) {
  const out = await run(JSON.parse(arg) as VariantJob);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
