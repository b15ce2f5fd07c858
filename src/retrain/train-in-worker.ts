import type { Logger } from '../core/logger.ts';
import type { TrainModelResult } from '../models/index.ts';
import type { WorkerEvaluation, WorkerMessage, WorkerTrainRequest } from './worker.ts';
import { startTsWorker } from '../core/ts-worker.ts';

export type WorkerFailure = 'error' | 'crash' | 'timeout' | 'oom';

export type WorkerOutcome =
  | {
      readonly ok: true;
      readonly result: TrainModelResult;
      /** Hold-out figures when the request asked for them. */
      readonly evaluation: WorkerEvaluation | null;
      readonly seconds: number;
    }
  | {
      readonly ok: false;
      readonly failure: WorkerFailure;
      /** The QuantgateError code for `error`, else null. */
      readonly code: string | null;
      readonly message: string;
      readonly seconds: number;
    };

export interface WorkerLimits {
  /** retrain.worker.memoryMb: the worker's V8 old-generation cap. */
  readonly memoryMb: number;
  /** retrain.worker.timeoutMinutes, in ms. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

export interface WorkerHandle {
  /** Never rejects: every way a training can end is an outcome (the bot must not crash). */
  readonly outcome: Promise<WorkerOutcome>;
  /** Stops the worker (a shutdown, or a test killing it); the outcome becomes a crash. */
  terminate(): Promise<void>;
}

/** Runs one training in a worker thread with a memory cap and a time budget. */
export function trainInWorker(req: WorkerTrainRequest, limits: WorkerLimits): WorkerHandle {
  const t0 = performance.now();
  const secs = (): number => (performance.now() - t0) / 1000;
  const worker = startTsWorker(new URL('./worker.ts', import.meta.url), req, limits.memoryMb);
  let settled = false;
  let timedOut = false;
  const outcome = new Promise<WorkerOutcome>((resolve) => {
    const finish = (o: WorkerOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
      void worker.terminate();
    };
    const fail = (failure: WorkerFailure, message: string, code: string | null = null): void =>
      finish({ ok: false, failure, code, message, seconds: secs() });
    const timer = setTimeout(() => {
      timedOut = true;
      fail(
        'timeout',
        `training ${req.timeframe} exceeded retrain.worker.timeoutMinutes (${limits.timeoutMs / 60_000} min); worker stopped`,
      );
    }, limits.timeoutMs);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'done')
        finish({ ok: true, result: m.result, evaluation: m.evaluation, seconds: secs() });
      else fail('error', `training ${req.timeframe} failed: ${m.message}`, m.code);
    });
    worker.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY')
        fail(
          'oom',
          `training ${req.timeframe} ran out of memory (retrain.worker.memoryMb = ${limits.memoryMb}): ${e.message}`,
        );
      else fail('crash', `training worker for ${req.timeframe} crashed: ${e.message}`);
    });
    worker.on('exit', (code) => {
      if (!timedOut)
        fail('crash', `training worker for ${req.timeframe} exited (code ${code}) before reporting a result`);
    });
  });
  outcome.then(
    (o) =>
      limits.logger[o.ok ? 'info' : 'error'](
        { timeframe: req.timeframe, ...(o.ok ? { version: o.result.version } : o), seconds: o.seconds },
        o.ok ? 'retrain worker finished' : 'retrain worker failed',
      ),
    () => undefined,
  );
  return {
    outcome,
    terminate: async () => {
      await worker.terminate();
    },
  };
}
