import { contextSeriesOf, needsContext, ownWidth, writeContext } from './context.ts';
import type { FeatureContextSources } from './context.ts';
import { FeatureKernel } from './kernel.ts';
import { featureSpec } from './spec.ts';
import type { Candle, Timeframe } from '../core/types.ts';
import type { FeaturesConfig } from '../config/index.ts';
import type { IncrementalFeatureStream } from './types.ts';

/**
 * Live feature computation for one series: O(1) state per candle (windowed statistics cost
 * O(window), never O(history)). After a gap in open times it warms up again and returns null for
 * `warmup` candles, exactly as the batch rows are NaN there. With context groups, `context` holds
 * the series the caller feeds (the market reference, higher timeframes); a row whose context is
 * missing is null, as it is NaN in batch.
 */
export function createIncrementalFeatures(
  tf: Timeframe,
  cfg: FeaturesConfig,
  context?: FeatureContextSources,
): IncrementalFeatureStream {
  const spec = featureSpec(tf, cfg);
  const kernel = new FeatureKernel(spec);
  const width = kernel.width;
  const series = needsContext(spec) ? contextSeriesOf(spec, context) : [];
  const own = ownWidth(spec);
  return {
    names: spec.names,
    warmup: spec.warmup,
    push(candle: Candle): Float32Array | null {
      const row = new Float32Array(width);
      if (!kernel.step(candle, row, 0)) return null;
      if (series.length > 0 && !writeContext(series, candle.timestamp + spec.tfMs, row, own)) return null;
      return row;
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
