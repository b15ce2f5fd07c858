import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import type { Logger } from '../core/logger.ts';
import { MODEL_TIMEFRAMES } from '../core/types.ts';
import type { ModelTimeframe } from '../core/types.ts';
import {
  computeFeatures,
  contextCandlesOf,
  contextPlanFor,
  labelParamsFor,
  labelsFor,
} from '../features/index.ts';
import {
  BASELINE_LOOKBACK,
  activeVersionDir,
  initBackend,
  loadForecaster,
  maxAbsReturnFor,
} from '../models/index.ts';
import { baselineModels, feedBaselineOutcomes } from './baseline.ts';
import type { BaselineSpec } from './baseline.ts';
import type { LabelRule } from './calibration.ts';
import { csvSource } from './csv-source.ts';
import type { ReplayTarget } from './engine.ts';
import type { BacktestDeps, ModelMap, TargetContext } from './run.ts';
import { createWindowTrainer, trainingKey } from './window-models.ts';
import type { WindowTrainer } from './window-models.ts';

/** Builds the plugin + risk manager + paper broker behind the shared per-candle step. */
export type TargetBuilder = (config: Config, ctx: TargetContext, logger: Logger) => Promise<ReplayTarget>;

/** The same BUY/SELL/HOLD rule as training (features' makeLabels), over a whole series. */
function labelRule(config: Config): LabelRule {
  return (tf, candles, horizon) => {
    const p = labelParamsFor(config, tf as ModelTimeframe);
    return labelsFor(candles, { ...p, horizon }, tf).classes;
  };
}

export interface BacktestDepsOptions {
  /**
   * --model-cache: keep walk-forward window models under `<dir>/<training key>/` and reuse them
   * (default: a temporary directory removed at exit).
   */
  readonly modelCache?: string;
}

export async function createBacktestDeps(
  config: Config,
  logger: Logger,
  buildTarget: TargetBuilder,
  opts: BacktestDepsOptions = {},
): Promise<BacktestDeps> {
  await initBackend({ logger });
  const exchange = config.exchange.name;
  const source = csvSource(config.data.dir, exchange, config.data.skipBadRows, config.data.format);
  const tfs = config.strategy.timeframes;
  const horizons = Object.fromEntries(tfs.map((tf) => [tf, labelParamsFor(config, tf).horizon])) as Record<
    ModelTimeframe,
    number
  >;
  const labels = Object.fromEntries(tfs.map((tf) => [tf, labelParamsFor(config, tf)]));
  const spec: BaselineSpec = { horizons, labels, lookback: BASELINE_LOOKBACK };
  let trainer: WindowTrainer | undefined;
  // Created on the first walk-forward only (hold-out evaluations build these deps too).
  const windowTrainer = (): WindowTrainer => {
    if (trainer) return trainer;
    let root: string;
    if (opts.modelCache) root = join(opts.modelCache, trainingKey(config));
    else {
      const tmp = mkdtempSync(join(tmpdir(), 'quantgate-wf-'));
      process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
      root = tmp;
    }
    logger.info({ dir: root, workers: config.backtest.trainWorkers }, 'walk-forward models');
    return (trainer = createWindowTrainer({ config, logger, root, workers: config.backtest.trainWorkers }));
  };

  return {
    source,
    maxAbsReturn: (tf) =>
      (MODEL_TIMEFRAMES as readonly string[]).includes(tf)
        ? maxAbsReturnFor(config, tf as ModelTimeframe)
        : undefined,
    computeFeatures: (candles, tf, ctx) =>
      computeFeatures(
        candles,
        tf,
        config.features,
        ctx &&
          contextCandlesOf(
            contextPlanFor(ctx.symbol, tf, config.features, config.exchange.symbols),
            (k) => ctx.candlesOf(k.symbol, k.timeframe),
            "the backtest's replayed series (exchange.symbols × strategy.timeframes)",
          ),
      ),
    async loadModels(): Promise<ModelMap> {
      const out: ModelMap = {};
      for (const tf of tfs) {
        const dir = activeVersionDir(config.data.modelsDir, tf);
        if (dir === null) continue;
        out[tf] = await loadForecaster(dir, { timeframe: tf });
        logger.info({ timeframe: tf, version: out[tf]!.version }, 'model loaded');
      }
      return out;
    },
    trainModels: (_data, slot) => windowTrainer().models(slot),
    planTraining: (slots) => windowTrainer().plan(slots),
    stopTraining: async () => trainer?.stop(),
    baselineModels: () => baselineModels(tfs, spec),
    createTarget: async (ctx) =>
      feedBaselineOutcomes(await buildTarget(config, ctx, logger), ctx.models, spec),
    label: labelRule(config),
    logger,
  };
}
