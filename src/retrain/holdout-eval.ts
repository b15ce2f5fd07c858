import { runBacktest } from '../backtest/index.ts';
import type { BacktestDeps, BacktestRequest, ModelMap, PerformanceMetrics } from '../backtest/index.ts';
import type { Config } from '../config/index.ts';
import { horizonFor } from '../config/index.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { MODEL_TIMEFRAMES } from '../core/types.ts';
import { activeVersionDir, evaluateModel, loadForecaster } from '../models/index.ts';
import type { Forecaster, ForecastMetrics } from '../models/index.ts';
import { gateFigures } from './gate.ts';
import type { GateFigures } from './gate.ts';

/** The later-in-time slice a candidate never trained on: candles opening in [from, to). */
export interface Holdout {
  readonly from: number;
  readonly to: number;
}

export interface HoldoutFigures {
  readonly figures: GateFigures;
  readonly forecast: ForecastMetrics;
  readonly performance: PerformanceMetrics;
  /** The 20-day momentum rule on the same hold-out: what a one-line rule made there. */
  readonly momentum: PerformanceMetrics;
}

export interface HoldoutContext {
  readonly config: Config;
  readonly logger: Logger;
  /** Built once per cycle runner (createBacktestDeps); its loadModels is replaced per run. */
  readonly deps: BacktestDeps;
}

function backtestRequest(config: Config, h: Holdout): BacktestRequest {
  return {
    exchange: config.exchange.name,
    symbols: config.exchange.symbols,
    timeframes: config.strategy.timeframes,
    executionTimeframe: config.strategy.executionTimeframe,
    from: h.from,
    to: h.to,
    walkForward: false,
    walkForwardDays: config.backtest.walkForwardDays,
    warmupCandles: config.exchange.warmupCandles,
    horizons: Object.fromEntries(MODEL_TIMEFRAMES.map((tf) => [tf, horizonFor(config, tf)])) as Record<
      ModelTimeframe,
      number
    >,
    startingBalance: config.paper.startingBalance,
    fee: config.exchange.takerFee,
    slippage: config.paper.slippageBps / 10_000,
    riskFreeRate: config.backtest.riskFreeRate,
    skipBaseline: true,
    momentum: { lookbackDays: 20, allowShort: config.exchange.market === 'swap' },
  };
}

/**
 * The strategy's other timeframes, identical for candidate and active run so only `tf` differs:
 * their ACTIVE versions, or the rolling-quantile baseline where a timeframe has none (yet).
 */
async function otherModels(
  ctx: HoldoutContext,
  tf: ModelTimeframe,
): Promise<{ models: ModelMap; owned: Forecaster[] }> {
  const models: ModelMap = {};
  const owned: Forecaster[] = [];
  const baselines = ctx.deps.baselineModels();
  for (const other of ctx.config.strategy.timeframes) {
    if (other === tf) continue;
    const dir = activeVersionDir(ctx.config.data.modelsDir, other);
    if (dir !== null)
      try {
        const f = await loadForecaster(dir, { timeframe: other });
        owned.push(f);
        models[other] = f;
        continue;
      } catch (e) {
        ctx.logger.warn(
          { timeframe: other, dir, err: describeError(e) },
          'gate backtest: the active model of another timeframe did not load; its baseline stands in',
        );
      }
    models[other] = baselines[other];
  }
  return { models, owned };
}

/**
 * Forecast quality (evaluateModel) and trading performance (the real backtest engine, the
 * configured strategy) of one model version on the held-out slice.
 */
export async function evaluateOnHoldout(
  ctx: HoldoutContext,
  tf: ModelTimeframe,
  modelDir: string,
  h: Holdout,
): Promise<HoldoutFigures> {
  const { config, logger } = ctx;
  const forecast = await evaluateModel({
    config,
    modelDir,
    symbols: config.exchange.symbols,
    exchange: config.exchange.name,
    dataDir: config.data.dir,
    from: h.from,
    to: h.to,
    logger,
  });
  const model = await loadForecaster(modelDir, { timeframe: tf });
  const others = await otherModels(ctx, tf);
  try {
    const models: ModelMap = { ...others.models, [tf]: model };
    const result = await runBacktest(backtestRequest(config, h), {
      ...ctx.deps,
      loadModels: () => Promise.resolve(models),
    });
    return {
      figures: gateFigures(result.metrics, forecast),
      forecast,
      performance: result.metrics,
      momentum: result.momentum,
    };
  } finally {
    model.dispose();
    for (const f of others.owned) f.dispose();
  }
}
