import schedule from 'node-schedule';
import type { Job } from 'node-schedule';
import type { RetrainConfig } from '../config/index.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ModelTimeframe } from '../core/types.ts';

export interface RetrainScheduler {
  /** Timeframes with a scheduled job and the cron expression each uses. */
  readonly jobs: ReadonlyMap<ModelTimeframe, string>;
  isRunning(tf: ModelTimeframe): boolean;
  /** Runs a cycle now unless one is in progress for that timeframe; false when skipped. */
  trigger(tf: ModelTimeframe, why: string): Promise<boolean>;
  stop(): void;
}

export interface SchedulerOptions {
  readonly config: RetrainConfig;
  readonly timeframes: readonly ModelTimeframe[];
  /** One retrain cycle; its failures are logged here, never thrown into node-schedule. */
  readonly runCycle: (tf: ModelTimeframe, why: string) => Promise<void>;
  readonly logger: Logger;
  /** Called when a firing is skipped because the previous run is still in progress. */
  readonly onSkip?: (tf: ModelTimeframe, why: string) => void;
}

/**
 * node-schedule jobs from `retrain.cron` / `retrain.perTimeframe.<tf>.cron` in `retrain.timezone`.
 * node-schedule has no overlap guard: a firing while the timeframe's previous run is still going
 * is skipped and logged.
 */
export function startScheduler(o: SchedulerOptions): RetrainScheduler {
  const running = new Set<ModelTimeframe>();
  const jobs = new Map<ModelTimeframe, string>();
  const handles: Job[] = [];

  const trigger = async (tf: ModelTimeframe, why: string): Promise<boolean> => {
    if (running.has(tf)) {
      o.logger.warn(
        { timeframe: tf, why },
        'retrain skipped: the previous run for this timeframe is still in progress',
      );
      o.onSkip?.(tf, why);
      return false;
    }
    running.add(tf);
    try {
      await o.runCycle(tf, why);
    } catch (e) {
      o.logger.error({ timeframe: tf, why, err: describeError(e) }, 'retrain cycle failed');
    } finally {
      running.delete(tf);
    }
    return true;
  };

  for (const tf of o.timeframes) {
    const per = o.config.perTimeframe[tf];
    if (!o.config.enabled || per?.enabled === false) continue;
    const cron = per?.cron ?? o.config.cron;
    const key = per?.cron !== undefined ? `retrain.perTimeframe.${tf}.cron` : 'retrain.cron';
    let job: Job | null;
    try {
      job = schedule.scheduleJob(
        { rule: cron, tz: o.config.timezone },
        () => void trigger(tf, `schedule ${cron}`),
      );
    } catch (e) {
      job = null;
      o.logger.debug({ err: describeError(e) }, 'node-schedule refused the rule');
    }
    if (job === null) {
      for (const h of handles) h.cancel();
      throw new QuantgateError(
        'CONFIG_INVALID',
        `${key}: "${cron}" is not a valid cron expression in time zone retrain.timezone "${o.config.timezone}" (expected e.g. "0 0 * * 0" = Sunday 00:00)`,
      );
    }
    handles.push(job);
    jobs.set(tf, cron);
  }
  o.logger.info({ jobs: Object.fromEntries(jobs), timezone: o.config.timezone }, 'retrain schedule');
  return {
    jobs,
    isRunning: (tf) => running.has(tf),
    trigger,
    stop: () => {
      for (const h of handles) h.cancel();
    },
  };
}
