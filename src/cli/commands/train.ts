import type { Command } from 'commander';
import { createLogger } from '../../core/logger.ts';
import { systemClock } from '../../core/clock.ts';
import { QuantgateError } from '../../core/errors.ts';
import { isExchangeId, MODEL_TIMEFRAMES, parseTimeframe } from '../../core/types.ts';
import type { ExchangeId, ModelTimeframe } from '../../core/types.ts';
import { trainModel } from '../../models/index.ts';
import type { TrainProgress } from '../../models/index.ts';
import { CONFIG_HELP, action, collect, configFromOptions, splitList } from '../run.ts';
import { dataFormatLayer, dataFormatOption } from '../data-format.ts';
import type { DataFormat } from '../../core/types.ts';
import { formatMetricsTable } from './evaluate.ts';
import cliProgress from 'cli-progress';
import type { Logger } from '../../core/logger.ts';

interface TrainCliOptions {
  timeframe: string;
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

export function parseModelTimeframe(s: string): ModelTimeframe {
  const tf = parseTimeframe(s);
  if (tf === null || !(MODEL_TIMEFRAMES as readonly string[]).includes(tf))
    throw new QuantgateError(
      'USAGE',
      `--timeframe: unknown timeframe "${s}" (expected one of 5m, 1h, 12h, 24h)`,
    );
  return tf as ModelTimeframe;
}

export function parseDateOption(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t))
    throw new QuantgateError(
      'USAGE',
      `${name}: cannot read "${s}" as a date (expected e.g. 2021-05-01 or 2021-05-01T12:00Z)`,
    );
  return t;
}

export function parsePositive(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!(Number.isFinite(n) && n > 0))
    throw new QuantgateError('USAGE', `${name}: expected a positive number, got "${s}"`);
  return n;
}

export function parseExchange(s: string | undefined, fallback: ExchangeId): ExchangeId {
  if (s === undefined) return fallback;
  if (!isExchangeId(s))
    throw new QuantgateError('USAGE', `--exchange: expected binance or hyperliquid, got "${s}"`);
  return s;
}

/**
 * `quantgate train`: train → calibrate → evaluate (test slice, if any) → save one model version.
 * Logs go to stderr; with --json the result is the only thing on stdout.
 */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train, calibrate and save a forecasting model for one timeframe from the CSV store')
    .requiredOption('-t, --timeframe <tf>', 'timeframe: 5m, 1h, 12h or 24h')
    .option('-s, --symbols <list>', 'comma-separated symbols (default: exchange.symbols from the config)')
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .option('--data-dir <dir>', 'candle store directory (default: data.dir)')
    .addOption(dataFormatOption())
    .option('--exchange <name>', 'exchange whose candles to read (default: exchange.name)')
    .option('--out <dir>', 'output directory (default: <data.modelsDir>/<tf>/<version>)')
    .option('--max-minutes <n>', 'training time budget in minutes (default: model.maxMinutes)')
    .option('--epochs <n>', 'maximum epochs (default: model.epochs)')
    .option('--from <date>', 'use only candles opening at or after this date')
    .option('--to <date>', 'use only candles opening before this date (keep later data for evaluation)')
    .option('--json', 'print the result as JSON on stdout')
    .action(
      action(async (opts: TrainCliOptions) => {
        const timeframe = parseModelTimeframe(opts.timeframe);
        const config = configFromOptions(opts, [dataFormatLayer(opts.dataFormat)]);
        const logger = createLogger({ level: config.logging.level });
        const symbols = opts.symbols ? splitList(opts.symbols) : [...config.exchange.symbols];
        if (symbols.length === 0)
          throw new QuantgateError('USAGE', '--symbols: expected at least one symbol');
        const progress = progressReporter(logger, process.stderr.isTTY === true);
        const result = await trainModel({
          config,
          timeframe,
          symbols,
          exchange: parseExchange(opts.exchange, config.exchange.name),
          dataDir: opts.dataDir ?? config.data.dir,
          outDir: opts.out,
          maxMinutes: parsePositive('--max-minutes', opts.maxMinutes),
          epochs: parsePositive('--epochs', opts.epochs),
          from: parseDateOption('--from', opts.from),
          to: parseDateOption('--to', opts.to),
          clock: systemClock,
          logger,
          onProgress: (p: TrainProgress) => progress.update(p),
        }).finally(() => progress.stop());
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        process.stdout.write(`model saved: ${result.modelDir}\n`);
        process.stdout.write(
          `samples: train ${result.samples.train}, validation ${result.samples.validation}, calibration ${result.samples.calibration}, test ${result.samples.test}\n`,
        );
        if (result.metrics)
          process.stdout.write(`\nOut-of-sample (test slice):\n${formatMetricsTable(result.metrics)}\n`);
        else process.stdout.write('no test slice (model.split leaves none): no out-of-sample metrics\n');
      }),
    );
}

interface ProgressReporter {
  update(p: TrainProgress): void;
  stop(): void;
}

/** A cli-progress bar on stderr when it is a terminal, one log line per epoch otherwise. */
function progressReporter(logger: Logger, tty: boolean): ProgressReporter {
  if (!tty)
    return {
      update: (p) =>
        logger.info(
          {
            epoch: p.epoch,
            epochs: p.epochs,
            loss: p.loss,
            valLoss: p.valLoss,
            etaSeconds: Math.round(p.etaMs / 1000),
          },
          `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)}`,
        ),
      stop: () => undefined,
    };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'training [{bar}] epoch {value}/{total} | loss {loss} | val {val} | ETA {eta_formatted}',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      const payload = { loss: p.loss.toFixed(4), val: p.valLoss === null ? '-' : p.valLoss.toFixed(4) };
      if (!started) {
        bar.start(p.epochs, 0, payload);
        started = true;
      }
      bar.setTotal(p.epochs);
      bar.update(p.epoch, payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
