import type { Config } from '../config/index.ts';
import type { StrategyPlugin } from './plugin.ts';
import { QuantileStrategy } from './quantile-strategy.ts';

/**
 * quantgate's strategy as a host sees it: the plugin contract, not the class behind it, so a
 * host depends only on `StrategyPlugin`. The host then calls `init` with its context (config,
 * logger, models, account view, decision recorder) and feeds closed candles to `onCandle`.
 */
export function createQuantgatePlugin(config: Config): StrategyPlugin {
  return new QuantileStrategy(config);
}
