import { join } from 'node:path';
import type { Config } from '../../../src/config/index.ts';
import type { Clock } from '../../../src/core/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
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
