import { FeatureKernel } from './kernel.ts';
import { featureSpec } from './spec.ts';
import type { Candle, Timeframe } from '../core/types.ts';
import type { FeaturesConfig } from '../config/index.ts';
import type { FeatureMatrix } from './types.ts';

/**
 * Feature rows for a whole candle series (training, backtest). Row i depends only on candles
 * 0..i of the contiguous segment containing i; rows within `warmup` candles of the start or of a
 * gap are NaN. Same kernel as the streaming path, so the rows equal it bit for bit.
 */
export function computeFeatures(
  candles: readonly Candle[],
  tf: Timeframe,
  cfg: FeaturesConfig,
): FeatureMatrix {
  const spec = featureSpec(tf, cfg);
  const kernel = new FeatureKernel(spec);
  const w = kernel.width;
  const rows = new Float32Array(candles.length * w);
  let firstValid = candles.length;
  for (let i = 0; i < candles.length; i++) {
    if (kernel.step(candles[i], rows, i * w) && firstValid === candles.length) firstValid = i;
  }
  return { names: spec.names, rows, length: candles.length, firstValid, warmup: spec.warmup };
}
