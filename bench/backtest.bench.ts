/**
 * Backtest throughput: candles/s end to end with TFT models on the wasm backend (features,
 * batched inference over the whole replay, the live Runtime + QuantileStrategy per candle), and
 * the replay alone once inference is precomputed. Reads ../shared/data when present (3 symbols,
 * 5m + 1h), else test/fixtures. Models: TFT-lite trained briefly (1 epoch) on data before the range.
 * Inference uses backtest.inferenceWorkers (default 1) worker threads beside the main thread.
 * Writes bench/results/backtest.json.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBacktestDeps, runBacktest, strategyTarget } from '../src/backtest/index.ts';
import type { ModelMap } from '../src/backtest/index.ts';
import { parseConfig } from '../src/config/index.ts';
import { createLogger, systemClock } from '../src/core/index.ts';
import type { ModelTimeframe } from '../src/core/index.ts';
import { loadForecaster, trainModel } from '../src/models/index.ts';

const shared = '/work/shared/data';
const useShared = existsSync(join(shared, 'binance/5m/BTCUSDT.csv'));
const dataDir = useShared ? shared : new URL('../test/fixtures/candles', import.meta.url).pathname;
const from = useShared ? Date.UTC(2021, 1, 1) : Date.UTC(2021, 6, 1);
const to = useShared ? Date.UTC(2021, 6, 17) : Date.UTC(2021, 6, 17);
const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const timeframes: ModelTimeframe[] = ['5m', '1h'];
const logger = createLogger({ level: 'warn' });
/** The default architecture (mlp) and the old one (tft), side by side in one run. */
const ARCHITECTURES = ['mlp', 'tft'] as const;
const configFor = (architecture: (typeof ARCHITECTURES)[number]) =>
  parseConfig({
    exchange: { name: 'binance', symbols },
    data: { dir: dataDir },
    strategy: { timeframes, executionTimeframe: '5m' },
    model: { architecture, epochs: 1, maxMinutes: 0.5 },
  });

const tmp = mkdtempSync(join(tmpdir(), 'qg-bench-bt-'));
const rows: Array<Record<string, unknown>> = [];
process.stdout.write(
  '| architecture | candles | end to end candles/s (target 20,000) | replay, inference precomputed (200,000) | end to end per CPU s | replay per CPU s | cache misses | load (1 min) |\n|---|---:|---:|---:|---:|---:|---|---:|\n',
);
try {
  for (const architecture of ARCHITECTURES) {
    const config = configFor(architecture);
    const models: ModelMap = {};
    for (const tf of timeframes) {
      const r = await trainModel({
        config,
        timeframe: tf,
        symbols,
        exchange: 'binance',
        dataDir,
        outDir: join(tmp, architecture, tf),
        to: from,
        clock: systemClock,
        logger,
      });
      models[tf] = await loadForecaster(r.modelDir, { timeframe: tf });
    }
    const deps = await createBacktestDeps(config, logger, strategyTarget);
    const req = {
      exchange: 'binance' as const,
      symbols,
      timeframes,
      executionTimeframe: '5m' as const,
      from,
      to,
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
    };
    // CPU seconds as well as wall seconds: on a shared box the wall figure mostly measures the load.
    // The replay's CPU is taken from its first progress report (10,000 candles in, after warm-up) to its last.
    let replayCpu0: { cpu: number; done: number } | undefined;
    let replayCpu = { seconds: NaN, candles: 0 };
    const cpuNow = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    const cpuStart = cpuNow();
    const r = await runBacktest(
      {
        ...req,
        onProgress: (phase, done, total) => {
          if (phase !== 'replay') return;
          if (!replayCpu0) replayCpu0 = { cpu: cpuNow(), done };
          else if (done === total)
            replayCpu = { seconds: cpuNow() - replayCpu0.cpu, candles: done - replayCpu0.done };
        },
      },
      { ...deps, loadModels: async () => models },
    );
    const cpuSeconds = cpuNow() - cpuStart;
    const misses = r.warnings.find((w) => w.includes('precomputed cache')) ?? 'none';
    const result = {
      architecture,
      data: useShared ? 'shared (3 symbols, 5m + 1h)' : 'fixtures',
      range: [new Date(from).toISOString(), new Date(to).toISOString()],
      models: Object.fromEntries(Object.entries(models).map(([tf, m]) => [tf, m!.version])),
      candles: r.candles,
      endToEndSeconds: r.seconds,
      endToEndCandlesPerSecond: r.candlesPerSecond,
      replaySeconds: r.replaySeconds,
      precomputedCandlesPerSecond: r.candles / r.replaySeconds,
      cpuSeconds,
      endToEndCandlesPerCpuSecond: r.candles / cpuSeconds,
      replayCpuSeconds: replayCpu.seconds,
      precomputedCandlesPerCpuSecond: replayCpu.candles / replayCpu.seconds,
      trades: r.metrics.trades,
      cacheMisses: misses,
      inferenceWorkers: config.backtest.inferenceWorkers,
      targets: { endToEnd: 20_000, precomputed: 200_000 },
      // Throughput on a shared 2-core box depends on what else runs: record the 1-minute load.
      loadAverage1m: loadavg()[0],
    };
    rows.push(result);
    process.stdout.write(
      `| ${architecture} | ${r.candles} | ${Math.round(result.endToEndCandlesPerSecond)} | ${Math.round(result.precomputedCandlesPerSecond)} | ${Math.round(result.endToEndCandlesPerCpuSecond)} | ${Math.round(result.precomputedCandlesPerCpuSecond)} | ${misses} | ${result.loadAverage1m.toFixed(1)} |\n`,
    );
  }
  mkdirSync(new URL('./results', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/backtest.json', import.meta.url),
    `${JSON.stringify({ targets: { endToEnd: 20_000, precomputed: 200_000 }, results: rows }, null, 2)}\n`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
