import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { systemClock } from '../core/clock.ts';
import { describeError, isQuantgateError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import type { ExchangeId, ModelTimeframe } from '../core/types.ts';
import { createBacktestDeps, strategyTarget } from '../backtest/index.ts';
import { trainModel } from '../models/index.ts';
import type { TrainModelResult } from '../models/index.ts';
import { evaluateOnHoldout } from './holdout-eval.ts';
import type { HoldoutContext, HoldoutFigures } from './holdout-eval.ts';

/**
 * Worker-thread entry of a retrain: the training loop blocks for hundreds of ms per step, so it
 * must never run on the trading thread. Loaded through a tsx bootstrap (train-in-worker.ts).
 */

export interface WorkerTrainRequest {
  /** A parsed config (plain data, structured-cloned into the worker). */
  readonly config: Config;
  readonly timeframe: ModelTimeframe;
  readonly symbols: readonly string[];
  readonly exchange: ExchangeId;
  readonly dataDir: string;
  /** Default `<data.modelsDir>/<tf>/<version>` (the version is named by the training). */
  readonly outDir?: string;
  readonly epochs?: number;
  readonly maxMinutes?: number;
  readonly from?: number;
  readonly to?: number;
  /** The model this training replaces: its weights are the warm start (model.warmStart). */
  readonly parentDir?: string | null;
  /**
   * After training, judge the candidate and the active version on the hold-out [from, to) here
   * too: the backtest replay is CPU-bound and must not stall the trading thread either.
   */
  readonly evaluate?: { readonly from: number; readonly to: number; readonly activeDir: string | null };
}

export type EvaluationOutcome =
  | { readonly ok: true; readonly figures: HoldoutFigures; readonly seconds: number }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly seconds: number };

export interface WorkerEvaluation {
  readonly candidate: EvaluationOutcome;
  /** null when there was no active version. */
  readonly active: EvaluationOutcome | null;
}

export type WorkerMessage =
  | { readonly type: 'done'; readonly result: TrainModelResult; readonly evaluation: WorkerEvaluation | null }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

async function run(req: WorkerTrainRequest): Promise<WorkerMessage> {
  const logger = createLogger({ level: req.config.logging.level, format: req.config.logging.format }).child({
    worker: 'retrain',
    timeframe: req.timeframe,
  });
  try {
    const result = await trainModel({ ...req, clock: systemClock, logger });
    const ev = req.evaluate;
    if (ev === undefined) return { type: 'done', result, evaluation: null };
    const ctx: HoldoutContext = {
      config: req.config,
      logger,
      deps: await createBacktestDeps(req.config, logger, strategyTarget),
    };
    const h = { from: ev.from, to: ev.to };
    const evaluation: WorkerEvaluation = {
      candidate: await evaluateSafely(() => evaluateOnHoldout(ctx, req.timeframe, result.modelDir, h)),
      active:
        ev.activeDir === null
          ? null
          : await evaluateSafely(() => evaluateOnHoldout(ctx, req.timeframe, ev.activeDir as string, h)),
    };
    return { type: 'done', result, evaluation };
  } catch (e) {
    return { type: 'error', code: isQuantgateError(e) ? e.code : 'INTERNAL', message: describeError(e) };
  }
}

async function evaluateSafely(f: () => Promise<HoldoutFigures>): Promise<EvaluationOutcome> {
  const t0 = performance.now();
  try {
    return { ok: true, figures: await f(), seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    return {
      ok: false,
      code: isQuantgateError(e) ? e.code : 'INTERNAL',
      message: describeError(e),
      seconds: (performance.now() - t0) / 1000,
    };
  }
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  void run(workerData as WorkerTrainRequest).then((m) => port.postMessage(m));
}
