import type { Command } from 'commander';
import type { Config } from '../../config/index.ts';
import { systemClock } from '../../core/clock.ts';
import type { Clock } from '../../core/clock.ts';
import { QuantgateError } from '../../core/errors.ts';
import type { ErrorCode } from '../../core/errors.ts';
import type { ModelTimeframe } from '../../core/types.ts';
import type { CycleOutcome, Refresher } from '../../retrain/index.ts';
import { CONFIG_HELP, action, collect, cliLogger, configFromOptions } from '../run.ts';
import { parseModelTimeframe } from './train.ts';

export interface RetrainCliOptions {
  once?: boolean;
  timeframe?: string;
  config?: string[];
  json?: boolean;
  refresh?: boolean;
}

/** Timeframes a `--once` run covers: the one asked for, else every strategy timeframe not disabled. */
export function retrainTimeframes(config: Config, opts: RetrainCliOptions): ModelTimeframe[] {
  if (opts.once !== true)
    throw new QuantgateError(
      'USAGE',
      'retrain: pass --once to run one cycle now (the weekly schedule runs inside `quantgate live`)',
    );
  if (opts.timeframe !== undefined) return [parseModelTimeframe(opts.timeframe)];
  return config.strategy.timeframes.filter((tf) => config.retrain.perTimeframe[tf]?.enabled !== false);
}

/** The exit status of a run: the first failure's code (a rejection or a cool-down is a normal result). */
export function failureCode(outcomes: readonly CycleOutcome[]): ErrorCode | null {
  for (const o of outcomes) {
    if (o.status === 'skipped' && o.stage === 'data-quality') return 'DATA_INVALID';
    if (o.status !== 'failed') continue;
    if (o.stage === 'registry' || o.stage === 'promote') return 'STATE_CORRUPT';
    if (o.stage === 'evaluate') return 'MODEL_INVALID';
    return 'INTERNAL';
  }
  return null;
}

export function outcomeLine(o: CycleOutcome): string {
  const gate = o.verdict === null ? '' : o.verdict.passed ? ' gate: pass' : ' gate: FAIL';
  return `${o.timeframe}: ${o.status} at ${o.stage} in ${o.seconds.toFixed(1)} s — active ${o.active ?? 'none'}${gate}\n  ${o.message}`;
}

/** Runs the cycles one after another; the running bot picks up a promotion on its next candle. */
export async function runRetrainOnce(
  config: Config,
  timeframes: readonly ModelTimeframe[],
  o: { readonly refresh?: Refresher; readonly clock?: Clock; readonly progress?: (line: string) => void },
): Promise<CycleOutcome[]> {
  const { createAlertSink, createCycleRunner, registryPath } = await import('../../retrain/index.ts');
  const logger = cliLogger(config);
  const clock = o.clock ?? systemClock;
  const alerts = createAlertSink({
    logger,
    registryFile: registryPath(config.data.stateDir),
    webhookUrl: config.alerts.webhookUrl,
    webhookTimeoutMs: config.alerts.webhookTimeoutMs,
    minSeverity: config.alerts.minSeverity,
    clock,
  });
  const runner = createCycleRunner({ config, clock, logger, alerts, refresh: o.refresh });
  const out: CycleOutcome[] = [];
  try {
    for (const tf of timeframes) {
      o.progress?.(`retrain ${tf}: refresh, data check, training in a worker, hold-out evaluation…`);
      const r = await runner.run(tf, 'quantgate retrain --once');
      o.progress?.(outcomeLine(r));
      out.push(r);
    }
  } finally {
    await alerts.flush();
  }
  return out;
}

export function registerRetrain(program: Command): void {
  program
    .command('retrain')
    .description(
      'Run one retrain cycle now: refresh candles, check data quality, train in a worker, gate against the active model on a later hold-out, promote or reject',
    )
    .option('--once', 'run one cycle per timeframe now and exit')
    .option('-t, --timeframe <tf>', 'only this timeframe (5m, 1h, 12h or 1d; 24h = 1d)')
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .option('--no-refresh', 'use the candle store as it is (no download)')
    .option('--json', 'print the outcome of each timeframe as JSON on stdout')
    .action(
      action(async (opts: RetrainCliOptions) => {
        const config = configFromOptions(opts);
        const timeframes = retrainTimeframes(config, opts);
        const logger = cliLogger(config);
        const { exchangeRefresher } = await import('../../retrain/index.ts');
        const refresher = opts.refresh === false ? null : exchangeRefresher(config, systemClock, logger);
        let outcomes: CycleOutcome[];
        try {
          outcomes = await runRetrainOnce(config, timeframes, {
            refresh: refresher?.refresh,
            progress: (l) => process.stderr.write(`${l}\n`),
          });
        } finally {
          await refresher?.close();
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
        else for (const o of outcomes) process.stdout.write(`${outcomeLine(o)}\n`);
        const code = failureCode(outcomes);
        if (code !== null)
          throw new QuantgateError(
            code,
            `retrain: ${outcomes
              .filter((o) => o.status === 'failed' || o.stage === 'data-quality')
              .map((o) => `${o.timeframe} ${o.status} at ${o.stage}`)
              .join(', ')} (see the messages above)`,
          );
      }),
    );
}
