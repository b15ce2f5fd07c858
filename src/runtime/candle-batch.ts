import type { ClosedCandle } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import { seriesId } from '../exchange/index.ts';

/**
 * The candle queue's batching seam: which queued candles close with a given one, so the plugin's
 * `prepare` gets a close instant's candles together. Pure functions over the queue and the
 * runtime's processed marks.
 */

/** A candle waiting in the runtime's queue. */
export interface QueuedCandle {
  readonly c: ClosedCandle;
  readonly warmup: boolean;
}

/**
 * `c` and every queued candle of its instant (same timeframe and open time) that will be decided
 * next for its series: only a series' next queued candle, never history, never one already decided.
 */
export function instantGroup(
  c: ClosedCandle,
  id: string,
  waiting: readonly QueuedCandle[],
  lastProcessed: Readonly<Record<string, number>>,
  freshSeries: ReadonlySet<string>,
): ClosedCandle[] {
  const group = [c];
  const seen = new Set([id]);
  for (const w of waiting) {
    const wid = seriesId(w.c);
    if (seen.has(wid)) continue;
    // Only a series' next queued candle: nothing processed before it changes how it is handled.
    seen.add(wid);
    const last = lastProcessed[wid];
    // Warm-up candles only build history, except after a restart: those the process missed are
    // decided, and batched like live.
    const history = w.warmup && (last === undefined || freshSeries.has(wid));
    if (history || w.c.timeframe !== c.timeframe || w.c.timestamp !== c.timestamp) continue;
    if (last !== undefined && w.c.timestamp <= last) continue;
    group.push(w.c);
  }
  return group;
}

/** Series of `c`'s timeframe whose previous candle was processed: each should close at `c`'s instant too. */
export function expectedAtInstant(c: ClosedCandle, lastProcessed: Readonly<Record<string, number>>): number {
  const prev = c.timestamp - timeframeMs(c.timeframe);
  const suffix = `|${c.timeframe}`;
  let n = 0;
  for (const [sid, t] of Object.entries(lastProcessed)) if (t === prev && sid.endsWith(suffix)) n++;
  return n;
}
