import type { Config } from '../config/index.ts';
import { QuantgateError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { BacktestDeps } from './run.ts';

/** Wires the live parts (CSV store, features, models, plugin, risk manager, paper broker) into the backtest. */
export async function createBacktestDeps(_config: Config, _logger: Logger): Promise<BacktestDeps> {
  throw new QuantgateError(
    'INTERNAL',
    'backtest wiring pending: strategy plugin / paper broker not available yet',
  );
}
