import { gridPoints, parseGridArg, sweepConfigs } from '../../backtest/sweep-grid.ts';
import type { GridValue, SweepCombination } from '../../backtest/index.ts';
import type { Config } from '../../config/index.ts';
import { QuantgateError } from '../../core/errors.ts';
import { configFromOptions, optionLayer } from '../run.ts';
import { parseIntOption } from '../options.ts';
import { REPORT_OUTPUT, checkOutputFile } from '../outputs.ts';
import { backtestLayers, backtestRequest } from './backtest.ts';
import type { BacktestCliOptions } from './backtest.ts';

// Its own file so that `quantgate sweep` imports it (and, through the grid's training key, tfjs)
// only when a sweep runs: the command's registration stays light for `--help`.

export interface SweepCliOptions extends BacktestCliOptions {
  grid: string[];
  maxCombinations: string;
  blocks: string;
}

function positiveInt(text: string, flag: string, even = false): number {
  const n = parseIntOption(flag, text, 1) ?? NaN;
  if (even && n % 2 !== 0)
    throw new QuantgateError(
      'USAGE',
      `${flag}: expected a positive${even ? ' even' : ''} integer, got "${text}"`,
    );
  return n;
}

/** Parses and checks the grid against the config (no backtest yet): the combinations to run. */
export function sweepPlan(opts: SweepCliOptions): {
  combinations: SweepCombination[];
  axes: ReturnType<typeof parseGridArg>[];
  base: Config;
} {
  // Before any backtest: a typo must not cost a sweep, nor overwrite a file quantgate did not write.
  if (opts.report !== undefined) checkOutputFile(REPORT_OUTPUT, opts.report, opts.force === true);
  const max = positiveInt(opts.maxCombinations, '--max-combinations');
  const blocks = positiveInt(opts.blocks, '--blocks', true);
  if (blocks < 2 || blocks > 30)
    throw new QuantgateError('USAGE', `--blocks: expected 2 to 30, got ${blocks}`);
  const axes = opts.grid.map((g) => parseGridArg(g, max));
  const points = gridPoints(axes, max);
  // A combination's values are the last layer: its own errors blame `--grid KEY`.
  const configFor = (o: Readonly<Record<string, GridValue>>): Config =>
    configFromOptions(opts, [
      ...backtestLayers(opts),
      ...Object.entries(o).map(([k, v]) => optionLayer(`--grid ${k}`, k, v)),
    ]);
  const configs = sweepConfigs(axes, points, configFor);
  const combinations = points.map((p, i) => ({
    label: p.label,
    overrides: p.overrides,
    config: configs[i],
    request: backtestRequest(configs[i], opts),
  }));
  return { combinations, axes, base: configFor({}) };
}
