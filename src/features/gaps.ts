import { timeframeMs } from '../core/types.ts';
import type { Timeframe } from '../core/types.ts';

/**
 * 1 where candle i opens more than one candle after candle i − 1 (a gap precedes it), else 0.
 * Features restart their warm-up at such a candle (rows NaN for `warmup` candles) and labels whose
 * horizon spans it are missing; this exposes the same information for reports and data checks.
 */
export function gapBefore(timestamps: ArrayLike<number>, tf: Timeframe): Uint8Array {
  const step = timeframeMs(tf);
  const out = new Uint8Array(timestamps.length);
  for (let i = 1; i < timestamps.length; i++) out[i] = timestamps[i] - timestamps[i - 1] !== step ? 1 : 0;
  return out;
}
