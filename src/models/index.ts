export type { Forecaster, ForecastInput } from './forecaster.ts';
export { ForwardingForecaster } from './forecaster.ts';

// D1: networks, training loop, artifacts, backend.
export type { BackendInfo, BackendName, BackendOptions } from './backend.ts';
export { initBackend } from './backend.ts';
export type { CalibrationParams } from './calibration-types.ts';
export { IDENTITY_CALIBRATION } from './calibration-types.ts';
export type { Network, NetworkArchitecture, NetworkOutput, NetworkSpec, RawPredictions } from './network.ts';
export {
  createNetwork,
  networkSpecFromConfig,
  parameterCount,
  predictArrays,
  softmaxRows,
  validateSpec,
} from './network.ts';
export type { FeatureNormaliser, NormalisationParams, NormStats } from './normaliser.ts';
export { isNormalisationParams, zScoreNormaliser } from './normaliser.ts';
export type {
  BatchProvider,
  EpochRecord,
  StopReason,
  TrainData,
  TrainOptions,
  TrainProgress,
  TrainResult,
} from './train-loop.ts';
export { estimateTargetScale, evaluateLoss, trainNetwork } from './train-loop.ts';
export type { NetworkForecasterOptions } from './network-forecaster.ts';
export { NetworkForecaster } from './network-forecaster.ts';
export { clipByGlobalNorm } from './optimizer.ts';
export type {
  ArtifactExpectations,
  ArtifactMeta,
  InvalidReason,
  LoadedArtifact,
  Manifest,
  ModelFile,
  TrainingWindow,
  WeightEntry,
} from './artifact.ts';
export { loadArtifact, loadForecaster, networkFromArtifact, saveArtifact } from './artifact.ts';

// D2: calibration, metrics, rolling-quantile baseline, train/evaluate pipeline.
export type { QuantileCalibration, OnlineConformalState } from './calibration.ts';
export {
  applyQuantileOffsets,
  applyTemperature,
  fitQuantileOffsets,
  fitTemperature,
  initOnlineConformal,
  onlineOffsets,
  updateOnlineConformal,
} from './calibration.ts';
export type { ClassProbs, ForecastMetrics, MetricsInput, QuantileTriple } from './metrics.ts';
export { CLASS_ORDER, EXCEEDANCE_TARGET, classFrequencies, computeMetrics } from './metrics.ts';
export type { BaselinePoint, RollingQuantileForecasterOptions } from './rolling-quantile.ts';
export { RollingOutcomes, RollingQuantileForecaster, rollingBaseline } from './rolling-quantile.ts';
export type { TrainModelOptions, TrainModelResult } from './pipeline.ts';
export { MIN_SAMPLES, trainModel } from './pipeline.ts';
export type { EvaluateModelOptions, PipelineMeta } from './pipeline-evaluate.ts';
export { BASELINE_LOOKBACK, evaluateModel } from './pipeline-evaluate.ts';
export type { CandleLoader, SeriesCache } from './pipeline-data.ts';
export { maxAbsReturnFor } from './pipeline-data.ts';
export type { WarmStartRecord } from './warm-start.ts';
export { activateIfNone, activeVersionDir, newVersion, versionDir } from './registry-paths.ts';
export type { FeatureEdges } from './feature-edges.ts';
export { binFractions, binOf, featureEdgesOf, fitFeatureEdges } from './feature-edges.ts';
