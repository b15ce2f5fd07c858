import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/index.ts';
import { ERROR_CODES, QuantgateError } from '../core/errors.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { timeframeMs } from '../core/types.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { modelConfigFor } from '../config/index.ts';
import { loadForecaster } from '../models/index.ts';
import type { SeriesCache } from '../models/index.ts';
import { startTsWorker } from '../core/ts-worker.ts';
import type { ModelMap } from './forecasters.ts';
import { packageVersion } from './provenance.ts';
import type { WalkForwardSlot } from './walk-forward.ts';
import { runWindowJob } from './window-worker.ts';
import type { WindowJob, WindowJobReply } from './window-worker.ts';

export interface WindowTrainerOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Where window models live: a temporary directory, or --model-cache (kept and reused). */
  readonly root: string;
  /** backtest.trainWorkers: trainings at once in worker threads; 0 = one at a time on this thread. */
  readonly workers: number;
}

/**
 * Trains the walk-forward windows' models. Each (window, timeframe) training sees only candles
 * closed before its own retrain point. A timeframe is retrained every `backtest.retrainEvery[tf]`
 * windows (its last model serves in between). With `model.warmStart` on, a timeframe's trainings
 * form a chain: each starts from the previous one's model, so it waits for it; chains of
 * different timeframes, and trainings without a parent, run in parallel on `workers` long-lived
 * worker threads (each keeps the series it read: features are computed once per thread) while
 * the replay of earlier windows goes on. A model already in `root` (a cache from an earlier run
 * with the same training inputs — for a chained model, the same chain of parents) is loaded
 * instead of trained again: an interrupted run resumes where it stopped.
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

/** A window model's directory name: its retrain time, plus a hash of its parent's name when chained. */
export function chainedName(trainTo: number, parentName: string | null): string {
  if (parentName === null) return String(trainTo);
  return `${trainTo}-${createHash('sha256').update(parentName).digest('hex').slice(0, 10)}`;
}

interface Queued {
  readonly tf: ModelTimeframe;
  readonly run: (w: PoolWorker | null) => Promise<string | null>;
  readonly done: (r: Promise<string | null>) => void;
}

/** A long-lived training thread (window-worker.ts), one job at a time. */
interface PoolWorker {
  readonly worker: ReturnType<typeof startTsWorker>;
  lastTf: ModelTimeframe | null;
  dead: boolean;
  current: { resolve: (r: WindowJobReply) => void; reject: (e: Error) => void } | null;
}

