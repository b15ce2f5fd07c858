import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { QuantgateError, describeError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Config } from '../../config/index.ts';
import { modelStoreContext, registry } from '../model-store.ts';
import { MODEL_TIMEFRAMES, parseTimeframe } from '../../core/types.ts';
import type { ModelTimeframe } from '../../core/types.ts';
import type { TrainModelResult } from '../../models/index.ts';
import { activateIfNone, versionDir } from '../../models/registry-paths.ts';
import { resolve } from 'node:path';
import { modelConfigFor } from '../../config/per-timeframe.ts';
import {
  CONFIG_HELP,
  action,
  collect,
  cliLogger,
  configFromOptions,
  optionLayer,
  splitList,
} from '../run.ts';
import { dataFormatLayer, dataFormatOption } from '../data-format.ts';
import {
  parseDateOption,
  parseExchange,
  parseIntOption,
  parsePositive,
  parseSymbolsOption,
} from '../options.ts';
import type { DataFormat } from '../../core/types.ts';
import { formatMetricsTable } from './evaluate.ts';
import { trainReporter } from '../train-progress.ts';
import { shellArg } from '../train-hint.ts';

interface TrainCliOptions {
  timeframes?: string;
  timeframe?: string;
  modelsDir?: string;
  symbols?: string;
  config?: string[];
  dataDir?: string;
  dataFormat?: DataFormat;
  exchange?: string;
  out?: string;
  maxMinutes?: string;
  epochs?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

/** A model timeframe from the command line; `24h` is read as `1d`, the name every output uses. */
export function parseModelTimeframe(s: string, option = '--timeframe'): ModelTimeframe {
  const tf = parseTimeframe(s.trim());
  if (tf === null || !(MODEL_TIMEFRAMES as readonly string[]).includes(tf))
    throw new QuantgateError(
      'USAGE',
      `${option}: unknown timeframe "${s}" (expected one of ${MODEL_TIMEFRAMES.join(', ')}; 24h = 1d)`,
    );
  return tf as ModelTimeframe;
}

/**
 * Which models to train: `--timeframes 5m,1h,12h,1d` and/or `--timeframe TF` (the older single
 * form), in the order given without repeats; neither → every timeframe the strategy declares.
 */
export function trainTimeframes(
  opts: Pick<TrainCliOptions, 'timeframes' | 'timeframe'>,
  declared: readonly ModelTimeframe[],
): ModelTimeframe[] {
  const given = [
    ...splitList(opts.timeframes).map((s) => parseModelTimeframe(s, '--timeframes')),
    ...(opts.timeframe === undefined ? [] : [parseModelTimeframe(opts.timeframe)]),
  ];
  if (opts.timeframes !== undefined && given.length === 0)
    throw new QuantgateError('USAGE', '--timeframes: expected a list such as 5m,1h,12h,1d');
  return [...new Set(given.length > 0 ? given : declared)];
}

// The shared option parsers (one place for every command), re-exported for the commands that used them from here.
export { parseDateOption, parsePositive } from '../options.ts';

/**
 * `quantgate train`: for each timeframe, train → calibrate → evaluate (test slice, if any) → save
 * one model version; one progress display for the whole run. Logs go to stderr; with --json the
 * result is the only thing on stdout (one object for `--timeframe TF`, else an array).
 */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'Train, calibrate and save the forecasting models (every timeframe the strategy uses, or --timeframes) from the candle store',
    )
    .option('--timeframes <list>', 'comma-separated: 5m,1h,12h,1d (default: strategy.timeframes; 24h = 1d)')
    .option('-t, --timeframe <tf>', 'one timeframe (same as --timeframes TF)')
    .option('-s, --symbols <list>', 'comma-separated symbols (default: exchange.symbols from the config)')
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .option('--data-dir <dir>', 'candle store directory (default: data.dir)')
    .addOption(dataFormatOption())
    .option('--models-dir <dir>', 'models directory (default: data.modelsDir)')
    .option('--exchange <name>', 'exchange whose candles to read (default: exchange.name)')
    .option('--out <dir>', 'output directory, one timeframe only (default: <data.modelsDir>/<tf>/<version>)')
    .option('--max-minutes <n>', 'training time budget in minutes, per timeframe (default: model.maxMinutes)')
    .option('--epochs <n>', 'maximum epochs (default: model.epochs)')
    .option('--from <date>', 'use only candles opening at or after this date')
    .option('--to <date>', 'use only candles opening before this date (keep later data for evaluation)')
    .option('--json', 'print the result as JSON on stdout')
    .action(
      action(async (opts: TrainCliOptions) => {
        // Every option checked before the config is read: a bad value blames its option.
        const cliSymbols = parseSymbolsOption(opts.symbols);
        const maxMinutes = parsePositive('--max-minutes', opts.maxMinutes);
        const epochs = parseIntOption('--epochs', opts.epochs, 1);
        const from = parseDateOption('--from', opts.from);
        const to = parseDateOption('--to', opts.to);
        const config = configFromOptions(opts, [
          dataFormatLayer(opts.dataFormat),
          opts.modelsDir === undefined
            ? undefined
            : optionLayer('--models-dir', 'data.modelsDir', opts.modelsDir),
        ]);
        const timeframes = trainTimeframes(opts, config.strategy.timeframes);
        if (opts.out !== undefined && timeframes.length > 1)
          throw new QuantgateError(
            'USAGE',
            `--out: one directory holds one model; with ${timeframes.length} timeframes leave it out (models go to data.modelsDir)`,
          );
        const logger = cliLogger(config);
        const symbols = cliSymbols ?? [...config.exchange.symbols];
        const exchange = parseExchange(opts.exchange, config.exchange.name);
        // tfjs loads here, not when the program starts (`quantgate --help` stays fast).
        const { trainModel } = await import('../../models/index.ts');
        const budgetsMs = Object.fromEntries(
          timeframes.map((tf) => [tf, (maxMinutes ?? modelConfigFor(config, tf).maxMinutes) * 60_000]),
        );
        const progress = trainReporter(logger, process.stderr.isTTY === true, { timeframes, budgetsMs }, () =>
          systemClock.now(),
        );
        const results: TrainModelResult[] = [];
        const activations: Activation[] = [];
        try {
          for (const [i, timeframe] of timeframes.entries()) {
            progress.start(timeframe, i);
            const t0 = systemClock.now();
            const result = await trainModel({
              config,
              timeframe,
              symbols,
              exchange,
              dataDir: opts.dataDir ?? config.data.dir,
              outDir: opts.out,
              maxMinutes,
              epochs,
              from,
              to,
              clock: systemClock,
              logger,
              onProgress: (p) => progress.update(p),
            }).catch((e: unknown) => {
              if (results.length > 0 && e instanceof QuantgateError)
                throw new QuantgateError(
                  e.code,
                  `${timeframe}: ${e.message} (already saved: ${results.map((r) => r.timeframe).join(', ')})`,
                  { ...e.details },
                );
              throw e;
            });
            progress.finish(timeframe, systemClock.now() - t0);
            results.push(result);
            activations.push(activation(config.data.modelsDir, result, opts.config ?? []));
          }
        } finally {
          progress.stop();
        }
        if (activations.some((a) => a.active || a.promote !== null)) await recordInRegistry(config, logger);
        if (opts.json) {
          const single = opts.timeframes === undefined && opts.timeframe !== undefined;
          const out = results.map((r, i) => ({ ...r, ...activations[i] }));
          process.stdout.write(`${JSON.stringify(single ? out[0] : out, null, 2)}\n`);
          return;
        }
        for (const [i, result] of results.entries())
          process.stdout.write(`${resultText(result)}\n${activationText(result, activations[i])}\n`);
      }),
    );
}

