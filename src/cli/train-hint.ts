import { activeVersionDir } from '../models/registry-paths.ts';
import type { ModelTimeframe } from '../core/types.ts';

/** The timeframes among `timeframes` with no trained model under `modelsDir`. */
export function missingModels(modelsDir: string, timeframes: readonly ModelTimeframe[]): ModelTimeframe[] {
  return timeframes.filter((tf) => activeVersionDir(modelsDir, tf) === null);
}

/** An argument as a POSIX shell reads it back: bare when safe, else single-quoted. */
export function shellArg(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface TrainHint {
  readonly timeframes: readonly ModelTimeframe[];
  readonly symbols: readonly string[];
  /** Training data ends here: a backtest's --from, so the models never see the tested period. */
  readonly to?: string;
  readonly configFiles?: readonly string[];
  readonly dataDir?: string;
  readonly modelsDir?: string;
}

/** The exact `quantgate train …` that produces the models a backtest or live run is missing. */
export function trainCommand(h: TrainHint): string {
  const args = [
    'quantgate',
    'train',
    '--timeframes',
    h.timeframes.join(','),
    '--symbols',
    h.symbols.join(','),
  ];
  if (h.to !== undefined) args.push('--to', h.to);
  for (const f of h.configFiles ?? []) args.push('--config', f);
  if (h.dataDir !== undefined) args.push('--data-dir', h.dataDir);
  if (h.modelsDir !== undefined) args.push('--models-dir', h.modelsDir);
  return args.map(shellArg).join(' ');
}
