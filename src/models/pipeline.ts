import type { Config } from '../config/index.ts';
import { modelConfigFor } from '../config/index.ts';
import type { Clock } from '../core/clock.ts';
import { QuantgateError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ExchangeId, ModelTimeframe } from '../core/types.ts';
import { saveArtifact } from './artifact.ts';
import { initBackend } from './backend.ts';
import type { CalibrationParams } from './calibration-types.ts';
import { IDENTITY_CALIBRATION } from './calibration-types.ts';
import { fitQuantileOffsets, fitTemperature } from './calibration.ts';
import type { DatasetSeries, SampleRef } from '../features/index.ts';
import { classLabelOf, labelParamsFor, selectWindows, splitChronological } from '../features/index.ts';
import type { ForecastMetrics } from './metrics.ts';
import { classFrequencies } from './metrics.ts';
import { fitFeatureEdges } from './feature-edges.ts';
import { createNetwork, networkSpecFromConfig } from './network.ts';
import { NetworkForecaster } from './network-forecaster.ts';
import { zScoreNormaliser } from './normaliser.ts';
import { batchProvider, fitNormalisation } from './pipeline-batches.ts';
import { loadDatasetSeries, maxAbsReturnFor } from './pipeline-data.ts';
import type { SeriesCache } from './pipeline-data.ts';
import { BASELINE_LOOKBACK, metricsOnSamples, predictRawOn } from './pipeline-evaluate.ts';
import { conformalScaling, scaleAt } from './conformal-scale.ts';
import type { PipelineMeta } from './pipeline-evaluate.ts';
import { newVersion, versionDir } from './registry-paths.ts';
import { estimateTargetScale, trainNetwork } from './train-loop.ts';
import type { TrainProgress } from './train-loop.ts';
import { fineTuneSet, planWarmStart } from './warm-start.ts';
import type { WarmStartRecord } from './warm-start.ts';
import { networkFromArtifact } from './artifact.ts';
import type { NormalisationParams } from './normaliser.ts';
import type { Network, NetworkSpec } from './network.ts';
import { volatilitySourceFor } from './vol-scale.ts';
import type { VolatilitySource } from './vol-scale.ts';

/**
 * train → calibrate → evaluate → save, for one timeframe:
 *   1. candles of every symbol from the CSV store (optionally cut to [from, to)), features, labels;
 *   2. usable samples (complete, gap-free windows and horizons) split by issue time into
 *      train / validation / calibration / test (test = 1 − the others; empty by default);
 *   3. normalisation fitted on the train slice only; the network trained with validation-based
 *      early stopping;
 *   4. temperature + conformal offsets fitted on the calibration slice (later than all training);
 *   5. metrics on the test slice when there is one — out-of-sample, never used to fit anything;
 *   6. the artifact saved atomically with normalisation, calibration, training window, seed, metrics.
 */

/** Fewer usable samples than this cannot give a calibration slice worth fitting on. */
export const MIN_SAMPLES = 400;
/** Smallest train / validation / calibration slice accepted. */
const MIN_SLICE = 30;

export interface TrainModelOptions {
  readonly config: Config;
  readonly timeframe: ModelTimeframe;
  readonly symbols: readonly string[];
  readonly exchange: ExchangeId;
  readonly dataDir: string;
  /** Default `<data.modelsDir>/<tf>/<version>`. */
  readonly outDir?: string;
  readonly maxMinutes?: number;
  readonly epochs?: number;
  /** Only candles opening at or after / before these times (ms UTC). */
  readonly from?: number;
  readonly to?: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly signal?: AbortSignal;
  /**
   * The model this training replaces (live: the active version; walk-forward: the previous
   * window's). With model.warmStart on, training starts from its weights when compatible.
   */
  readonly parentDir?: string | null;
  /** Candles and features of whole series kept between trainings (a walk-forward's worker). */
  readonly seriesCache?: SeriesCache;
}

