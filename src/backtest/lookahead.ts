import type { Candle } from '../core/types.ts';

/**
 * Look-ahead analysis in the manner of Freqtrade's: a value at time t must not change when data
 * after t is removed. Works on any batch computation over a candle prefix (features, indicators,
 * forecasts, signals encoded as numbers).
 */

/** What a causal computation returns: one row per input candle, row-major, NaN while warming up. */
export interface ValueMatrix {
  readonly names: readonly string[];
  readonly rows: ArrayLike<number>;
  readonly length: number;
}

export type BatchComputation = (candles: readonly Candle[]) => ValueMatrix;

export interface LookaheadFinding {
  readonly kind: 'lookahead' | 'recursive';
  readonly name: string;
  readonly timestamp: number;
  /** Value computed with all data. */
  readonly full: number;
  /** Value computed with data removed (after t for look-ahead, before the start for recursive). */
  readonly truncated: number;
  /** Open time of the last candle kept (look-ahead) or of the first candle kept (recursive). */
  readonly cutAt: number;
}

export interface LookaheadReport {
  readonly checked: number;
  readonly cuts: number;
  readonly findings: LookaheadFinding[];
  /** Names with at least one finding, for a short summary. */
  readonly leakyNames: string[];
}

function same(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

/** `cuts` cut points (candle counts) spread evenly over (minLength, n), deterministic. */
export function cutPoints(n: number, cuts: number, minLength: number): number[] {
  const lo = Math.max(1, minLength);
  if (n - 1 <= lo) return [];
  const out = new Set<number>();
  for (let k = 1; k <= cuts; k++) out.add(lo + Math.floor(((n - 1 - lo) * k) / (cuts + 1)));
  return [...out].sort((a, b) => a - b);
}

/** Keeps at most `perName` findings of each name so one noisy column cannot hide the others. */
function summarise(
  findings: LookaheadFinding[],
  checked: number,
  cuts: number,
  perName: number,
): LookaheadReport {
  const kept = new Map<string, number>();
  const shown = findings.filter((f) => {
    const k = kept.get(f.name) ?? 0;
    kept.set(f.name, k + 1);
    return k < perName;
  });
  return {
    checked,
    cuts,
    findings: shown,
    leakyNames: [...new Set(findings.map((f) => f.name))],
  };
}

export interface LookaheadOptions {
  readonly cuts: number;
  /** Relative tolerance; causal computations on the same prefix are deterministic, so ~0. */
  readonly tolerance?: number;
  /** Shortest prefix worth computing (the declared warm-up). */
  readonly minLength?: number;
  readonly maxFindingsPerName?: number;
}

/**
 * Computes on all candles and on `cuts` prefixes; every value of a prefix row must equal the full
 * run's value for the same candle. Only the last `compareLast` rows of each prefix are compared
 * when given (the rows nearest the cut are where a leak shows; older rows are compared by earlier cuts).
 */
export function analyseLookahead(
  candles: readonly Candle[],
  compute: BatchComputation,
  opts: LookaheadOptions,
): LookaheadReport {
  const tol = opts.tolerance ?? 1e-9;
  const full = compute(candles);
  const width = full.names.length;
  const findings: LookaheadFinding[] = [];
  const points = cutPoints(candles.length, opts.cuts, opts.minLength ?? 1);
  let checked = 0;
  for (const cut of points) {
    const part = compute(candles.slice(0, cut));
    for (let i = 0; i < cut; i++)
      for (let j = 0; j < width; j++) {
        const a = full.rows[i * width + j];
        const b = part.rows[i * width + j];
        checked++;
        if (!same(a, b, tol))
          findings.push({
            kind: 'lookahead',
            name: full.names[j],
            timestamp: candles[i].timestamp,
            full: a,
            truncated: b,
            cutAt: candles[cut - 1].timestamp,
          });
      }
  }
  return summarise(findings, checked, points.length, opts.maxFindingsPerName ?? 5);
}

export interface RecursiveOptions {
  /** Declared warm-up in candles: values from this many candles after the start must not depend on earlier history. */
  readonly warmup: number;
  /** How many later start points to try. */
  readonly starts: number;
  /** Relative tolerance: indicators with infinite memory (EMA, Wilder RSI) converge, they do not match exactly. */
  readonly tolerance?: number;
  readonly maxFindingsPerName?: number;
}

/**
 * Recursive analysis: computes on the series starting later (less history before each candle) and
 * compares, after the declared warm-up, with the full-history values for the same candles.
 */
export function analyseRecursive(
  candles: readonly Candle[],
  compute: BatchComputation,
  opts: RecursiveOptions,
): LookaheadReport {
  const tol = opts.tolerance ?? 1e-3;
  const full = compute(candles);
  const width = full.names.length;
  const findings: LookaheadFinding[] = [];
  const n = candles.length;
  const starts: number[] = [];
  for (let k = 1; k <= opts.starts; k++) {
    const s = Math.floor(((n - opts.warmup - 1) * k) / (opts.starts + 1));
    if (s > 0 && !starts.includes(s)) starts.push(s);
  }
  let checked = 0;
  for (const s of starts) {
    const part = compute(candles.slice(s));
    for (let i = s + opts.warmup; i < n; i++)
      for (let j = 0; j < width; j++) {
        const a = full.rows[i * width + j];
        const b = part.rows[(i - s) * width + j];
        checked++;
        if (!same(a, b, tol))
          findings.push({
            kind: 'recursive',
            name: full.names[j],
            timestamp: candles[i].timestamp,
            full: a,
            truncated: b,
            cutAt: candles[s].timestamp,
          });
      }
  }
  return summarise(findings, checked, starts.length, opts.maxFindingsPerName ?? 5);
}

/** Compares decision lists (e.g. signals) of a full run and a run on data up to `cutAt`: every decision at or before the cut must match. */
export function compareDecisions<T extends { readonly timestamp: number }>(
  full: readonly T[],
  truncated: readonly T[],
  cutAt: number,
  key: (d: T) => string,
): Array<{ timestamp: number; full: string | null; truncated: string | null }> {
  const a = new Map<number, string>();
  for (const d of full) if (d.timestamp <= cutAt) a.set(d.timestamp, (a.get(d.timestamp) ?? '') + key(d));
  const b = new Map<number, string>();
  for (const d of truncated)
    if (d.timestamp <= cutAt) b.set(d.timestamp, (b.get(d.timestamp) ?? '') + key(d));
  const diffs: Array<{ timestamp: number; full: string | null; truncated: string | null }> = [];
  for (const t of new Set([...a.keys(), ...b.keys()]))
    if (a.get(t) !== b.get(t))
      diffs.push({ timestamp: t, full: a.get(t) ?? null, truncated: b.get(t) ?? null });
  return diffs.sort((x, y) => x.timestamp - y.timestamp);
}
