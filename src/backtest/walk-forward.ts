import { QuantgateError } from '../core/errors.ts';

const DAY_MS = 86_400_000;

export interface WalkForwardSlot {
  /** Training data: candles that CLOSED in [trainFrom, trainTo) — strictly before the retrain point. */
  readonly trainFrom: number;
  readonly trainTo: number;
  /** The models trained at `testFrom` (= trainTo) trade candles closing in [testFrom, testTo). */
  readonly testFrom: number;
  readonly testTo: number;
}

/**
 * Expanding-window walk-forward: a retrain every `days` days from `from`, each on all history
 * before the retrain point (the training pipeline caps samples to the most recent ones).
 */
export function walkForwardSlots(
  dataStart: number,
  from: number,
  to: number,
  days: number,
): WalkForwardSlot[] {
  if (!(days > 0))
    throw new QuantgateError(
      'CONFIG_INVALID',
      `backtest.walkForwardDays: expected a positive number, got ${days}`,
    );
  if (!(from > dataStart))
    throw new QuantgateError(
      'INSUFFICIENT_HISTORY',
      `walk-forward: no history before ${new Date(from).toISOString()} to train the first window on (data starts ${new Date(dataStart).toISOString()}); choose a later --from`,
    );
  const step = days * DAY_MS;
  const out: WalkForwardSlot[] = [];
  for (let t = from; t < to; t += step)
    out.push({ trainFrom: dataStart, trainTo: t, testFrom: t, testTo: Math.min(to, t + step) });
  return out;
}