export interface TrainModelResult {
  readonly modelDir: string;
  readonly version: string;
  readonly timeframe: ModelTimeframe;
  readonly symbols: readonly string[];
  readonly horizon: number;
  readonly architecture: string;
  /** Issue times (ISO) of the first and last training sample. */
  readonly trainingWindow: { readonly from: string; readonly to: string };
  readonly samples: {
    readonly train: number;
    readonly validation: number;
    readonly calibration: number;
    readonly test: number;
  };
  readonly calibration: CalibrationParams;
  readonly training: {
    readonly epochs: number;
    readonly bestEpoch: number;
    readonly stopReason: string;
    readonly bestValLoss: number;
    readonly seconds: number;
  };
  /** Out-of-sample metrics on the test slice; null when model.split leaves no test slice. */
  readonly metrics: ForecastMetrics | null;
  readonly warmStart: WarmStartRecord;
  /** Seconds per stage: candles + features + labels, network training, calibration, saving. */
  readonly stages: {
    readonly data: number;
    readonly train: number;
    readonly calibrate: number;
    readonly save: number;
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function insufficient(
  series: readonly DatasetSeries[],
  needed: number,
  have: number,
  warm: number,
  window: number,
  horizon: number,
): QuantgateError {
  const candles = series.map((s) => `${s.symbol}: ${s.timestamps.length}`).join(', ');
  const perSymbol = Math.ceil(warm + window + horizon + MIN_SAMPLES / Math.max(1, series.length));
  return new QuantgateError(
    'INSUFFICIENT_HISTORY',
    `too little history: need ≥ ${needed} usable samples (about ${perSymbol} gap-free candles per symbol: ${warm} feature warm-up + ${window} window + ${horizon} horizon + samples), have ${have} samples from candles ${candles}`,
    { needed, have },
  );
}

/** Keeps the most recent `max` training samples (recent market behaviour matters most). */
function capRecent(train: readonly SampleRef[], max: number): SampleRef[] {
  if (train.length <= max) return [...train];
  return [...train].sort((a, b) => a.time - b.time).slice(train.length - max);
}

/** Samples issued in the last `days` days before the latest one (0 = all). */
function lookback(samples: SampleRef[], days: number): SampleRef[] {
  if (days <= 0 || samples.length === 0) return samples;
  const last = samples.reduce((m, r) => Math.max(m, r.time), -Infinity);
  const from = last - days * 86_400_000;
  return samples.filter((r) => r.time >= from);
}

export async function trainModel(o: TrainModelOptions): Promise<TrainModelResult> {
  const { config, timeframe, logger } = o;
  const mc = modelConfigFor(config, timeframe);
  if (mc.architecture === 'rolling-quantile')
    throw new QuantgateError(
      'CONFIG_INVALID',
      'model.architecture: rolling-quantile is the baseline (nothing to train); choose tft or mlp',
    );
  const labelParams = labelParamsFor(config, timeframe);
  const horizon = labelParams.horizon;
  const t0 = o.clock.now();

  const { series, warmup } = await loadDatasetSeries({
    dataDir: o.dataDir,
    exchange: o.exchange,
    timeframe,
    symbols: o.symbols,
    features: config.features,
    configuredSymbols: config.exchange.symbols,
    labels: labelParams,
    from: o.from,
    to: o.to,
    logger,
    format: config.data.format,
    cache: o.seriesCache,
    maxAbsReturn: maxAbsReturnFor(config, timeframe),
  });
  const samples = lookback(selectWindows(series, mc.window, timeframe), mc.lookbackDays);
  if (samples.length < MIN_SAMPLES)
    throw insufficient(series, MIN_SAMPLES, samples.length, warmup, mc.window, horizon);
  const split = splitChronological(samples, mc.split, { horizon, timeframe });
  const train = capRecent(split.train, mc.maxTrainSamples);
  for (const [name, s] of [
    ['train', train],
    ['validation', split.validation],
    ['calibration', split.calibration],
  ] as const)
    if (s.length < MIN_SLICE)
      throw new QuantgateError(
        'INSUFFICIENT_HISTORY',
        `too little history: the ${name} slice has ${s.length} samples (need ≥ ${MIN_SLICE}; ${samples.length} usable samples split by model.split ${JSON.stringify(mc.split)}); add candles or enlarge that fraction`,
      );
  logger.info(
    {
      timeframe,
      symbols: o.symbols,
      train: train.length,
      validation: split.validation.length,
      calibration: split.calibration.length,
      test: split.test.length,
      validationFrom: iso(split.boundaries[0]),
      calibrationFrom: iso(split.boundaries[1]),
    },
    'dataset split by time',
  );

  await initBackend({ logger });
  const tData = o.clock.now();
  // model.targetScaling: the quantile head learns return / σ (σ from the issue row's features).
  const targetScaling: VolatilitySource | undefined =
    mc.targetScaling === 'none'
      ? undefined
      : volatilitySourceFor(mc.targetScaling, series[0].features.names, 'model.targetScaling');
  const plan = await planWarmStart(o.parentDir ?? null, {
    timeframe,
    horizon,
    model: mc,
    features: config.features,
    labels: labelParams,
    featureNames: series[0].features.names,
    targetScaling,
  });
  let norm: NormalisationParams;
  let fit: readonly SampleRef[] = train;
  let net: Network;
  let spec: NetworkSpec;
  let warmStart: WarmStartRecord;
  // Replay drawn from the whole training slice (older history too), within the sample cap.
  const ft = plan.ok
    ? fineTuneSet(
        split.train,
        plan.parent.model.trainingWindow.to,
        mc.warmStart.replayShare,
        mc.seed,
        mc.maxTrainSamples,
      )
    : null;
  const refused = plan.ok ? null : plan.reason;
  // Nothing new since the parent (a data gap): keep its weights, refit only the calibration.
  const keep = plan.ok && ft!.fresh < MIN_SLICE;
  if (plan.ok && refused === null) {
    // Normalisation frozen at the parent's: its weights were fitted to those z-scores (README).
    norm = plan.normalisation;
    fit = ft!.samples.length > 0 ? ft!.samples : train;
    net = networkFromArtifact(plan.parent);
    spec = net.spec;
    warmStart = {
      parent: plan.parent.model.version,
      used: true,
      reason: keep
        ? `weights kept from ${plan.parent.model.version}: only ${ft!.fresh} training samples are newer than its training window (need ≥ ${MIN_SLICE}); calibration refitted`
        : `fine-tuned from ${plan.parent.model.version}`,
      depth: plan.depth,
      newSamples: ft!.fresh,
      replaySamples: ft!.replay,
    };
  } else {
    norm = fitNormalisation(series, train);
    const features = norm.featureNames.length;
    const probe = batchProvider(series, train, mc.window, norm, targetScaling);
    spec = networkSpecFromConfig(
      mc,
      features,
      estimateTargetScale(probe, mc.window, features),
      targetScaling,
    );
    net = createNetwork(spec, mc.seed);
    warmStart = {
      parent: plan.ok ? plan.parent.model.version : plan.parent,
      used: false,
      reason: refused ?? '',
      depth: 0,
      newSamples: 0,
      replaySamples: 0,
    };
  }
  logger.info({ timeframe, warmStart }, warmStart.used ? 'warm start' : 'training from scratch');
  // spec.targetScaling, not the config's: a warm start keeps the parent's (planWarmStart checked they agree).
  const trainData = batchProvider(series, fit, mc.window, norm, spec.targetScaling);
  const valData = batchProvider(series, split.validation, mc.window, norm, spec.targetScaling);
  let owned = true;
  try {
    const tr = await trainNetwork(
      net,
      { train: trainData, validation: valData },
      {
        epochs: keep ? 0 : (o.epochs ?? (warmStart.used ? mc.warmStart.epochs : mc.epochs)),
        batchSize: mc.batchSize,
        learningRate: mc.learningRate,
        weightDecay: mc.weightDecay,
        clipNorm: mc.clipNorm,
        quantileLossWeight: mc.quantileLossWeight,
        patience: mc.patience,
        maxMinutes: o.maxMinutes ?? mc.maxMinutes,
        seed: mc.seed,
        signal: o.signal,
        onProgress: o.onProgress,
        clock: o.clock,
        logger,
      },
    );

    const tTrained = o.clock.now();
    const trainTimes = fit.map((r) => r.time);
    // A warm-started model has seen its whole chain's data: its window starts at the parent's.
    const trainFrom = Math.min(...trainTimes, plan.ok ? plan.parent.model.trainingWindow.from : Infinity);
    const trainTo = Math.max(...trainTimes, plan.ok ? plan.parent.model.trainingWindow.to : -Infinity);
    const version = newVersion(o.clock, {
      timeframe,
      symbols: o.symbols,
      trainFrom,
      trainTo,
      seed: mc.seed,
      spec,
    });
    const raw = new NetworkForecaster({
      network: net,
      featureNames: norm.featureNames,
      timeframe,
      horizon,
      version,
      normaliser: zScoreNormaliser(norm),
      calibration: IDENTITY_CALIBRATION,
    });
    owned = false;
    try {
      // Calibration: fitted on the calibration slice only.
      const cal = predictRawOn(raw, series, split.calibration);
      const calLabels = split.calibration.map((r) => series[r.series].labels.classes[r.t]);
      const calReturns = split.calibration.map((r) => series[r.series].labels.forwardReturn[r.t]);
      const temperature = fitTemperature(cal.probs, calLabels);
      const scaling = conformalScaling(mc.conformalScale, norm.featureNames);
      // Offsets in the network's own units: scores divided by the target σ (when scaled) × the
      // conformal scale, exactly what NetworkForecaster multiplies them back with.
      const scale =
        scaling || spec.targetScaling
          ? split.calibration.map((r) => scaleAt(series[r.series], r.t, scaling, spec.targetScaling))
          : undefined;
      const cq = fitQuantileOffsets(cal.quantiles, calReturns, scale);
      const calibration: CalibrationParams = { temperature, qOffsets: cq.qOffsets, ...scaling };
      logger.info(
        { temperature, qOffsets: cq.qOffsets, samples: cq.samples },
        'calibrated on the calibration slice',
      );

      const trainClassFreq = classFrequencies(
        train.map((r) => classLabelOf(series[r.series].labels.classes[r.t]) ?? 'HOLD'),
      );
      const calibrated = raw.withCalibration(calibration);
      const metrics =
        split.test.length > 0
          ? metricsOnSamples(calibrated, series, split.test, horizon, trainClassFreq, BASELINE_LOOKBACK)
          : null;
      if (metrics) logger.info({ metrics }, 'out-of-sample metrics on the test slice');
      else logger.info('no test slice (model.split sums to 1): no out-of-sample metrics');

      const modelDir = o.outDir ?? versionDir(config.data.modelsDir, timeframe, version);
      const tCalibrated = o.clock.now();
      const meta: PipelineMeta = {
        test: metrics,
        trainClassFreq,
        conformal: { scoreGrids: cq.scoreGrids, samples: cq.samples },
        features: config.features,
        labels: labelParams,
        exchange: o.exchange,
        warmStart,
        split: {
          train: fit.length,
          validation: split.validation.length,
          calibration: split.calibration.length,
          test: split.test.length,
          embargoed: split.embargoed,
          validationFrom: iso(split.boundaries[0]),
          calibrationFrom: iso(split.boundaries[1]),
          // Last issue time whose outcome was used to fit anything (calibration is the latest slice).
          fittedTo: iso(Math.max(...split.calibration.map((r) => r.time))),
          testFrom: Number.isFinite(split.boundaries[2]) ? iso(split.boundaries[2]) : null,
        },
        training: tr,
        // Raw feature rows at the training samples' issue times: the reference for live drift checks.
        featureEdges: fitFeatureEdges(
          norm.featureNames,
          train.map((r) => {
            const s = series[r.series].features;
            return s.rows.subarray(r.t * s.names.length, (r.t + 1) * s.names.length);
          }),
        ),
      };
      await saveArtifact(
        modelDir,
        net,
        {
          version,
          timeframe,
          horizon,
          featureNames: norm.featureNames,
          seed: mc.seed,
          trainingWindow: { from: trainFrom, to: trainTo, symbols: [...o.symbols] },
          normalisation: norm,
          calibration,
          metrics: meta,
        },
        o.clock,
      );
      logger.info({ modelDir, version }, 'model saved');
      return {
        modelDir,
        version,
        timeframe,
        symbols: [...o.symbols],
        horizon,
        architecture: spec.architecture,
        trainingWindow: { from: iso(trainFrom), to: iso(trainTo) },
        samples: {
          train: fit.length,
          validation: split.validation.length,
          calibration: split.calibration.length,
          test: split.test.length,
        },
        calibration,
        training: {
          epochs: tr.epochsRun,
          bestEpoch: tr.bestEpoch,
          stopReason: tr.stopReason,
          bestValLoss: tr.bestValLoss,
          seconds: (o.clock.now() - t0) / 1000,
        },
        metrics,
        warmStart,
        stages: {
          data: (tData - t0) / 1000,
          train: (tTrained - tData) / 1000,
          calibrate: (tCalibrated - tTrained) / 1000,
          save: (o.clock.now() - tCalibrated) / 1000,
        },
      };
    } finally {
      raw.dispose();
    }
  } finally {
    if (owned) net.dispose();
  }
}
