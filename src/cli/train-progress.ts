import type { Logger } from '../core/logger.ts';
import type { ModelTimeframe } from '../core/types.ts';
import type { TrainProgress } from '../models/index.ts';
import { createBars, formatDuration } from './progress.ts';

/**
 * Time left for all the timeframes of one `train` run: the current one's own estimate plus, for
 * each one not started, the mean duration of those finished (an estimate) or, before any has
 * finished, its time budget (an upper bound, said as `≤`). Each is capped by its budget.
 */
export function overallEta(o: {
  readonly currentEtaMs: number;
  readonly finishedMs: readonly number[];
  readonly remainingBudgetsMs: readonly number[];
}): { readonly ms: number; readonly upperBound: boolean } {
  const mean =
    o.finishedMs.length > 0 ? o.finishedMs.reduce((a, b) => a + b, 0) / o.finishedMs.length : undefined;
  const rest = o.remainingBudgetsMs.reduce((a, budget) => a + Math.min(budget, mean ?? budget), 0);
  return { ms: o.currentEtaMs + rest, upperBound: mean === undefined && o.remainingBudgetsMs.length > 0 };
}

export interface TrainReporter {
  /** Training of `tf` (index `i` of the run) starts. */
  start(tf: ModelTimeframe, i: number): void;
  update(p: TrainProgress): void;
  /** `tf` is done (saved). */
  finish(tf: ModelTimeframe, elapsedMs: number): void;
  stop(): void;
}

interface Plan {
  readonly timeframes: readonly ModelTimeframe[];
  /** Per timeframe, the training time budget in ms (model.maxMinutes or --max-minutes). */
  readonly budgetsMs: Readonly<Record<string, number>>;
}

/**
 * One display for the whole run. On a terminal: one bar over all the timeframes (each counts one
 * unit, the current one by its elapsed share) with this timeframe's epoch, loss and ETA and the
 * run's ETA; log lines print above it. Otherwise: one log line per epoch (never per step).
 */
export function trainReporter(logger: Logger, tty: boolean, plan: Plan, now: () => number): TrainReporter {
  const finishedMs: number[] = [];
  let index = 0;
  let current: ModelTimeframe = plan.timeframes[0];
  const n = plan.timeframes.length;
  const etaText = (p: TrainProgress): string => {
    const remaining = plan.timeframes.slice(index + 1).map((tf) => plan.budgetsMs[tf] ?? 0);
    const all = overallEta({ currentEtaMs: p.etaMs, finishedMs, remainingBudgetsMs: remaining });
    return `${all.upperBound ? '≤' : '~'}${formatDuration(all.ms)}`;
  };
  if (!tty) {
    return {
      start: (tf, i) => {
        current = tf;
        index = i;
        logger.info({ timeframe: tf, of: `${i + 1}/${n}` }, `training ${tf} (${i + 1}/${n})`);
      },
      update: (p) => {
        if (p.kind !== 'epoch') return;
        logger.info(
          {
            timeframe: current,
            epoch: p.epoch,
            epochs: p.epochs,
            loss: p.loss,
            valLoss: p.valLoss,
            etaSeconds: Math.round(p.etaMs / 1000),
            allEta: etaText(p),
          },
          `${current} epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)}`,
        );
      },
      finish: (_tf, ms) => void finishedMs.push(ms),
      stop: () => undefined,
    };
  }
  const bars = createBars(
    'train {tf} ({k}/{n}) [{bar}] epoch {epoch} | loss {loss} | val {val} | {tf} ETA {eta} | all ETA {all}',
  );
  const SCALE = 1000;
  let bar: ReturnType<typeof bars.create> | undefined;
  let startedAt = now();
  const payload = (p?: TrainProgress) => ({
    tf: current,
    k: index + 1,
    n,
    epoch: p ? `${p.epoch}/${p.epochs}` : '-',
    loss: p ? p.loss.toFixed(4) : '-',
    val: p?.valLoss == null ? '-' : p.valLoss.toFixed(4),
    eta: p ? formatDuration(p.etaMs) : '-',
    all: p ? etaText(p) : '-',
  });
  return {
    start: (tf, i) => {
      current = tf;
      index = i;
      startedAt = now();
      bar ??= bars.create(n * SCALE, 0, payload());
      bar.update(i * SCALE, payload());
    },
    update: (p) => {
      const elapsed = now() - startedAt;
      const share = elapsed + p.etaMs > 0 ? elapsed / (elapsed + p.etaMs) : 0;
      bar?.update(Math.round((index + Math.min(1, share)) * SCALE), payload(p));
    },
    finish: (_tf, ms) => {
      finishedMs.push(ms);
      bar?.update((index + 1) * SCALE);
    },
    stop: () => bars.stop(),
  };
}
