import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { backtestRequest } from '../../../src/cli/commands/backtest.ts';
import type { Config } from '../../../src/config/index.ts';
import { ManualClock, silentLogger } from '../../../src/core/index.ts';
import { initBackend, trainModel } from '../../../src/models/index.ts';
import type { SeriesCache } from '../../../src/models/index.ts';
import {
  addVersion,
  createCycleRunner,
  modelStoreContext,
  promoteVersion,
  readRegistry,
  rollbackActive,
  updateRegistry,
} from '../../../src/retrain/index.ts';
import type { WorkerHandle, WorkerLimits } from '../../../src/retrain/index.ts';
import { FIXTURE_STORE } from './data-groups.ts';
import { TINY } from './model-groups.ts';
import { MINIMAL, each } from './probe.ts';
import type { ProbeGroup } from './probe.ts';
import { probeDir } from './run-groups.ts';

/** Two hours after the last fixture 1h candle opened: the store is fresh for a 1h cycle. */
const NOW = Date.UTC(2021, 6, 17, 22);

/** A config whose data.modelsDir and data.stateDir (their last path part) live under `dir`. */
const under = (c: Config, dir: string): Config => ({
  ...c,
  data: {
    ...c.data,
    modelsDir: join(dir, basename(c.data.modelsDir)),
    stateDir: join(dir, basename(c.data.stateDir)),
  },
});

/**
 * The model store: two tiny 1h models trained (trainModel writes under data.modelsDir), registered
 * and promoted in turn with the context the cycle builds, then a rollback. Observed: the
 * directories written and the cool-down the rollback set.
 */
export const storeGroup: ProbeGroup = {
  base: { ...MINIMAL, model: TINY, data: { modelsDir: 'models', stateDir: 'state' } },
  async observe(configs: readonly Config[]): Promise<unknown[]> {
    await initBackend({ logger: silentLogger() });
    const cache: SeriesCache = new Map();
    const out: unknown[] = [];
    for (const c of configs) {
      const dir = probeDir('store');
      const config = under(c, dir);
      const clock = new ManualClock(NOW);
      const ctx = modelStoreContext(config, clock, silentLogger());
      for (const to of [Date.UTC(2021, 6, 1), Date.UTC(2021, 6, 10)]) {
        const r = await trainModel({
          config,
          timeframe: '1h',
          symbols: ['BTC/USDT'],
          exchange: 'binance',
          dataDir: FIXTURE_STORE,
          from: Date.UTC(2021, 5, 1),
          to,
          clock,
          logger: silentLogger(),
          seriesCache: cache,
        });
        clock.advance(60_000);
        await updateRegistry(ctx.registryPath, (reg) =>
          addVersion(
            reg,
            {
              version: r.version,
              timeframe: '1h',
              parent: null,
              trainingWindow: r.trainingWindow,
              dataHash: null,
              seed: 1,
              metrics: {},
            },
            new Date(clock.now()).toISOString(),
          ),
        );
        await promoteVersion(ctx, '1h', r.version, 'probe');
      }
      await rollbackActive(ctx, '1h', 'probe');
      out.push({
        dirs: readdirSync(dir).sort(),
        cooldownUntil: readRegistry(ctx.registryPath).cooldownUntil['1h'] ?? null,
      });
    }
    return out;
  },
};

/**
 * One retrain cycle of the 1h model on the fixture store, up to the training step: its registry
 * checks (a candidate in a shadow trial), the data step in its worker thread, and the request the
 * cycle hands the training worker (recorded by the cycle's trainer seam, which then reports a crash).
 */
export const cycleGroup: ProbeGroup = {
  base: { ...MINIMAL, data: { dir: FIXTURE_STORE, modelsDir: 'models', stateDir: 'state' } },
  async observe(configs: readonly Config[]): Promise<unknown[]> {
    return Promise.all(
      configs.map(async (c) => {
        const config = under(c, probeDir('cycle'));
        const ctx = modelStoreContext(config, new ManualClock(NOW), silentLogger());
        // A candidate left in its shadow trial by an earlier run of the bot.
        await updateRegistry(ctx.registryPath, (reg) =>
          addVersion(
            reg,
            {
              version: 'v-shadow',
              timeframe: '1h',
              parent: null,
              trainingWindow: null,
              dataHash: null,
              seed: 1,
              metrics: {},
              status: 'shadow',
            },
            new Date(NOW).toISOString(),
          ),
        );
        let handed: Omit<WorkerLimits, 'logger'> | null = null;
        const runner = createCycleRunner({
          config,
          clock: new ManualClock(NOW),
          logger: silentLogger(),
          alerts: { raise: () => undefined },
          train: (_req, limits): WorkerHandle => {
            handed = { memoryMb: limits.memoryMb, timeoutMs: limits.timeoutMs };
            return {
              outcome: Promise.resolve({
                ok: false,
                failure: 'crash',
                code: null,
                message: 'stopped by the probe',
                seconds: 0,
              }),
              terminate: async () => undefined,
            };
          },
        });
        const o = await runner.run('1h', 'probe');
        return { status: o.status, stage: o.stage, trainer: handed };
      }),
    );
  },
};

/** The backtest request `quantgate backtest` builds from the config (what the replay is handed). */
export const requestGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const r = backtestRequest(c, { from: '2021-07-01', to: '2021-07-02' });
    return { inferenceWorkers: r.inferenceWorkers };
  }),
};
