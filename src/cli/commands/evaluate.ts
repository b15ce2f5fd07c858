import type { Command } from 'commander';
import type { ForecastMetrics } from '../../models/index.ts';
import { CONFIG_HELP, action, collect, cliLogger, configFromOptions } from '../run.ts';
import { dataFormatLayer, dataFormatOption } from '../data-format.ts';
import type { DataFormat } from '../../core/types.ts';
import { parseDateOption, parseExchange, parseSymbolsOption } from '../options.ts';

interface EvaluateCliOptions {
  model: string;
  symbols?: string;
  config?: string[];
  dataDir?: string;
  dataFormat?: DataFormat;
  exchange?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const fmt = (x: number | null) => (x === null ? '-' : x.toFixed(6));

/** The human-readable forecast-quality table (fractions shown as percentages). */
export function formatMetricsTable(m: ForecastMetrics): string {
  const rows: Array<[string, string, string]> = [
    ['samples', String(m.samples), ''],
    ['P10 exceedance (y < q10)', pct(m.quantiles['0.1'].exceedance), 'target 10 %'],
    ['P50 exceedance (y < q50)', pct(m.quantiles['0.5'].exceedance), 'target 50 %'],
    ['P90 exceedance (y > q90)', pct(m.quantiles['0.9'].exceedance), 'target 10 %'],
    ['P10–P90 band coverage', pct(m.bandCoverage), 'target 80 %'],
    [
      'pinball loss (model / baseline)',
      `${fmt(m.pinball.model)} / ${fmt(m.pinball.baseline)}`,
      'lower is better',
    ],
    ['class accuracy', pct(m.accuracy), ''],
    ['ECE (10 bins)', m.ece.toFixed(4), 'lower is better'],
    ['Brier (model / baseline)', `${fmt(m.brier.model)} / ${fmt(m.brier.baseline)}`, 'lower is better'],
    [
      'Brier skill (1 − model / baseline)',
      m.brierSkill === null ? '-' : m.brierSkill.toFixed(4),
      '> 0 = skill',
    ],
    ...(m.coverageByVolatility ?? []).map((t): [string, string, string] => [
      `volatility tercile ${t.tercile}: P10 / P90 exc., band`,
      `${pct(t.exceedance['0.1'])} / ${pct(t.exceedance['0.9'])}, ${pct(t.bandCoverage)}`,
      `${t.samples} samples, rvol ${t.volatility.from.toExponential(2)}–${t.volatility.to.toExponential(2)}`,
    ]),
    [
      'log-loss (model / baseline)',
      `${fmt(m.logLoss.model)} / ${fmt(m.logLoss.baseline)}`,
      'lower is better',
    ],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`.trimEnd()).join('\n');
}

/** `quantgate evaluate`: forecast quality of a saved model on candles from the CSV store. */
export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('Measure forecast quality (exceedance, coverage, pinball, ECE, Brier) of a saved model')
    .requiredOption('-m, --model <dir>', 'model version directory (as printed by train)')
    .option('-s, --symbols <list>', 'comma-separated symbols (default: exchange.symbols from the config)')
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .option('--data-dir <dir>', 'candle store directory (default: data.dir)')
    .addOption(dataFormatOption())
    .option('--exchange <name>', 'exchange whose candles to read (default: exchange.name)')
    .option('--from <date>', 'evaluate forecasts issued at or after this date')
    .option('--to <date>', 'evaluate forecasts issued before this date')
    .option('--json', 'print the metrics as JSON on stdout')
    .action(
      action(async (opts: EvaluateCliOptions) => {
        const cliSymbols = parseSymbolsOption(opts.symbols);
        const from = parseDateOption('--from', opts.from);
        const to = parseDateOption('--to', opts.to);
        const config = configFromOptions(opts, [dataFormatLayer(opts.dataFormat)]);
        const logger = cliLogger(config);
        const symbols = cliSymbols ?? [...config.exchange.symbols];
        const { evaluateModel } = await import('../../models/index.ts');
        const metrics = await evaluateModel({
          config,
          modelDir: opts.model,
          symbols,
          exchange: parseExchange(opts.exchange, config.exchange.name),
          dataDir: opts.dataDir ?? config.data.dir,
          from,
          to,
          logger,
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(metrics, null, 2)}\n`);
        else process.stdout.write(`${formatMetricsTable(metrics)}\n`);
      }),
    );
}
