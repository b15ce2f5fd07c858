import { modelConfigFor } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import { featureWarmup } from '../features/index.ts';

/**
 * Candles of history each strategy timeframe needs before its first forecast: the feature warm-up
 * plus the model window. A long feature span (a 1-week HAR span is 2016 5m candles) can exceed
 * `exchange.warmupCandles`; then a live run forecasts nothing until that much history has streamed
 * in. Returns one line per such timeframe (empty when the warm-up covers every timeframe).
 */
export function warmupShortfalls(config: Config): string[] {
  const have = config.exchange.warmupCandles;
  const out: string[] = [];
  for (const tf of config.strategy.timeframes) {
    const features = featureWarmup(tf, config.features);
    const need = features + modelConfigFor(config, tf).window;
    if (need > have)
      out.push(
        `exchange.warmupCandles: ${have} candles is less than the ${need} the ${tf} features (warm-up ${features}) and model window need: no ${tf} forecast until ${need - have} more candles have streamed in; raise it or shorten features.har.hours / the feature windows for ${tf}`,
      );
  }
  return out;
}
