/**
 * Backtest throughput: candles/s end to end with TFT models on the wasm backend (features,
 * batched inference over the whole replay, the live Runtime + QuantileStrategy per candle), and
 * the replay alone once inference is precomputed. Reads ../shared/data when present (3 symbols,
 * 5m + 1h), else test/fixtures. Models: TFT-lite trained briefly (1 epoch) on data before the range.
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
const config = parseConfig({
  exchange: { name: 'binance', symbols },
  data: { dir: dataDir },
  strategy: { timeframes, executionTimeframe: '5m' },
  model: { architecture: 'tft', epochs: 1, maxMinutes: 0.5 },
});

const tmp = mkdtempSync(join(tmpdir(), 'qg-bench-bt-'));
try {
  const models: ModelMap = {};
  for (const tf of timeframes) {
    const r = await trainModel({
      config,
      timeframe: tf,
      symbols,
      exchange: 'binance',
      dataDir,
      outDir: join(tmp, tf),
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
  };
  const r = await runBacktest(req, { ...deps, loadModels: async () => models });
  const misses = r.warnings.find((w) => w.includes('precomputed cache')) ?? 'none';
  const result = {
    data: useShared ? 'shared (3 symbols, 5m + 1h)' : 'fixtures',
    range: [new Date(from).toISOString(), new Date(to).toISOString()],
    models: Object.fromEntries(Object.entries(models).map(([tf, m]) => [tf, m!.version])),
    candles: r.candles,
    endToEndSeconds: r.seconds,
    endToEndCandlesPerSecond: r.candlesPerSecond,
    replaySeconds: r.replaySeconds,
    precomputedCandlesPerSecond: r.candles / r.replaySeconds,
    trades: r.metrics.trades,
    cacheMisses: misses,
    targets: { endToEnd: 20_000, precomputed: 200_000 },
    // Throughput on a shared 2-core box depends on what else runs: record the 1-minute load.
    loadAverage1m: loadavg()[0],
  };
  mkdirSync(new URL('./results', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/backtest.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `| measure | value | target |\n|---|---:|---:|\n| candles | ${r.candles} | |\n| end to end (TFT, wasm) candles/s | ${Math.round(result.endToEndCandlesPerSecond)} | ≥ 20,000 |\n| replay with inference precomputed candles/s | ${Math.round(result.precomputedCandlesPerSecond)} | ≥ 200,000 |\n| cache misses | ${misses} | none |\n`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