export function createWindowTrainer(o: WindowTrainerOptions): WindowTrainer {
  const { config, logger } = o;
  const tfs = config.strategy.timeframes;
  const jobs = new Map<string, Promise<string | null>>();
  const queue: Queued[] = [];
  const pool: PoolWorker[] = [];
  const mainCache: SeriesCache = new Map();
  let running = 0;
  let stopped = false;
  let nextId = 1;
  let planned: readonly WalkForwardSlot[] = [];
  const indexOf = new Map<number, number>();

  const every = (tf: ModelTimeframe): number => config.backtest.retrainEvery[tf] ?? 1;
  const chained = (tf: ModelTimeframe): boolean => {
    const ws = modelConfigFor(config, tf).warmStart;
    return ws.enabled && ws.fullRetrainEvery > 1;
  };
  /** Planned index of the window whose training serves window `k` for `tf`. */
  const servingIndex = (tf: ModelTimeframe, k: number): number => k - (k % every(tf));
  const parentIndex = (tf: ModelTimeframe, k: number): number | null =>
    chained(tf) && k >= every(tf) ? k - every(tf) : null;
  const names = new Map<string, string>();
  const nameOf = (tf: ModelTimeframe, k: number, slot: WalkForwardSlot): string => {
    if (k < 0) return String(slot.trainTo);
    const key = `${tf}@${k}`;
    let n = names.get(key);
    if (n === undefined) {
      const p = parentIndex(tf, k);
      n = chainedName(slot.trainTo, p === null ? null : nameOf(tf, p, planned[p]));
      names.set(key, n);
    }
    return n;
  };

  const spawn = (): PoolWorker => {
    const w: PoolWorker = {
      worker: startTsWorker(
        new URL('./window-worker.ts', import.meta.url),
        null,
        config.retrain.worker.memoryMb,
      ),
      lastTf: null,
      dead: false,
      current: null,
    };
    w.worker.on('message', (m: WindowJobReply) => {
      const c = w.current;
      w.current = null;
      c?.resolve(m);
    });
    const die = (e: Error): void => {
      w.dead = true;
      const c = w.current;
      w.current = null;
      c?.reject(e);
    };
    w.worker.on('error', (e) => die(new Error(`walk-forward training thread crashed: ${e.message}`)));
    w.worker.on('exit', (code) => die(new Error(`walk-forward training thread exited (code ${code})`)));
    pool.push(w);
    return w;
  };

  const inWorker = (w: PoolWorker, job: WindowJob): Promise<WindowJobReply> =>
    new Promise<WindowJobReply>((resolveReply, rejectReply) => {
      const ms = config.retrain.worker.timeoutMinutes * 60_000;
      const timer = setTimeout(() => {
        rejectReply(
          new QuantgateError(
            'INTERNAL',
            `walk-forward ${job.timeframe} training exceeded retrain.worker.timeoutMinutes (${ms / 60_000} min)`,
          ),
        );
        void w.worker.terminate();
      }, ms);
      w.current = {
        resolve: (r) => {
          clearTimeout(timer);
          resolveReply(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          rejectReply(e);
        },
      };
      w.worker.postMessage(job);
    });

  /** Candles that closed by the retrain point: open time ≤ trainTo − one candle. */
  const trainOne = async (
    tf: ModelTimeframe,
    slot: WalkForwardSlot,
    dir: string,
    parentDir: string | null,
    w: PoolWorker | null,
  ): Promise<string | null> => {
    if (existsSync(join(dir, 'manifest.json'))) {
      logger.info({ timeframe: tf, dir }, 'walk-forward: model from the cache');
      return dir;
    }
    rmSync(dir, { recursive: true, force: true }); // a crashed run's partial directory
    const job: WindowJob = {
      id: nextId++,
      config,
      timeframe: tf,
      outDir: dir,
      to: slot.trainTo - timeframeMs(tf) + 1,
      parentDir,
    };
    const out = w === null ? await runWindowJob(job, mainCache) : await inWorker(w, job);
    if (out.type === 'done') {
      const r = out.result;
      logger.info(
        {
          timeframe: tf,
          trainTo: new Date(slot.trainTo).toISOString(),
          warmStart: r.warmStart.used,
          why: r.warmStart.reason,
          samples: r.samples.train,
          epochs: r.training.epochs,
          stages: r.stages,
        },
        'walk-forward: window model trained',
      );
      return dir;
    }
    if (out.code === 'INSUFFICIENT_HISTORY') return tooLittle(tf, out.message);
    const code: ErrorCode = out.code in ERROR_CODES ? (out.code as ErrorCode) : 'INTERNAL';
    throw new QuantgateError(
      code,
      `walk-forward window ${new Date(slot.trainTo).toISOString()}: ${out.message}`,
    );
  };

  const tooLittle = (tf: ModelTimeframe, message: string): null => {
    logger.warn({ timeframe: tf, err: message }, 'walk-forward: timeframe not trained');
    return null;
  };

  /** An idle thread, preferring one that already holds this timeframe's series. */
  const idleWorker = (tf: ModelTimeframe): PoolWorker | null => {
    const live = pool.filter((w) => !w.dead);
    pool.splice(0, pool.length, ...live);
    const idle = live.filter((w) => w.current === null && !busy.has(w));
    const pick = idle.find((w) => w.lastTf === tf) ?? idle.find((w) => w.lastTf === null) ?? idle[0];
    if (pick) return pick;
    return live.length < o.workers ? spawn() : null;
  };
  const busy = new Set<PoolWorker>();

  const pump = (): void => {
    const limit = Math.max(1, o.workers);
    while (!stopped && running < limit && queue.length > 0) {
      const w = o.workers === 0 ? null : idleWorker(queue[0].tf);
      if (o.workers > 0 && w === null) return;
      const j = queue.shift()!;
      running++;
      if (w) {
        busy.add(w);
        w.lastTf = j.tf;
      }
      const p = j.run(w);
      j.done(p);
      void p
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          running--;
          if (w) busy.delete(w);
          pump();
        });
    }
  };

  const enqueue = (
    tf: ModelTimeframe,
    run: (w: PoolWorker | null) => Promise<string | null>,
    first: boolean,
  ): Promise<string | null> =>
    new Promise<string | null>((resolveJob, rejectJob) => {
      if (stopped) return rejectJob(new Error('walk-forward stopped'));
      const entry: Queued = { tf, run, done: (r) => r.then(resolveJob, rejectJob) };
      if (first) queue.unshift(entry);
      else queue.push(entry);
      pump();
    });

  /**
   * The training of planned window `k` (or an unplanned slot, k = −1) for `tf`. A chained one is
   * queued only once its parent is done, so a waiting chain never holds a thread.
   * `first`: ahead of the queue (a window the replay is waiting for).
   */
  const job = (
    tf: ModelTimeframe,
    k: number,
    slot: WalkForwardSlot,
    first = false,
  ): Promise<string | null> => {
    const name = nameOf(tf, k, slot);
    const dir = join(o.root, tf, name);
    let p = jobs.get(dir);
    if (p === undefined) {
      const pi = k < 0 ? null : parentIndex(tf, k);
      const parent = pi === null ? Promise.resolve(null) : job(tf, pi, planned[pi], first);
      p = parent.then((parentDir) => enqueue(tf, (w) => trainOne(tf, slot, dir, parentDir, w), first));
      p.catch(() => undefined); // observed by models(); a queued job dropped by stop() must not be unhandled
      jobs.set(dir, p);
    }
    return p;
  };

  /** The job serving `slot` for `tf` (an earlier window's model when tf retrains less often). */
  const serving = (tf: ModelTimeframe, slot: WalkForwardSlot, first = false) => {
    const k = indexOf.get(slot.trainTo);
    if (k === undefined) return { key: -1, slot, p: job(tf, -1, slot, first) };
    const j = servingIndex(tf, k);
    return { key: j, slot: planned[j], p: job(tf, j, planned[j], first) };
  };

  return {
    plan(slots) {
      planned = [...slots];
      indexOf.clear();
      names.clear();
      planned.forEach((s, k) => indexOf.set(s.trainTo, k));
      for (const [k] of planned.entries())
        for (const tf of tfs) if (servingIndex(tf, k) === k) void job(tf, k, planned[k]);
    },
    async models(slot) {
      const out: ModelMap = {};
      for (const tf of tfs) {
        const s = serving(tf, slot, true);
        const dir = await s.p;
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
          jobs.delete(dir);
          const again = await job(tf, s.key, s.slot, true);
          if (again !== null) out[tf] = await loadForecaster(again, { timeframe: tf });
        }
      }
      return out;
    },
    async stop() {
      stopped = true;
      for (const j of queue.splice(0)) j.done(Promise.reject(new Error('walk-forward stopped')));
      await Promise.all(pool.map((w) => w.worker.terminate()));
    },
  };
}
