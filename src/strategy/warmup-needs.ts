import type { Config } from '../config/index.ts';
import { timeframeMs } from '../core/types.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { contextWarmup, featureSpec, featureWarmup } from '../features/spec.ts';

/**
 * Candles each timeframe needs before the strategy can decide: feature warm-up plus the model's
 * window, and on the coarsest timeframe enough closes for the momentum trend filter. Its own light
 * file so the CLI computes it (backtest request) without loading the strategy, tfjs or ccxt.
 */
export function strategyWarmup(config: Config): {
  readonly warmup: Partial<Record<ModelTimeframe, number>>;
  readonly trendTimeframe: ModelTimeframe;
} {
  const timeframes = config.strategy.timeframes;
  const w: Partial<Record<ModelTimeframe, number>> = {};
  for (const tf of timeframes) w[tf] = featureWarmup(tf, config.features) + config.model.window;
  // Context series warm up on their own candles: a higher timeframe needs its summaries' history
  // (plus the row that closes before the consumer's first and one spare), as does the reference.
  for (const tf of timeframes) {
    const spec = featureSpec(tf, config.features);
    for (const c of [...(spec.market ? [spec.market] : []), ...spec.higher]) {
      const ctf = c.timeframe as ModelTimeframe;
      w[ctf] = Math.max(w[ctf] ?? 0, contextWarmup(c) + 2);
    }
  }
  const trendTimeframe = [...timeframes].sort((a, b) => timeframeMs(b) - timeframeMs(a))[0];
  if (config.strategy.fusion.trend === 'momentum') {
    // The lookback plus the day in progress and one spare, in candles of the trend timeframe.
    const days = config.strategy.fusion.trendLookbackDays + 2;
    const need = Math.ceil((days * 86_400_000) / timeframeMs(trendTimeframe));
    w[trendTimeframe] = Math.max(w[trendTimeframe] ?? 0, need);
  }
  return { warmup: w, trendTimeframe };
}
