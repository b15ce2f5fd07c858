import type { Command } from 'commander';
import { registerConfig } from './config.ts';
import { registerTrain } from './train.ts';
import { registerEvaluate } from './evaluate.ts';
import { registerBacktest } from './backtest.ts';
import { registerLookaheadAnalysis } from './lookahead-analysis.ts';
import { registerLive } from './live.ts';
import { registerDemo } from './demo.ts';
import { registerModels } from './models.ts';
import { registerDownload } from './download.ts';
import { registerRetrain } from './retrain.ts';
import { registerSweep } from './sweep.ts';
import { registerControl } from './control.ts';

/** Each command lives in its own file and registers itself on the program. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [
  registerConfig,
  registerTrain,
  registerEvaluate,
  registerBacktest,
  registerLookaheadAnalysis,
  registerLive,
  registerDemo,
  registerModels,
  registerDownload,
  registerRetrain,
  registerSweep,
  registerControl,
];
