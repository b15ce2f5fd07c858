import { join } from 'node:path';
import { createBacktestDeps, runBacktest, strategyTarget } from '../../../src/backtest/index.ts';
import { backtestRequest } from '../../../src/cli/commands/backtest.ts';
import type { Config } from '../../../src/config/index.ts';
import type { Clock } from '../../../src/core/index.ts';
import { createLogger, silentLogger } from '../../../src/core/index.ts';
import { initBackend, trainModel } from '../../../src/models/index.ts';
import type { SeriesCache, TrainModelResult } from '../../../src/models/index.ts';
import { FIXTURE_STORE } from './data-groups.ts';
import { MINIMAL } from './probe.ts';
import type { ProbeGroup } from './probe.ts';
import { probeDir } from './run-groups.ts';

/** A model small enough to train in well under a second on 1h candles from June 2021. */
export const TINY = {
  architecture: 'mlp',
  window: 4,
  hidden: 4,
  epochs: 2,
  batchSize: 64,
  maxTrainSamples: 400,
  split: { train: 0.55, validation: 0.15, calibration: 0.15 },
};
const FROM = Date.UTC(2021, 5, 1);
const PARENT_TO = Date.UTC(2021, 6, 1);

/** Each clock read is one second later: a deterministic budget for model.maxMinutes. */
const steppingClock = (): Clock => {
  let t = Date.UTC(2022, 0, 1);
  return { now: () => (t += 1000) };
};

/** What a training produced, without wall-time figures. */
function digest(r: TrainModelResult): unknown {
  const { seconds: _s, ...training } = r.training;
  return {
    samples: r.samples,
    training,
    calibration: r.calibration,
    metrics: r.metrics,
    architecture: r.architecture,
    warmStart: r.warmStart,
  };
}

interface TrainArgs {
  readonly config: Config;
  readonly out: string;
  readonly to?: number;
  readonly parentDir?: string;
  readonly cache: SeriesCache;
}

const train = (a: TrainArgs): Promise<TrainModelResult> =>
  trainModel({
    config: a.config,
    timeframe: '1h',
    symbols: ['BTC/USDT'],
    exchange: 'binance',
    dataDir: FIXTURE_STORE,
    outDir: a.out,
    from: FROM,
    to: a.to,
    parentDir: a.parentDir,
    clock: steppingClock(),
    logger: silentLogger(),
    seriesCache: a.cache,
  });

/**
 * The training pipeline (trainModel: windows, split, network, training loop, calibration) on
 * fixture 1h BTC/USDT candles, one tiny model per config: sample counts, training history,
 * calibration and test metrics.
 */
export const modelGroup: ProbeGroup = {
  base: { ...MINIMAL, model: TINY },
  async observe(configs: readonly Config[]): Promise<unknown[]> {
    await initBackend({ logger: silentLogger() });
    const dir = probeDir('model');
    const cache: SeriesCache = new Map();
    const out: unknown[] = [];
    for (const [i, config] of configs.entries())
      out.push(digest(await train({ config, out: join(dir, String(i)), cache })));
    return out;
  },
};

/**
 * A retrain warm-started from a parent trained on candles before July 2021 (model.warmStart):
 * whether the parent's weights were used, how many new and replayed samples, the epochs run.
 */
export const warmStartGroup: ProbeGroup = {
  base: { ...MINIMAL, model: TINY },
  async observe(configs: readonly Config[]): Promise<unknown[]> {
    await initBackend({ logger: silentLogger() });
    const dir = probeDir('warm');
    const cache: SeriesCache = new Map();
    const parent = join(dir, 'parent');
    await train({ config: configs[0], out: parent, to: PARENT_TO, cache });
    const out: unknown[] = [];
    for (const [i, config] of configs.entries())
      out.push(digest(await train({ config, out: join(dir, String(i)), parentDir: parent, cache })));
    return out;
  },
};

/**
 * A walk-forward backtest (1h models retrained per window on the fixture candles, through the real
 * window trainer and runtime target) of BTC/USDT from 2021-07-10 to 07-13: the windows, which
 * window's model served each (first-seen order), trades, and the pool the trainer reports.
 */
export const walkForwardGroup: ProbeGroup = {
  base: {
    exchange: { name: 'binance', symbols: ['BTC/USDT'], warmupCandles: 100 },
    data: { dir: FIXTURE_STORE },
    model: TINY,
    strategy: { timeframes: ['1h'], executionTimeframe: '1h', fusion: { trend: 'off' } },
    backtest: { walkForwardDays: 1, trainWorkers: 0 },
  },
  async observe(configs: readonly Config[]): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const c of configs) {
      const dir = probeDir('wf');
      const config: Config = {
        ...c,
        data: { ...c.data, modelsDir: join(dir, 'models'), stateDir: join(dir, 'state') },
      };
      const lines: Array<Record<string, unknown>> = [];
      const logger = createLogger({
        level: 'info',
        format: 'json',
        destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
      });
      const deps = await createBacktestDeps(config, logger, strategyTarget, {
        modelCache: join(dir, 'cache'),
      });
      const request = backtestRequest(config, { from: '2021-07-10', to: '2021-07-13', walkForward: true });
      const r = await runBacktest({ ...request, skipBaseline: true }, deps);
      const seen: string[] = [];
      const served = (v: string): number => (seen.includes(v) ? seen.indexOf(v) : seen.push(v) - 1);
      out.push({
        windows: r.windows.map((w) => [w.trainTo, w.testFrom, w.testTo, served(w.modelVersions['1h'] ?? '')]),
        trades: r.metrics.trades,
        trainerWorkers: lines.find((l) => l.msg === 'walk-forward models')?.workers ?? null,
      });
    }
    return out;
  },
};
