import type { Config } from '../config/index.ts';
import type { Clock } from '../core/clock.ts';
import { describeError } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import type { Logger } from '../core/logger.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { versionDir } from '../models/index.ts';
import type { CycleData } from './cycle-data.ts';
import type { QualityReport } from './data-quality.ts';
import { inspectInWorker } from './inspect-in-worker.ts';
import type { AlertSink } from './alerts.ts';
import { judge } from './gate.ts';
import type { Holdout, HoldoutFigures } from './holdout-eval.ts';
import { promoteVersion } from './model-ops.ts';
import type { ModelStoreContext } from './model-ops.ts';
import { activeVersion, addVersion, findVersion, recordGate, versionsOf } from './registry-ops.ts';
import type { AlertSeverity, GateVerdict } from './registry-schema.ts';
import { readRegistry, registryPath, updateRegistry } from './registry-store.ts';
import { beginShadow } from './shadow.ts';
import { trainInWorker } from './train-in-worker.ts';
import type { WorkerHandle, WorkerLimits } from './train-in-worker.ts';
import type { WorkerTrainRequest } from './worker.ts';

/** What a cycle needs of an alert sink. */
export type AlertRaiser = Pick<AlertSink, 'raise'>;

/** 'shadow': passed the gate, now in its shadow trial beside the active model (retrain.shadow). */
export type CycleStatus = 'promoted' | 'shadow' | 'rejected' | 'skipped' | 'failed';
export type CycleStage =
  'registry' | 'cooldown' | 'shadow' | 'refresh' | 'data-quality' | 'train' | 'evaluate' | 'gate' | 'promote';

/** One timeframe's cycle, as the CLI prints it (--json) and the log records it. */
export interface CycleOutcome {
  readonly timeframe: ModelTimeframe;
  readonly status: CycleStatus;
  /** The step that decided the status. */
  readonly stage: CycleStage;
  readonly why: string;
  readonly message: string;
  /** Active version before the cycle. */
  readonly previous: string | null;
  readonly candidate: string | null;
  /** Active version after the cycle. */
  readonly active: string | null;
  readonly holdout: { readonly from: string; readonly to: string } | null;
  readonly quality: QualityReport | null;
  readonly verdict: GateVerdict | null;
  /** Seconds per step. */
  readonly timings: Readonly<Partial<Record<CycleStage, number>>>;
  readonly seconds: number;
}

/** Downloads new closed candles of `symbols` into the store (the exchange refresher, or a test's). */
export type Refresher = (tf: ModelTimeframe, symbols: readonly string[]) => Promise<void>;
export type Trainer = (req: WorkerTrainRequest, limits: WorkerLimits) => WorkerHandle;

export interface CycleOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly alerts: AlertRaiser;
  /** Omitted → the store is used as it is. */
  readonly refresh?: Refresher;
  /** Default trainInWorker (tests wrap it to kill or corrupt). */
  readonly train?: Trainer;
  /** Told about each running training worker (to stop it on shutdown). */
  readonly onWorker?: (h: WorkerHandle | null) => void;
}

export interface CycleRunner {
  run(tf: ModelTimeframe, why: string): Promise<CycleOutcome>;
}

