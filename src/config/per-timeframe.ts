import type { ModelTimeframe } from '../core/types.ts';
import type { Config, ModelConfig } from './schema.ts';

// No schema code here (types only): the CLI's command files use these without loading zod.

/** The model settings for one timeframe: `model` with `modelOverrides[tf]` on top. */
export function modelConfigFor(config: Config, tf: ModelTimeframe): ModelConfig {
  const o = config.modelOverrides[tf] ?? {};
  const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...config.model, ...defined } as ModelConfig;
}

/**
 * The label horizon (in candles of `tf`) for one timeframe. On the execution timeframe an explicit
 * `strategy.exits.maxHoldCandles` wins: the label (and the forecast's forward return) is then the
 * outcome of exactly the trade the bot would place, held at most that long.
 */
export function horizonFor(config: Config, tf: ModelTimeframe): number {
  const defaults: Record<ModelTimeframe, number> = { '5m': 12, '1h': 6, '12h': 2, '1d': 1 };
  const maxHold = config.strategy.exits.maxHoldCandles;
  if (tf === config.strategy.executionTimeframe && maxHold !== undefined) return maxHold;
  return config.labels.horizon[tf] ?? defaults[tf];
}
