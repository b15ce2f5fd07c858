import type { ExchangeId } from '../core/types.ts';

/** Counters of faults still to inject, per exchange. Plain data: the server consumes them. */
export interface FaultCounters {
  /** Next kline frames sent twice. */
  duplicates: number;
  /** Next kline frames followed by the previous frame of the same series (older state). */
  outOfOrder: number;
  /** Next REST requests answered with `restErrorStatus`. */
  restErrors: number;
  restErrorStatus: number;
  /** Wall-clock time (ms) until which nothing is sent (frames are held, pings unanswered). */
  silentUntil: number;
}

export function emptyFaults(): FaultCounters {
  return { duplicates: 0, outOfOrder: 0, restErrors: 0, restErrorStatus: 503, silentUntil: 0 };
}

export type FaultTable = Record<ExchangeId, FaultCounters>;

export function emptyFaultTable(): FaultTable {
  return { binance: emptyFaults(), hyperliquid: emptyFaults() };
}

/**
 * Malformed frames of many kinds, all of which a careful client must reject: not JSON, truncated
 * JSON, wrong types, impossible OHLC, negative volume, unknown symbol, missing fields. `kline` is a
 * well-formed frame to corrupt.
 */
export function malformedFrames(
  kline: Record<string, unknown>,
  pick: (k: Record<string, unknown>) => Record<string, unknown>,
  n: number,
): string[] {
  const out: string[] = [];
  const text = JSON.stringify(kline);
  const mutators: Array<() => string> = [
    () => 'not json at all',
    () => text.slice(0, Math.max(1, Math.floor(text.length / 2))),
    () => mutate(kline, pick, (d) => ({ ...d, o: 'abc' })),
    () => mutate(kline, pick, (d) => ({ ...d, h: '1', l: '999999999' })),
    () => mutate(kline, pick, (d) => ({ ...d, v: '-5' })),
    () => mutate(kline, pick, (d) => ({ ...d, t: 'yesterday' })),
    () => mutate(kline, pick, (d) => ({ ...d, c: null })),
    () => mutate(kline, pick, (d) => ({ ...d, t: Number(d.t) + 1 })),
    () => mutate(kline, pick, (d) => ({ ...d, s: 'NOPE', i: '7m' })),
    () => mutate(kline, pick, (d) => ({ ...d, h: 'NaN' })),
    () => '[1,2,3]',
    () => '{}',
  ];
  for (let i = 0; i < n; i++) out.push(mutators[i % mutators.length]());
  return out;
}

function mutate(
  frame: Record<string, unknown>,
  pick: (k: Record<string, unknown>) => Record<string, unknown>,
  fn: (d: Record<string, unknown>) => Record<string, unknown>,
): string {
  const copy = structuredClone(frame);
  const inner = pick(copy);
  const changed = fn(inner);
  for (const k of Object.keys(changed)) inner[k] = changed[k];
  return JSON.stringify(copy);
}
