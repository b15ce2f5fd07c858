import type { Worker } from 'node:worker_threads';
import type { Logger } from '../core/logger.ts';
import type { Forecast, ModelTimeframe } from '../core/types.ts';
import type { FeatureMatrix } from '../features/types.ts';
import type { Forecaster } from '../models/forecaster.ts';
import { startTsWorker } from '../core/ts-worker.ts';
import { CachedForecaster, predictRows } from './forecast-cache.ts';
import type { PrecomputePlan } from './forecast-cache.ts';
import type { ModelMap, PrecomputedSet } from './forecasters.ts';
import { isStateful } from './forecasters.ts';
import type { InferenceJob, InferenceReply, InferenceWorkerData } from './inference-worker.ts';

export interface ParallelOptions {
  /** backtest.inferenceWorkers: worker threads beside the main thread (0 = main thread only). */
  readonly workers: number;
  /** Below this many forecasts per model a worker's start-up (≈ 2 s) costs more than it saves. */
  readonly minRows?: number;
  /**
   * Workers start only when this thread alone would need at least this long (ms, estimated from
   * its second batch, in CPU time) for a model's forecasts: a worker's start-up (compiling the
   * sources, loading tfjs and the model: 2–5 s of CPU) costs more than it saves on a fast model.
   * Default 10,000: the MLP's 150,000 forecasts of the 3-symbol bench take 1.5–5 s, the TFT's
   * about 45 s.
   */
  readonly minMs?: number;
  readonly logger: Logger;
}

type RowRange = (tf: ModelTimeframe, symbol: string) => { from: number; to: number };

/** The directory a model was loaded from, when it was (trained networks; not the baselines). */
function dirOf(m: Forecaster): string | undefined {
  const d = (m as { dir?: unknown }).dir;
  return typeof d === 'string' ? d : undefined;
}

/**
 * precomputeAll on several cores: the main thread predicts the first share of every series'
 * rows, each inference worker (the same model loaded from its directory) a later share. A row's
 * forecast depends only on its own window, so the split changes no forecast (a test checks
 * they are bit-identical). A worker that fails hands its share back to the main thread.
 */
export async function precomputeAllParallel(
  models: ModelMap,
  features: Partial<Record<ModelTimeframe, Record<string, FeatureMatrix>>>,
  rowRange: RowRange,
  o: ParallelOptions,
): Promise<PrecomputedSet> {
  const out: ModelMap = {};
  const caches: CachedForecaster[] = [];
  for (const [tf, m] of Object.entries(models) as Array<[ModelTimeframe, Forecaster]>) {
    if (isStateful(m)) {
      out[tf] = m;
      continue;
    }
    const c = new CachedForecaster(m);
    const plans = Object.entries(features[tf] ?? {}).map(([sym, fm]) => c.plan(sym, fm, rowRange(tf, sym)));
    const total = plans.reduce((a, p) => a + p.rows.length, 0);
    const dir = dirOf(m);
    if (o.workers < 1 || dir === undefined || total < (o.minRows ?? 20_000)) {
      for (const p of plans) c.store(p, predictRows(m, p, p.rows));
    } else {
      const head = probe(m, plans);
      if (head && head.msPerRow * total < (o.minMs ?? 10_000)) {
        for (const p of plans)
          c.store(
            p,
            p === head.plan
              ? [...head.forecasts, ...rest(m, p, head.forecasts.length)]
              : predictRows(m, p, p.rows),
          );
      } else await predictShared(c, m, plans, { dir, timeframe: tf }, o, head);
    }
    out[tf] = c;
    caches.push(c);
  }
  return { models: out, caches };
}

/** The first batch of a model's forecasts, predicted on this thread and timed. */
interface Probe {
  readonly plan: PrecomputePlan;
  /** Forecasts of the plan's first rows (one batch of predictRows). */
  readonly forecasts: readonly Forecast[];
  readonly msPerRow: number;
}

const PROBE_BATCH = 1024;

/** CPU ms of this process (a probe runs while no worker of ours is busy, so it is this thread's). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Two batches on this thread: the first warms the model up (its first call sets up kernels), the
 * second is timed in CPU time, which the other processes on a shared machine do not inflate.
 */
function probe(m: Forecaster, plans: readonly PrecomputePlan[]): Probe | undefined {
  const plan = plans.find((p) => p.rows.length > 0);
  if (!plan) return undefined;
  const warm = predictRows(m, plan, plan.rows.slice(0, PROBE_BATCH));
  const rows = plan.rows.slice(PROBE_BATCH, 2 * PROBE_BATCH);
  const t = cpuMs();
  const timed = predictRows(m, plan, rows);
  const msPerRow = rows.length > 0 ? (cpuMs() - t) / rows.length : 0;
  return { plan, forecasts: [...warm, ...timed], msPerRow };
}

/** Forecasts of `p`'s rows from index `from` on (the rows before were probed). */
function rest(m: Forecaster, p: PrecomputePlan, from: number): Forecast[] {
  return from >= p.rows.length ? [] : predictRows(m, p, p.rows.slice(from));
}

async function predictShared(
  c: CachedForecaster,
  m: Forecaster,
  plans: readonly PrecomputePlan[],
  data: InferenceWorkerData,
  o: ParallelOptions,
  head?: Probe,
): Promise<void> {
  const n = o.workers + 1;
  const workers: Worker[] = Array.from({ length: o.workers }, () =>
    startTsWorker(new URL('./inference-worker.ts', import.meta.url), data, 2048),
  );
  try {
    // Share k of every plan: rows [k/n, (k+1)/n) of it. Share 0 stays on this thread.
    const share = (p: PrecomputePlan, k: number): number[] =>
      p.rows.slice(Math.floor((p.rows.length * k) / n), Math.floor((p.rows.length * (k + 1)) / n));
    let nextId = 0;
    const pending = plans.map((p) =>
      workers.map((w, i) => {
        const rows = share(p, i + 1);
        const job: InferenceJob = {
          id: nextId++,
          plan: { symbol: p.symbol, packed: p.packed, width: p.width, window: p.window },
          rows,
        };
        return ask(w, job).catch((e: unknown) => {
          o.logger.warn(
            { err: String(e), symbol: p.symbol },
            'inference worker failed; predicting its share here',
          );
          return predictRows(m, p, rows);
        });
      }),
    );
    const mine = plans.map((p) => {
      const rows = share(p, 0);
      // The probed rows are the start of share 0 when it is at least that long.
      if (head?.plan === p && head.forecasts.length <= rows.length)
        return [...head.forecasts, ...predictRows(m, p, rows.slice(head.forecasts.length))];
      return predictRows(m, p, rows);
    });
    for (const [j, p] of plans.entries()) {
      const rest = await Promise.all(pending[j]);
      const all: Forecast[] = [...mine[j]];
      for (const part of rest) for (const f of part) all.push(f);
      c.store(p, all);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** One job on a worker; rejects on the worker's error, crash or exit. */
function ask(w: Worker, job: InferenceJob): Promise<Forecast[]> {
  return new Promise<Forecast[]>((resolve, reject) => {
    const onMessage = (r: InferenceReply): void => {
      if (r.id !== job.id) return;
      off();
      if ('error' in r) reject(new Error(r.error));
      else resolve(r.forecasts);
    };
    const onError = (e: Error): void => {
      off();
      reject(e);
    };
    const onExit = (code: number): void => {
      off();
      reject(new Error(`inference worker exited (code ${code})`));
    };
    const off = (): void => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage(job);
  });
}
