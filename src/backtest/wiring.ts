import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import { systemClock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { isQuantgateError } from '../core/errors.ts';
import { timeframeMs } from '../core/types.ts';
import type { Candle, ModelTimeframe } from '../core/types.ts';
import { computeFeatures, labelParamsFor, makeLabels } from '../features/index.ts';
import {
  BASELINE_LOOKBACK,
  activeVersionDir,
  initBackend,
  loadForecaster,
  trainModel,
} from '../models/index.ts';
import { baselineModels, feedBaselineOutcomes } from './baseline.ts';
import type { BaselineSpec } from './baseline.ts';
import type { LabelRule } from './calibration.ts';
import { csvSource } from './csv-source.ts';
import type { ReplayTarget } from './engine.ts';
import type { BacktestDeps, ModelMap, TargetContext } from './run.ts';

/** Builds the plugin + risk manager + paper broker behind the shared per-candle step. */
export type TargetBuilder = (config: Config, ctx: TargetContext, logger: Logger) => Promise<ReplayTarget>;

/** The same BUY/SELL/HOLD rule as training (features' makeLabels), applied at one candle. */
function labelRule(config: Config): LabelRule {
  return (tf, candles, i, horizon) => {
    const p = labelParamsFor(config, tf as ModelTimeframe);
    const lo = Math.max(0, i - p.volWindow - 1);
    const slice = candles.slice(lo, Math.min(candles.length, i + horizon + 1));
    const code = makeLabels(slice, horizon, p.k, p.volWindow, tf).classes[i - lo];
    return code >= 0 ? code : null;
  };
}

export async function createBacktestDeps(
  config: Config,
  logger: Logger,
  buildTarget: TargetBuilder,
): Promise<BacktestDeps> {
  await initBackend({ logger });
  const exchange = config.exchange.name;
  const source = csvSource(config.data.dir, exchange, config.data.skipBadRows);
  const tfs = config.strategy.timeframes;
  const horizons = Object.fromEntries(tfs.map((tf) => [tf, labelParamsFor(config, tf).horizon])) as Record<
    ModelTimeframe,
    number
  >;
  const lp = labelParamsFor(config, '5m');
  const spec: BaselineSpec = { horizons, k: lp.k, volWindow: lp.volWindow, lookback: BASELINE_LOOKBACK };
  const wfDir = mkdtempSync(join(tmpdir(), 'quantgate-wf-'));
  process.once('exit', () => rmSync(wfDir, { recursive: true, force: true }));

  return {
    source,
    computeFeatures: (candles, tf) => computeFeatures(candles, tf, config.features),
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
    async trainModels(_data: Record<string, Partial<Record<string, Candle[]>>>, slot): Promise<ModelMap> {
      const out: ModelMap = {};
      for (const tf of tfs) {
        // Candles that closed by the retrain point: open time ≤ trainTo − one candle.
        const r = await trainModel({
          config,
          timeframe: tf,
          symbols: config.exchange.symbols,
          exchange,
          dataDir: config.data.dir,
          outDir: join(wfDir, tf, String(slot.trainTo)),
          to: slot.trainTo - timeframeMs(tf) + 1,
          clock: systemClock,
          logger,
        }).catch((e: unknown) => {
          // Too little gap-free history for this timeframe yet: the window runs without it (reported).
          if (isQuantgateError(e) && e.code === 'INSUFFICIENT_HISTORY') {
            logger.warn({ timeframe: tf, err: e.message }, 'walk-forward: timeframe not trained');
            return null;
          }
          throw e;
        });
        if (r) out[tf] = await loadForecaster(r.modelDir, { timeframe: tf });
      }
      return out;
    },
    baselineModels: () => baselineModels(tfs, spec),
    createTarget: async (ctx) =>
      feedBaselineOutcomes(await buildTarget(config, ctx, logger), ctx.models, spec),
    label: labelRule(config),
    logger,
  };
}