/** Whether a trained version became active, and how to promote it when it did not. */
export interface Activation {
  readonly active: boolean;
  /** The exact command that makes the version active; null when it already is. */
  readonly promote: string | null;
}

/**
 * A timeframe's first model becomes active (ACTIVE written, the registry follows on its next sync)
 * so `train` → `backtest` → `live` needs no extra step; any later one stays a candidate — live
 * only ever loads what ACTIVE names. A model saved outside the models directory (--out) is never
 * activated.
 */
export function activation(
  modelsDir: string,
  r: TrainModelResult,
  configFiles: readonly string[],
): Activation {
  const inStore = resolve(r.modelDir) === resolve(versionDir(modelsDir, r.timeframe, r.version));
  if (!inStore) return { active: false, promote: null };
  if (activateIfNone(modelsDir, r.timeframe, r.version)) return { active: true, promote: null };
  const args = ['quantgate', 'models', 'promote', r.version, '-t', r.timeframe];
  for (const f of configFiles) args.push('--config', f);
  return { active: false, promote: args.map(shellArg).join(' ') };
}

/**
 * Registers the new versions in the registry (candidates; the one ACTIVE names as promoted), so
 * `models list` agrees with what live loads. The models are saved either way: a registry that
 * cannot be written is a warning here (the next `models` command syncs again).
 */
async function recordInRegistry(config: Config, logger: Logger): Promise<void> {
  try {
    await (await registry()).syncFromDisk(await modelStoreContext(config));
  } catch (e) {
    logger.warn({ err: describeError(e) }, 'could not record the trained models in the registry');
  }
}

export function activationText(r: TrainModelResult, a: Activation): string {
  if (a.active) return `${r.timeframe}: ${r.version} is active (the timeframe had no active model)`;
  if (a.promote === null)
    return `${r.timeframe}: saved outside the models directory (--out): live and backtest do not load it`;
  return `${r.timeframe}: ${r.version} is a candidate (live keeps trading the active version); to trade it: ${a.promote}`;
}

/** What a person reads after one timeframe's training. */
export function resultText(result: TrainModelResult): string {
  const lines = [
    `${result.timeframe}: model saved: ${result.modelDir}`,
    `samples: train ${result.samples.train}, validation ${result.samples.validation}, calibration ${result.samples.calibration}, test ${result.samples.test}`,
  ];
  if (result.metrics) lines.push(`\nOut-of-sample (test slice):\n${formatMetricsTable(result.metrics)}`);
  else lines.push('no test slice (model.split leaves none): no out-of-sample metrics');
  return lines.join('\n');
}
