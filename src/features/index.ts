export type {
  FeatureMatrix,
  IncrementalFeatures,
  IncrementalFeatureStream,
  Labels,
  NormColumnStats,
  NormStats,
} from './types.ts';
export { LABEL_BUY, LABEL_SELL, LABEL_HOLD, LABEL_NONE } from './types.ts';
export {
  featureSpec,
  featureNames,
  featureWarmup,
  featureSettingsFor,
  contextWarmup,
  WARMUP_DECAY_TOLERANCE,
} from './spec.ts';
export type { FeatureSpec, ContextSummarySpec } from './spec.ts';
export { computeFeatures } from './batch.ts';
export { ContextSeries } from './context.ts';
export type { FeatureContextSources, FeatureContextCandles } from './context.ts';
export {
  marketReferenceFor,
  contextPlanFor,
  assertContextStreamed,
  contextCandlesOf,
} from './context-plan.ts';
export type { ContextPlan, ContextSeriesKey } from './context-plan.ts';
export { createIncrementalFeatures } from './incremental.ts';
export {
  makeLabels,
  makeTripleBarrierLabels,
  labelsFor,
  classWeights,
  sampleWeights,
  classLabelOf,
} from './labels.ts';
export { realisedSigma, barrierDistances, barrierPrices, roundTripCosts, firstTouch } from './barriers.ts';
export type {
  BarrierSpec,
  BarrierDistances,
  BarrierPrices,
  BarrierOutcome,
  TripleBarrierSettings,
} from './barriers.ts';
export {
  fitNormalisation,
  applyNormalisation,
  normStatsFor,
  assertFeatureNames,
  parseNormStats,
  DEFAULT_NORM_CLIP,
  DEFAULT_MIN_ROWS_PER_SYMBOL,
} from './normalisation.ts';
export type { NormSlice, NormOptions } from './normalisation.ts';
export { selectWindows } from './windows.ts';
export type { DatasetSeries, SampleRef } from './windows.ts';
export { splitChronological } from './split.ts';
export type { SplitFractions, ChronologicalSplit } from './split.ts';
export { createBatchBuilder } from './batch-builder.ts';
export type { BatchBuilder, BatchBuilderOptions } from './batch-builder.ts';
export { labelParamsFor } from './params.ts';
export type { LabelParams, LabelMethod } from './params.ts';
export { gapBefore } from './gaps.ts';
export { slicesBefore } from './norm-slices.ts';
