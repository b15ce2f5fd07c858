import { ContextSeries, needsContext, ownWidth, writeContext } from './context.ts';
import type { FeatureContextCandles } from './context.ts';
import { FeatureKernel } from './kernel.ts';
import { featureSpec } from './spec.ts';
import type { FeatureSpec } from './spec.ts';
import { QuantgateError } from '../core/errors.ts';
import type { Candle, Timeframe } from '../core/types.ts';
import type { FeaturesConfig } from '../config/index.ts';
import type { FeatureMatrix } from './types.ts';

/** A context series and the cursor of its candles still to be pushed. */
interface ContextFeed {
  readonly series: ContextSeries;
  readonly candles: readonly Candle[];
  next: number;
}

function feedsOf(spec: FeatureSpec, context: FeatureContextCandles | undefined): ContextFeed[] {
  const feeds: ContextFeed[] = [];
  const need = (what: string, c: readonly Candle[] | undefined): readonly Candle[] => {
    if (c) return c;
    throw new QuantgateError('INTERNAL', `features: ${spec.timeframe} features need ${what} candles`);
  };
  if (spec.market)
    feeds.push({
      series: new ContextSeries(spec.market),
      candles: need('the market reference', context?.market),
      next: 0,
    });
  for (const h of spec.higher)
    feeds.push({
      series: new ContextSeries(h),
      candles: need(`the ${h.timeframe}`, context?.higher?.[h.timeframe]),
      next: 0,
    });
  return feeds;
}

/**
 * Feature rows for a whole candle series (training, backtest). Row i depends only on candles
 * 0..i of the contiguous segment containing i (and, with context groups, on context candles that
 * closed before row i closed); rows within `warmup` candles of the start or of a gap, or without
 * their context, are NaN. Same kernel and context code as the streaming path, fed in the same
 * close-time order, so the rows equal it bit for bit.
 */
export function computeFeatures(
  candles: readonly Candle[],
  tf: Timeframe,
  cfg: FeaturesConfig,
  context?: FeatureContextCandles,
): FeatureMatrix {
  const spec = featureSpec(tf, cfg);
  const kernel = new FeatureKernel(spec);
  const w = kernel.width;
  const rows = new Float32Array(candles.length * w);
  const feeds = needsContext(spec) ? feedsOf(spec, context) : [];
  const series = feeds.map((f) => f.series);
  const own = ownWidth(spec);
  let firstValid = candles.length;
  for (let i = 0; i < candles.length; i++) {
    let ok = kernel.step(candles[i], rows, i * w);
    if (feeds.length > 0) {
      const closeTime = candles[i].timestamp + spec.tfMs;
      // Every context candle that closed before this row did: what a live plugin has seen by then.
      for (const f of feeds)
        while (f.next < f.candles.length && f.candles[f.next].timestamp + f.series.spec.tfMs < closeTime)
          f.series.push(f.candles[f.next++]);
      if (ok && !writeContext(series, closeTime, rows, i * w + own)) {
        rows.fill(NaN, i * w, (i + 1) * w);
        ok = false;
      }
    }
    if (ok && firstValid === candles.length) firstValid = i;
  }
  return { names: spec.names, rows, length: candles.length, firstValid, warmup: spec.warmup };
}