export function modelStoreContext(config: Config, clock: Clock, logger: Logger): ModelStoreContext {
  return {
    registryPath: registryPath(config.data.stateDir),
    modelsDir: config.data.modelsDir,
    keepVersions: config.retrain.keepVersions,
    cooldownHours: config.retrain.rollback.cooldownHours,
    clock,
    logger,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * One retrain cycle per call: refresh → data-quality check → training in a worker (on candles
 * before the hold-out) → candidate and active model evaluated on the same hold-out (forecast
 * quality + the real backtest) → gate verdict stored → promote or reject. Every skip or failure
 * raises an alert and leaves the active model as it was. Never throws.
 */
export function createCycleRunner(o: CycleOptions): CycleRunner {
  const { config, clock } = o;
  const log = childLogger(o.logger, { component: 'retrain' });
  const store = modelStoreContext(config, clock, log);

  return {
    async run(tf, why) {
      const t0 = performance.now();
      const timings: Partial<Record<CycleStage, number>> = {};
      const timed = async <T>(stage: CycleStage, f: () => Promise<T> | T): Promise<T> => {
        const s = performance.now();
        try {
          return await f();
        } finally {
          timings[stage] = (performance.now() - s) / 1000;
        }
      };
      let previous: string | null = null;
      let candidate: string | null = null;
      let holdout: Holdout | null = null;
      let quality: QualityReport | null = null;
      let verdict: GateVerdict | null = null;
      const end = (
        status: CycleStatus,
        stage: CycleStage,
        message: string,
        severity: AlertSeverity | null,
        code: string,
        active: string | null = previous,
      ): CycleOutcome => {
        const out: CycleOutcome = {
          timeframe: tf,
          status,
          stage,
          why,
          message,
          previous,
          candidate,
          active,
          holdout: holdout && { from: iso(holdout.from), to: iso(holdout.to) },
          quality,
          verdict,
          timings,
          seconds: (performance.now() - t0) / 1000,
        };
        if (severity !== null) o.alerts.raise({ severity, code, message, timeframe: tf });
        log[status === 'failed' ? 'error' : status === 'promoted' || status === 'shadow' ? 'info' : 'warn'](
          { ...out, quality: quality?.ok ?? null },
          `retrain ${tf}: ${status} at ${stage}`,
        );
        return out;
      };

      // 1. The registry must be readable before anything is trained into it.
      try {
        const reg = readRegistry(store.registryPath);
        previous = activeVersion(reg, tf)?.version ?? null;
        const until = reg.cooldownUntil[tf];
        if (until !== undefined && Date.parse(until) > clock.now())
          return end(
            'skipped',
            'cooldown',
            `retrain ${tf} skipped: in the cool-down after a rollback until ${until} (retrain.rollback.cooldownHours)`,
            'info',
            'RETRAIN_COOLDOWN',
          );
        // One trial at a time: a second candidate would be judged against a moving baseline.
        const trial = config.retrain.shadow.enabled
          ? versionsOf(reg, tf).find((v) => v.status === 'shadow')
          : undefined;
        if (trial !== undefined)
          return end(
            'skipped',
            'shadow',
            `retrain ${tf} skipped: candidate ${trial.version} is still in its shadow trial (retrain.shadow.hours)`,
            'info',
            'RETRAIN_SHADOW_RUNNING',
          );
      } catch (e) {
        return end(
          'failed',
          'registry',
          `retrain ${tf} not run: ${describeError(e)}`,
          'critical',
          'RETRAIN_REGISTRY_UNUSABLE',
        );
      }

      // 2. Refresh the store; a failure is only a warning: the staleness check decides.
      const symbols = config.exchange.symbols;
      if (o.refresh) {
        const refresh = o.refresh;
        try {
          await timed('refresh', () => refresh(tf, symbols));
        } catch (e) {
          o.alerts.raise({
            severity: 'warning',
            code: 'RETRAIN_REFRESH_FAILED',
            message: `retrain ${tf}: refreshing the candle store failed (${describeError(e)}); using the stored candles`,
            timeframe: tf,
          });
        }
      }

      // 3. Data quality on exactly the candles a cycle may use: those closed by now. Read in a
      // worker: parsing years of CSV on this thread stalled trading for up to 0.7 s.
      const limits = {
        memoryMb: config.retrain.worker.memoryMb,
        timeoutMs: config.retrain.worker.timeoutMinutes * 60_000,
      };
      let data: CycleData;
      try {
        data = await timed('data-quality', () =>
          inspectInWorker(
            {
              dataDir: config.data.dir,
              exchange: config.exchange.name,
              timeframe: tf,
              symbols,
              skipBadRows: config.data.skipBadRows,
              format: config.data.format,
              now: clock.now(),
              dataQuality: config.retrain.dataQuality,
              holdoutFraction: config.retrain.holdoutFraction,
            },
            limits,
          ),
        );
      } catch (e) {
        return end(
          'skipped',
          'data-quality',
          `retrain ${tf} skipped: ${describeError(e)}`,
          'warning',
          'RETRAIN_DATA_MISSING',
        );
      }
      quality = data.quality;
      if (!quality.ok || data.holdout === null)
        return end(
          'skipped',
          'data-quality',
          `retrain ${tf} skipped, data-quality check failed: ${quality.problems.join('; ')}`,
          'warning',
          'RETRAIN_DATA_QUALITY',
        );
      holdout = data.holdout;

      // 4. Train in a worker on candles before the hold-out only.
      const train = o.train ?? trainInWorker;
      const activeDir = previous === null ? null : versionDir(config.data.modelsDir, tf, previous);
      const handle = train(
        {
          config,
          timeframe: tf,
          symbols,
          exchange: config.exchange.name,
          dataDir: config.data.dir,
          to: holdout.from,
          // model.warmStart: fine-tune the active version when compatible, else from scratch.
          parentDir: activeDir,
          evaluate: { from: holdout.from, to: holdout.to, activeDir },
        },
        { ...limits, logger: log },
      );
      o.onWorker?.(handle);
      const trained = await timed('train', () => handle.outcome).finally(() => o.onWorker?.(null));
      if (!trained.ok)
        return end(
          'failed',
          'train',
          `retrain ${tf} failed: ${trained.message}`,
          'critical',
          `RETRAIN_TRAIN_${trained.failure.toUpperCase()}`,
        );
      const r = trained.result;
      candidate = r.version;
      try {
        await updateRegistry(store.registryPath, (reg) => {
          if (findVersion(reg, tf, r.version)) return;
          addVersion(
            reg,
            {
              version: r.version,
              timeframe: tf,
              // The version its weights started from; a scratch model descends from the active one.
              parent: r.warmStart.used ? r.warmStart.parent : previous,
              trainingWindow: r.trainingWindow,
              dataHash: data.dataHash ?? 'unknown',
              seed: config.model.seed,
              metrics: {
                test: r.metrics,
                training: r.training,
                samples: r.samples,
                warmStart: r.warmStart,
                why,
              },
            },
            iso(clock.now()),
          );
        });
      } catch (e) {
        return end(
          'failed',
          'registry',
          `retrain ${tf}: candidate ${r.version} trained but could not be registered (${describeError(e)}); ${previous ?? 'no model'} stays active`,
          'critical',
          'RETRAIN_REGISTRY_UNUSABLE',
        );
      }

      // 5. Candidate and active model were judged on the same hold-out inside the worker.
      const ev = trained.evaluation;
      timings.evaluate = (ev?.candidate.seconds ?? 0) + (ev?.active?.seconds ?? 0);
      timings.train = (timings.train ?? 0) - timings.evaluate;
      const h = holdout;
      if (ev === null || !ev.candidate.ok) {
        const failure = ev !== null && !ev.candidate.ok ? ev.candidate : null;
        const why = failure?.message ?? 'the worker returned no hold-out figures';
        await rejectQuietly(store.registryPath, tf, r.version, `evaluation failed: ${why}`, clock, log);
        return end(
          'failed',
          'evaluate',
          `retrain ${tf}: candidate ${r.version} could not be evaluated (${why}); ${previous ?? 'no model'} stays active`,
          'critical',
          failure?.code === 'MODEL_INVALID' ? 'RETRAIN_CANDIDATE_CORRUPT' : 'RETRAIN_EVALUATE_FAILED',
        );
      }
      const cand: HoldoutFigures = ev.candidate.figures;
      let act: HoldoutFigures | null = null;
      if (ev.active !== null) {
        if (ev.active.ok) act = ev.active.figures;
        else
          o.alerts.raise({
            severity: 'warning',
            code: 'RETRAIN_ACTIVE_UNEVALUATED',
            message: `retrain ${tf}: the active model ${previous ?? '?'} could not be evaluated on the hold-out (${ev.active.message}); the candidate is judged on the absolute thresholds only`,
            timeframe: tf,
          });
      }

      // 6. Verdict, stored with every figure.
      verdict = judge(cand.figures, act?.figures ?? null, config.retrain.gate, iso(clock.now()));
      const stored: GateVerdict = {
        ...verdict,
        figures: {
          ...verdict.figures,
          holdout: { from: iso(h.from), to: iso(h.to) },
          candidateForecast: cand.forecast,
          candidatePerformance: cand.performance,
          momentumPerformance: cand.momentum,
          activeVersion: previous,
          activeForecast: act?.forecast ?? null,
          activePerformance: act?.performance ?? null,
        },
      };
      verdict = stored;
      try {
        await timed('gate', () =>
          updateRegistry(store.registryPath, (reg) => recordGate(reg, tf, r.version, stored)),
        );
      } catch (e) {
        return end(
          'failed',
          'registry',
          `retrain ${tf}: the gate verdict for ${r.version} could not be stored (${describeError(e)}); ${previous ?? 'no model'} stays active`,
          'critical',
          'RETRAIN_REGISTRY_UNUSABLE',
        );
      }
      if (!stored.passed)
        return end(
          'rejected',
          'gate',
          `retrain ${tf}: candidate ${r.version} rejected by the gate: ${stored.reasons.join('; ')}`,
          'warning',
          'RETRAIN_GATE_REJECTED',
        );

      // 7a. Shadow mode: the running bot's retrain service runs the candidate beside the active model
      // and promotes or rejects it after retrain.shadow.hours. With no active model there is
      // nothing to compare against: promoted on the gate.
      if (config.retrain.shadow.enabled && previous !== null) {
        try {
          await timed('shadow', () => beginShadow(store, tf, r.version));
        } catch (e) {
          return end(
            'failed',
            'registry',
            `retrain ${tf}: candidate ${r.version} passed the gate but its shadow trial could not be started (${describeError(e)}); ${previous} stays active`,
            'critical',
            'RETRAIN_REGISTRY_UNUSABLE',
          );
        }
        return end(
          'shadow',
          'shadow',
          `retrain ${tf}: ${r.version} passed the gate; shadow trial beside ${previous} for ${config.retrain.shadow.hours} h before promotion`,
          'info',
          'RETRAIN_SHADOW_STARTED',
        );
      }

      // 7. Promote: registry, then the ACTIVE pointer (the running bot swaps on its next candle).
      try {
        await timed('promote', () => promoteVersion(store, tf, r.version, `passed the gate (${why})`));
      } catch (e) {
        return end(
          'failed',
          'promote',
          `retrain ${tf}: candidate ${r.version} passed the gate but could not be promoted (${describeError(e)}); ${previous ?? 'no model'} stays active`,
          'critical',
          'RETRAIN_PROMOTE_FAILED',
        );
      }
      return end(
        'promoted',
        'promote',
        `retrain ${tf}: ${r.version} promoted (was ${previous ?? 'none'})`,
        'info',
        'RETRAIN_PROMOTED',
        r.version,
      );
    },
  };
}

/** Marks a candidate rejected with the reason; a registry that cannot take it is only logged (already alerting). */
async function rejectQuietly(
  path: string,
  tf: ModelTimeframe,
  version: string,
  reason: string,
  clock: Clock,
  log: Logger,
): Promise<void> {
  try {
    await updateRegistry(path, (reg) =>
      recordGate(reg, tf, version, { passed: false, reasons: [reason], figures: {}, at: iso(clock.now()) }),
    );
  } catch (e) {
    log.error({ timeframe: tf, version, err: describeError(e) }, 'could not mark the candidate rejected');
  }
}
