import { QuantgateError } from '../core/errors.ts';
import type { Candle } from '../core/types.ts';

function bad(c: Candle, field: string, expected: string, value: number): never {
  const when = Number.isFinite(c.timestamp) ? new Date(c.timestamp).toISOString() : String(c.timestamp);
  throw new QuantgateError(
    'DATA_INVALID',
    `features: candle at ${when}: ${field} is ${value} (expected ${expected})`,
    { timestamp: c.timestamp, field, value },
  );
}

/** Rejects a candle no feature can be computed from (a log of a non-positive price would be NaN or -Infinity). */
export function checkCandle(c: Candle): void {
  if (!Number.isFinite(c.timestamp)) bad(c, 'timestamp', 'a finite number of ms', c.timestamp);
  // Written out (no loop over field names): this runs for every candle of every series.
  if (!(c.open > 0 && c.open < Infinity)) bad(c, 'open', 'a finite price > 0', c.open);
  if (!(c.high > 0 && c.high < Infinity)) bad(c, 'high', 'a finite price > 0', c.high);
  if (!(c.low > 0 && c.low < Infinity)) bad(c, 'low', 'a finite price > 0', c.low);
  if (!(c.close > 0 && c.close < Infinity)) bad(c, 'close', 'a finite price > 0', c.close);
  if (c.high < c.low) bad(c, 'high', `>= low (${c.low})`, c.high);
  if (!(Number.isFinite(c.volume) && c.volume >= 0)) bad(c, 'volume', 'a finite number >= 0', c.volume);
}

/** Throws when `ts` does not come strictly after `prev` by at least one candle. */
export function checkOrder(prev: number, ts: number, tfMs: number): void {
  if (ts - prev < tfMs) {
    throw new QuantgateError(
      'DATA_INVALID',
      `features: candle at ${new Date(ts).toISOString()} follows ${new Date(prev).toISOString()} by ${ts - prev} ms (expected ascending open times at least ${tfMs} ms apart; duplicates and out-of-order candles must be removed first)`,
      { timestamp: ts, previous: prev },
    );
  }
}
