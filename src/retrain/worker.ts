import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { systemClock } from '../core/clock.ts';
import { describeError, isQuantgateError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import type { ExchangeId, ModelTimeframe } from '../core/types.ts';
import { trainModel } from '../models/index.ts';
import type { TrainModelResult } from '../models/index.ts';

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
  readonly outDir: string;
  readonly epochs?: number;
  readonly maxMinutes?: number;
  readonly from?: number;
  readonly to?: number;
}

export type WorkerMessage =
  | { readonly type: 'done'; readonly result: TrainModelResult }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

async function run(req: WorkerTrainRequest): Promise<WorkerMessage> {
  const logger = createLogger({ level: req.config.logging.level }).child({
    worker: 'retrain',
    timeframe: req.timeframe,
  });
  try {
    const result = await trainModel({ ...req, clock: systemClock, logger });
    return { type: 'done', result };
  } catch (e) {
    return { type: 'error', code: isQuantgateError(e) ? e.code : 'INTERNAL', message: describeError(e) };
  }
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  void run(workerData as WorkerTrainRequest).then((m) => port.postMessage(m));
}
