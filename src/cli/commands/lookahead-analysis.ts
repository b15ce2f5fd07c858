import type { Command } from 'commander';
import { isoDate } from '../../backtest/dates.ts';
import type { LookaheadResult } from '../../backtest/index.ts';
import { QuantgateError } from '../../core/errors.ts';
import { CONFIG_HELP, action, collect, cliLogger, configFromOptions, optionLayer } from '../run.ts';
import { parseIntOption, parseSymbolsOption } from '../options.ts';
import { backtestRequest } from './backtest.ts';

interface LookaheadCliOptions {
  config?: string[];
  dataDir?: string;
  modelsDir?: string;
  symbols?: string;
  from?: string;
  to?: string;
  cuts: string;
  walkForward?: boolean;
  json?: boolean;
}

function summary(r: LookaheadResult): string {
  const lines: string[] = [];
  for (const s of r.series) {
    const la =
      s.lookahead.findings.length === 0 ? 'ok' : `LOOK-AHEAD in ${s.lookahead.leakyNames.join(', ')}`;
    const rc =
      s.recursive.findings.length === 0
        ? 'ok'
        : `depends on history beyond warm-up: ${s.recursive.leakyNames.join(', ')}`;
    lines.push(
      `${s.symbol} ${s.timeframe}: features ${la} (${s.lookahead.cuts} cuts, ${s.lookahead.checked} values); recursive ${rc}`,
    );
    for (const f of [...s.lookahead.findings, ...s.recursive.findings].slice(0, 5))
      lines.push(
        `  ${f.kind} ${f.name} at ${isoDate(f.timestamp)}: full ${f.full} vs ${f.truncated} (cut at ${isoDate(f.cutAt)})`,
      );
  }
  lines.push(
    `signals: ${r.signalCuts} truncated runs, ${r.signalsCompared} signals compared, ${r.signalDiffs.length === 0 ? 'no difference' : `${r.signalDiffs.length} DIFFERENCES`}`,
  );
  for (const d of r.signalDiffs.slice(0, 10))
    lines.push(
      `  at ${d.timestamp} (data cut at ${d.cutAt}): full run "${d.full ?? 'no signal'}" vs truncated "${d.truncated ?? 'no signal'}"`,
    );
  return lines.join('\n');
}

/** `quantgate lookahead-analysis`: does any value at time t change when data after t is removed? */
export function registerLookaheadAnalysis(program: Command): void {
  program
    .command('lookahead-analysis')
    .description('Check features, indicators and signals for look-ahead bias (exit 8 when found)')
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .option('--data-dir <dir>', 'candle store directory (default: data.dir)')
    .option('--models-dir <dir>', 'models directory (default: data.modelsDir)')
    .option('-s, --symbols <list>', 'comma-separated symbols (default: exchange.symbols)')
    .option('--from <date>', 'start of the range, UTC')
    .option('--to <date>', 'end of the range, UTC, exclusive')
    .option('--cuts <n>', 'number of truncation points', '10')
    .option('--walk-forward', 'use walk-forward models (slow: retrains per run)')
    .option('--json', 'print the findings as JSON on stdout')
    .action(
      action(async (opts: LookaheadCliOptions) => {
        const cuts = parseIntOption('--cuts', opts.cuts, 1, 1000) ?? 10;
        parseSymbolsOption(opts.symbols);
        const config = configFromOptions(opts, [
          opts.dataDir === undefined ? undefined : optionLayer('--data-dir', 'data.dir', opts.dataDir),
          opts.modelsDir === undefined
            ? undefined
            : optionLayer('--models-dir', 'data.modelsDir', opts.modelsDir),
        ]);
        const req = backtestRequest(config, { ...opts, baseline: false });
        const logger = cliLogger(config);
        const { createBacktestDeps, strategyTarget, runLookaheadAnalysis } =
          await import('../../backtest/index.ts');
        const { featureWarmup } = await import('../../features/index.ts');
        const base = await createBacktestDeps(config, logger, strategyTarget);
        // Without trained models the signal check still runs, on the rolling-quantile baseline.
        const deps = {
          ...base,
          loadModels: async () => {
            const m = await base.loadModels();
            if (Object.keys(m).length > 0) return m;
            logger.warn('no models in the models directory: checking signals with the baseline forecaster');
            return base.baselineModels();
          },
        };
        const result = await runLookaheadAnalysis(
          { ...req, cuts, warmup: (tf) => featureWarmup(tf, config.features), recursiveTolerance: 1e-6 },
          deps,
        );
        process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${summary(result)}\n`);
        if (!result.clean)
          throw new QuantgateError(
            'LOOKAHEAD_FOUND',
            'look-ahead bias found: a value at time t changed when data after t was removed (see above)',
          );
      }),
    );
}
