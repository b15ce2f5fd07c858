import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../core/errors.ts';
import { silentLogger } from '../core/logger.ts';
import type { Forecast, Timeframe } from '../core/types.ts';
import { initBackend, loadForecaster } from '../models/index.ts';
import { predictRows } from './forecast-cache.ts';
import type { PrecomputePlan } from './forecast-cache.ts';

/**
 * Inference-worker entry (parallel-precompute.ts starts it): loads one model from its directory
 * and predicts the rows it is sent, with the same batching as the main thread.
 */

export interface InferenceWorkerData {
  readonly dir: string;
  readonly timeframe: Timeframe;
}

export interface InferenceJob {
  readonly id: number;
  readonly plan: Pick<PrecomputePlan, 'symbol' | 'packed' | 'width' | 'window'>;
  readonly rows: readonly number[];
}

export type InferenceReply =
  { readonly id: number; readonly forecasts: Forecast[] } | { readonly id: number; readonly error: string };

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  const { dir, timeframe } = workerData as InferenceWorkerData;
  const model = initBackend({ logger: silentLogger() }).then(() => loadForecaster(dir, { timeframe }));
  port.on('message', (job: InferenceJob) => {
    model
      .then((m) => port.postMessage({ id: job.id, forecasts: predictRows(m, job.plan, job.rows) }))
      .catch((e: unknown) => port.postMessage({ id: job.id, error: describeError(e) }));
  });
}
