import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/index.ts';
import { systemClock } from '../core/clock.ts';
import { ERROR_CODES, QuantgateError, isQuantgateError } from '../core/errors.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { timeframeMs } from '../core/types.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { loadForecaster, trainModel } from '../models/index.ts';
import { trainInWorker } from '../retrain/train-in-worker.ts';
import type { ModelMap } from './forecasters.ts';
import { packageVersion } from './provenance.ts';
import type { WalkForwardSlot } from './walk-forward.ts';

export interface WindowTrainerOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Where window models live: a temporary directory, or --model-cache (kept and reused). */
  readonly root: string;
  /** backtest.trainWorkers: trainings at once in worker threads; 0 = one at a time on this thread. */
  readonly workers: number;
}

/**
 * Trains the walk-forward windows' models. Every (window, timeframe) training is independent —
 * each sees only candles closed before its own retrain point — so `plan` queues them all in window
 * order and `workers` worker threads work through the queue while the replay of earlier windows
 * goes on. A model already in `root` (a cache from an earlier run with the same training inputs) is
 * loaded instead of trained again: an interrupted run of many hours resumes where it stopped.
 */
export interface WindowTrainer {
  plan(slots: readonly WalkForwardSlot[]): void;
  /** The window's models; a timeframe with too little history is left out (the run reports it). */
  models(slot: WalkForwardSlot): Promise<ModelMap>;
  /** Stops running workers and drops queued trainings (a failed or finished run). */
  stop(): Promise<void>;
}

/**
 * What a window model depends on besides its retrain point. A cached model is reused only when all
 * of it is equal; the package version stands in for the training code.
 */
export function trainingKey(config: Config): string {
  const inputs = {
    version: packageVersion(),
    exchange: [config.exchange.name, config.exchange.market, config.exchange.symbols],
    data: resolve(config.data.dir),
    features: config.features,
    labels: config.labels,
    model: config.model,
    modelOverrides: config.modelOverrides,
  };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 12);
}

type Job = () => Promise<string | null>;

export function createWindowTrainer(o: WindowTrainerOptions): WindowTrainer {
  const { config, logger } = o;
  const tfs = config.strategy.timeframes;
  const jobs = new Map<string, Promise<string | null>>();
  const queue: { run: Job; done: (r: Promise<string | null>) => void }[] = [];
  const stops = new Set<() => Promise<void>>();
  let running = 0;
  let stopped = false;

  const dirOf = (tf: ModelTimeframe, slot: WalkForwardSlot): string => join(o.root, tf, String(slot.trainTo));

  /** Candles that closed by the retrain point: open time ≤ trainTo − one candle. */
  const trainOne = async (tf: ModelTimeframe, slot: WalkForwardSlot): Promise<string | null> => {
    const dir = dirOf(tf, slot);
    if (existsSync(join(dir, 'manifest.json'))) {
      logger.info({ timeframe: tf, dir }, 'walk-forward: model from the cache');
      return dir;
    }
    rmSync(dir, { recursive: true, force: true }); // a crashed run's partial directory
    const request = {
      config,
      timeframe: tf,
      symbols: config.exchange.symbols,
      exchange: config.exchange.name,
      dataDir: config.data.dir,
      outDir: dir,
      to: slot.trainTo - timeframeMs(tf) + 1,
    };
    if (o.workers === 0) {
      try {
        await trainModel({ ...request, clock: systemClock, logger });
        return dir;
      } catch (e) {
        if (isQuantgateError(e) && e.code === 'INSUFFICIENT_HISTORY') return tooLittle(tf, e.message);
        throw e;
      }
    }
    const handle = trainInWorker(request, {
      memoryMb: config.retrain.worker.memoryMb,
      timeoutMs: config.retrain.worker.timeoutMinutes * 60_000,
      logger,
    });
    stops.add(handle.terminate);
    const out = await handle.outcome.finally(() => stops.delete(handle.terminate));
    if (out.ok) return dir;
    if (out.code === 'INSUFFICIENT_HISTORY') return tooLittle(tf, out.message);
    const code: ErrorCode =
      out.code !== null && out.code in ERROR_CODES ? (out.code as ErrorCode) : 'INTERNAL';
    throw new QuantgateError(
      code,
      `walk-forward window ${new Date(slot.trainTo).toISOString()}: ${out.message}`,
    );
  };

  const tooLittle = (tf: ModelTimeframe, message: string): null => {
    logger.warn({ timeframe: tf, err: message }, 'walk-forward: timeframe not trained');
    return null;
  };

  const pump = (): void => {
    const limit = Math.max(1, o.workers);
    while (!stopped && running < limit && queue.length > 0) {
      const j = queue.shift()!;
      running++;
      const p = j.run();
      j.done(p);
      void p
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          running--;
          pump();
        });
    }
  };

  /** `first`: ahead of the queue (a window the replay is waiting for). */
  const job = (tf: ModelTimeframe, slot: WalkForwardSlot, first = false): Promise<string | null> => {
    const key = `${tf}@${slot.trainTo}`;
    let p = jobs.get(key);
    if (p === undefined) {
      p = new Promise<string | null>((resolveJob, rejectJob) => {
        const entry = {
          run: () => trainOne(tf, slot),
          done: (r: Promise<string | null>) => r.then(resolveJob, rejectJob),
        };
        if (first) queue.unshift(entry);
        else queue.push(entry);
      });
      p.catch(() => undefined); // observed by models(); a queued job dropped by stop() must not be unhandled
      jobs.set(key, p);
      pump();
    }
    return p;
  };

  return {
    plan(slots) {
      for (const slot of slots) for (const tf of tfs) void job(tf, slot);
    },
    async models(slot) {
      const out: ModelMap = {};
      for (const tf of tfs) {
        const dir = await job(tf, slot, true);
        if (dir === null) continue;
        try {
          out[tf] = await loadForecaster(dir, { timeframe: tf });
        } catch (e) {
          // A damaged cache entry: say so, train it again once.
          logger.warn(
            { timeframe: tf, dir, err: String(e) },
            'walk-forward: cached model unusable, retraining',
          );
          rmSync(dir, { recursive: true, force: true });
          jobs.delete(`${tf}@${slot.trainTo}`);
          const again = await job(tf, slot, true);
          if (again !== null) out[tf] = await loadForecaster(again, { timeframe: tf });
        }
      }
      return out;
    },
    async stop() {
      stopped = true;
      for (const j of queue.splice(0)) j.done(Promise.reject(new Error('walk-forward stopped')));
      await Promise.all([...stops].map((s) => s()));
    },
  };
}
