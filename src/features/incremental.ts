import { FeatureKernel } from './kernel.ts';
import { featureSpec } from './spec.ts';
import type { Candle, Timeframe } from '../core/types.ts';
import type { FeaturesConfig } from '../config/index.ts';
import type { IncrementalFeatureStream } from './types.ts';

/**
 * Live feature computation for one series: O(1) state per candle (windowed statistics cost
 * O(window), never O(history)). After a gap in open times it warms up again and returns null for
 * `warmup` candles, exactly as the batch rows are NaN there.
 */
export function createIncrementalFeatures(tf: Timeframe, cfg: FeaturesConfig): IncrementalFeatureStream {
  const spec = featureSpec(tf, cfg);
  const kernel = new FeatureKernel(spec);
  const width = kernel.width;
  return {
    names: spec.names,
    warmup: spec.warmup,
    push(candle: Candle): Float32Array | null {
      const row = new Float32Array(width);
      return kernel.step(candle, row, 0) ? row : null;
    },
    get lastTimestamp() {
      return kernel.lastTimestamp;
    },
    get segmentLength() {
      return kernel.segmentLength;
    },
    reset() {
      kernel.reset();
    },
  };
}
