import { writeFileAtomic } from '../../core/atomic-file.ts';
import type { Command } from 'commander';
import { CONFIG_HELP, action, cliLogger, collect } from '../run.ts';
import { progress } from './backtest.ts';
import { dataFormatOption } from '../data-format.ts';
import type { SweepCliOptions } from './sweep-plan.ts';

export type { SweepCliOptions } from './sweep-plan.ts';

/** `quantgate sweep`: every grid combination replayed on the same forecasts, with DSR and PBO. */
export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description(
      'Replay a grid of strategy settings on one set of forecasts and say how far to trust the best (deflated Sharpe, PBO); never writes the config',
    )
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .option('--data-dir <dir>', 'candle store directory (default: data.dir)')
    .addOption(dataFormatOption())
    .option('--models-dir <dir>', 'models directory (default: data.modelsDir)')
    .option('-s, --symbols <list>', 'comma-separated symbols (default: exchange.symbols)')
    .option('--from <date>', 'first candle open time, UTC (e.g. 2021-01-01)')
    .option('--to <date>', 'end of the range, UTC, exclusive')
    .option('--walk-forward', 'walk-forward models (trained once per window, or taken from --model-cache)')
    .option('--model-cache <dir>', "walk-forward: reuse (and keep) each window's trained models here")
    .option(
      '--grid <key=spec>',
      'a config key and its values: key=a:b:step (inclusive) or key=v1,v2; repeat for a cartesian product',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--max-combinations <n>', 'refuse grids larger than this', '500')
    .option('--blocks <n>', 'CSCV blocks for the probability of backtest overfitting (even)', '16')
    .option('--json', 'print every combination and the statistics as JSON on stdout')
    .option('--report <file.html>', 'write the table and statistics as a self-contained HTML page')
    .option('--force', 'replace an existing --report file even if quantgate did not write it')
    .action(
      action(async (opts: SweepCliOptions) => {
        const { sweepPlan } = await import('./sweep-plan.ts');
        const plan = sweepPlan(opts);
        const logger = cliLogger(plan.base);
        // The backtest code (tfjs, the runtime) loads only when a sweep runs, not for `--help`.
        const {
          createBacktestDeps,
          runProvenance,
          runSweep,
          strategyTarget,
          sweepHtml,
          sweepJson,
          sweepMarkdown,
        } = await import('../../backtest/index.ts');
        const bar = progress(logger, process.stderr.isTTY === true);
        const total = plan.combinations.length;
        bar.update('sweep', 0, total);
        const result = await runSweep({
          combinations: plan.combinations,
          depsFor: (config) =>
            createBacktestDeps(config, logger, strategyTarget, { modelCache: opts.modelCache }),
          blocks: Number(opts.blocks),
          onProgress: bar.update,
          onCombination: (done) => bar.update('sweep', done, total),
        }).finally(() => bar.stop());
        const provenance = runProvenance(plan.base, opts.config?.join(',') ?? null);
        if (opts.report) {
          writeFileAtomic(opts.report, sweepHtml(result));
          logger.info({ file: opts.report }, 'report written');
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(sweepJson(result, plan.axes, provenance), null, 2)}\n`);
          return;
        }
        process.stdout.write(`${sweepMarkdown(result)}\n`);
      }),
    );
}
