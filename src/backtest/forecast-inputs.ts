import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Config } from '../config/index.ts';

/**
 * Everything in the configuration that the forecasts a backtest serves depend on, besides training
 * (window-models.ts' trainingKey): which candles are read (the data section, exchange, symbols),
 * which series are replayed and from how far back (timeframes, execution timeframe,
 * warm-up), the feature pipeline that turns them into model inputs, the deployed models
 * (data.modelsDir) and the walk-forward windows. A setting outside both keys only changes what
 * the strategy does with the same forecasts — the rule `quantgate sweep` uses to decide what it
 * may vary without retraining or re-predicting.
 */
export function forecastInputs(config: Config): Record<string, unknown> {
  return {
    // The whole data section (store, format, bad-row policy, models directory): a data key added
    // later counts as a forecast input until someone shows otherwise.
    data: { ...config.data, dir: resolve(config.data.dir), modelsDir: resolve(config.data.modelsDir) },
    exchange: [config.exchange.name, config.exchange.market, config.exchange.symbols],
    series: [config.strategy.timeframes, config.strategy.executionTimeframe, config.exchange.warmupCandles],
    features: config.features,
    windows: config.backtest.walkForwardDays,
  };
}

export function forecastInputsKey(config: Config): string {
  return createHash('sha256')
    .update(JSON.stringify(forecastInputs(config)))
    .digest('hex')
    .slice(0, 12);
}
