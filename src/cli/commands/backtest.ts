import type { Command } from 'commander';
import { parseDate } from '../../backtest/dates.ts';
import { TRADE_CSV_COLUMNS } from '../../backtest/trades-csv.ts';
import type { BacktestRequest, WindowProgress } from '../../backtest/index.ts';
import { horizonFor } from '../../config/per-timeframe.ts';
import type { Config, ConfigLayer } from '../../config/index.ts';
import { writeFileAtomic } from '../../core/atomic-file.ts';
import { QuantgateError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { MODEL_TIMEFRAMES } from '../../core/types.ts';
import type { ModelTimeframe } from '../../core/types.ts';
import { createBars } from '../progress.ts';
import { missingModels, trainCommand } from '../train-hint.ts';
import type { Bars } from '../progress.ts';
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
import type { DataFormat } from '../../core/types.ts';
import { warmupCandlesFor } from '../../runtime/warmup.ts';
import { strategyWarmup } from '../../strategy/warmup-needs.ts';
import { parseSymbolsOption } from '../options.ts';
import { REPORT_OUTPUT, WINDOWS_OUTPUT, checkOutputFile, csvOutput } from '../outputs.ts';

export interface BacktestCliOptions {
  config?: string[];
  dataDir?: string;
  dataFormat?: DataFormat;
  modelsDir?: string;
  symbols?: string;
  from?: string;
  to?: string;
  walkForward?: boolean;
  json?: boolean;
  report?: string;
  trades?: string;
  baseline?: boolean;
  windows?: string;
  modelCache?: string;
  force?: boolean;
}

const TRADES_OUTPUT = csvOutput('--trades', TRADE_CSV_COLUMNS.join(','));

/** --report, --windows and --trades: the right extension, and never over a file that is not ours (unless --force). */
export function checkOutputs(opts: BacktestCliOptions): void {
  const force = opts.force === true;
  if (opts.report !== undefined) checkOutputFile(REPORT_OUTPUT, opts.report, force);
  if (opts.windows !== undefined) checkOutputFile(WINDOWS_OUTPUT, opts.windows, force);
  if (opts.trades !== undefined) checkOutputFile(TRADES_OUTPUT, opts.trades, force);
}

/** Validates the command line against the config and builds the request (reads only existing outputs' first bytes). */
export function backtestRequest(config: Config, opts: BacktestCliOptions): BacktestRequest {
  const symbols = parseSymbolsOption(opts.symbols) ?? [...config.exchange.symbols];
  if (!opts.from) throw new QuantgateError('USAGE', '--from: required (UTC date, e.g. 2021-01-01)');
  if (!opts.to) throw new QuantgateError('USAGE', '--to: required (UTC date, e.g. 2021-07-01)');
  const from = parseDate(opts.from, '--from');
  const to = parseDate(opts.to, '--to');
  if (!(to > from)) throw new QuantgateError('USAGE', `--from ${opts.from} must be before --to ${opts.to}`);
  checkOutputs(opts);
  const horizons = Object.fromEntries(MODEL_TIMEFRAMES.map((tf) => [tf, horizonFor(config, tf)])) as Record<
    ModelTimeframe,
    number
  >;
  return {
    exchange: config.exchange.name,
    symbols,
    timeframes: config.strategy.timeframes,
    executionTimeframe: config.strategy.executionTimeframe,
    from,
    to,
    walkForward: opts.walkForward === true,
    walkForwardDays: config.backtest.walkForwardDays,
    // As live: at least what the strategy declares, so both start deciding at the same candle.
    warmupCandles: warmupCandlesFor(config.exchange.warmupCandles, strategyWarmup(config).warmup).candles,
    horizons,
    startingBalance: config.paper.startingBalance,
    fee: config.exchange.takerFee,
    slippage: config.paper.slippageBps / 10_000,
    riskFreeRate: config.backtest.riskFreeRate,
    skipBaseline: opts.baseline === false,
    inferenceWorkers: config.backtest.inferenceWorkers,
    // The one-line trend reference: 20 days, shorting only where the market can (perps).
    momentum: { lookbackDays: 20, allowShort: config.exchange.market === 'swap' },
  };
}

/** --data-format, --data-dir, --models-dir and --symbols as config layers (backtest and sweep). */
export function backtestLayers(
  opts: Pick<BacktestCliOptions, 'dataFormat' | 'dataDir' | 'modelsDir' | 'symbols'>,
): Array<ConfigLayer | undefined> {
  return [
    dataFormatLayer(opts.dataFormat),
    opts.dataDir === undefined ? undefined : optionLayer('--data-dir', 'data.dir', opts.dataDir),
    opts.modelsDir === undefined ? undefined : optionLayer('--models-dir', 'data.modelsDir', opts.modelsDir),
    // Walk-forward windows train on the symbols they trade.
    opts.symbols === undefined
      ? undefined
      : optionLayer('--symbols', 'exchange.symbols', parseSymbolsOption(opts.symbols)),
  ];
}

/** One finished walk-forward window as a JSON line (dates ISO, fractions 0–1). */
function windowLine(w: WindowProgress): Record<string, unknown> {
  return {
    window: w.index,
    of: w.of,
    train: [new Date(w.window.trainFrom).toISOString(), new Date(w.window.trainTo).toISOString()],
    test: [new Date(w.window.testFrom).toISOString(), new Date(w.window.testTo).toISOString()],
    modelVersions: w.window.modelVersions,
    metrics: w.window.metrics,
    equity: w.equity,
    cumulativeReturn: w.cumulativeReturn,
    buyAndHoldReturn: w.buyAndHoldReturn,
    seconds: w.seconds,
    gate: w.window.gate,
    forecasts: w.window.forecasts,
  };
}

/** A bar per phase on a terminal (log lines printed above it); a log line every 10 % otherwise. */
export function progress(
  logger: Logger,
  tty: boolean,
): { update(phase: string, done: number, total: number): void; stop(): void } {
  if (!tty) {
    const lastDecile = new Map<string, number>();
    return {
      update: (phase, done, total) => {
        const d = total > 0 ? Math.floor((10 * done) / total) : 10;
        if (lastDecile.get(phase) === d) return;
        lastDecile.set(phase, d);
        logger.info({ phase, done, total }, `${phase}: ${done}/${total}`);
      },
      stop: () => undefined,
    };
  }
  const bars = createBars('{phase} [{bar}] {value}/{total} | ETA {eta_formatted}');
  const byPhase = new Map<string, ReturnType<Bars['create']>>();
  return {
    update: (phase, done, total) => {
      let b = byPhase.get(phase);
      if (!b) byPhase.set(phase, (b = bars.create(total, 0, { phase: phase.padEnd(8) })));
      b.setTotal(total);
      b.update(done, { phase: phase.padEnd(8) });
    },
    stop: () => bars.stop(),
  };
}

/**
 * MODEL_MISSING with the exact command that trains the missing models on data before the
 * backtest's start (so they never see the tested period). Other errors pass unchanged.
 */
export function withTrainHint(e: unknown, config: Config, opts: BacktestCliOptions): unknown {
  if (!(e instanceof QuantgateError) || e.code !== 'MODEL_MISSING' || opts.walkForward) return e;
  const missing = missingModels(config.data.modelsDir, config.strategy.timeframes);
  if (missing.length === 0) return e;
  const command = trainCommand({
    timeframes: missing,
    symbols: opts.symbols ? splitList(opts.symbols) : config.exchange.symbols,
    to: opts.from,
    configFiles: opts.config,
    dataDir: opts.dataDir,
    modelsDir: opts.modelsDir,
  });
  return new QuantgateError(
    'MODEL_MISSING',
    `no trained model for ${missing.join(', ')} in ${config.data.modelsDir}; train them first (data before --from only): ${command}   (or backtest with --walk-forward, which trains as it goes)`,
    { ...e.details, missing, command },
  );
}

/** `quantgate backtest`: replays stored candles through the live strategy code path. */
export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description(
      'Backtest the strategy on the CSV candle store (same plugin, risk manager and paper broker as live)',
    )
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .option('--data-dir <dir>', 'candle store directory (default: data.dir)')
    .addOption(dataFormatOption())
    .option('--models-dir <dir>', 'models directory (default: data.modelsDir)')
    .option('-s, --symbols <list>', 'comma-separated symbols (default: exchange.symbols)')
    .option('--from <date>', 'first candle open time, UTC (e.g. 2021-01-01)')
    .option('--to <date>', 'end of the range, UTC, exclusive')
    .option('--walk-forward', 'retrain every backtest.walkForwardDays on data strictly before each window')
    .option('--no-baseline', 'skip the reference run with the rolling-quantile baseline forecaster')
    .option('--json', 'print metrics as JSON on stdout')
    .option('--report <file.html>', 'write a self-contained HTML report')
    .option(
      '--trades <file.csv>',
      'write the trade list (entry/exit, prices, size, fees, P&L, exit reason, P(win)/R/R at entry) as CSV',
    )
    .option(
      '--model-cache <dir>',
      "walk-forward: keep each window's trained models here and reuse them on the next run with the same training inputs (an interrupted run resumes)",
    )
    .option(
      '--windows <file.jsonl>',
      'walk-forward: append one JSON line per window as it finishes (metrics, running return vs buy-and-hold)',
    )
    .option(
      '--force',
      'replace an existing --report / --windows / --trades file even if quantgate did not write it',
    )
    .action(
      action(async (opts: BacktestCliOptions) => {
        // Options first: a bad --symbols or output file blames its option, before the config is read.
        checkOutputs(opts);
        const config = configFromOptions(opts, backtestLayers(opts));
        const req = backtestRequest(config, opts);
        const logger = cliLogger(config);
        const bar = progress(logger, process.stderr.isTTY === true);
        // The backtest code (tfjs, the runtime) loads only when a backtest runs, not for `--help`.
        const {
          createBacktestDeps,
          metricsMarkdown,
          renderReportHtml,
          resultJson,
          runBacktest,
          runProvenance,
          strategyTarget,
          tradeReview,
          tradesCsv,
        } = await import('../../backtest/index.ts');
        const deps = await createBacktestDeps(config, logger, strategyTarget, {
          modelCache: opts.modelCache,
        });
        // The windows log is rewritten whole (atomically) per finished window: a full disk never
        // leaves a torn line, and an interrupted run keeps the windows it finished.
        const windowLines: string[] = [];
        const windowsFile = opts.windows;
        if (windowsFile !== undefined) writeFileAtomic(windowsFile, '');
        const onWindow =
          windowsFile !== undefined
            ? (w: WindowProgress) => {
                windowLines.push(`${JSON.stringify(windowLine(w))}\n`);
                writeFileAtomic(windowsFile, windowLines.join(''));
              }
            : undefined;
        const result = {
          ...(await runBacktest({ ...req, onProgress: bar.update, onWindow }, deps)
            .catch((e: unknown) => {
              throw withTrainHint(e, config, opts);
            })
            .finally(() => bar.stop())),
          provenance: runProvenance(config, opts.config?.join(',') ?? null),
        };
        // One review object behind the HTML, the JSON, the CSV and the terminal table.
        const review = tradeReview(result);
        if (opts.report) {
          writeFileAtomic(opts.report, await renderReportHtml(result, review));
          logger.info({ file: opts.report }, 'report written');
        }
        if (opts.trades) {
          writeFileAtomic(opts.trades, tradesCsv(review.trades));
          logger.info({ file: opts.trades, trades: review.trades.length }, 'trade list written');
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(resultJson(result, review), null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `${metricsMarkdown(result, review)}\n\n${result.candles} candles in ${result.seconds.toFixed(1)} s (${Math.round(result.candlesPerSecond)} candles/s)\n`,
        );
        for (const w of result.warnings) process.stdout.write(`warning: ${w}\n`);
      }),
    );
}
