import { normalCdf, promisedWins } from '../backtest/index.ts';
import type { Direction } from '../core/types.ts';

/** Pure statistics of the live model monitor (no state, no time). */

/**
 * P(X ≥ k) for X ~ Binomial(n, p): the chance of seeing at least k misses when the true miss rate
 * is the nominal p. Summed in log space so n in the tens of thousands neither under- nor overflows.
 */
export function binomialTailP(k: number, n: number, p: number): number {
  if (!(n >= 0) || !Number.isInteger(n) || !Number.isInteger(k)) return NaN;
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  // log pmf(k) = log C(n,k) + k log p + (n-k) log q, with log C built by a running sum.
  let logC = 0;
  for (let i = 0; i < k; i++) logC += Math.log((n - i) / (i + 1));
  let logTerm = logC + k * lp + (n - k) * lq;
  // Sum pmf(k..n) relative to the first term to keep it representable.
  const first = logTerm;
  let sum = 0;
  for (let i = k; i <= n; i++) {
    const rel = Math.exp(logTerm - first);
    sum += rel;
    if (rel < 1e-17 * sum && i > n * p) break;
    logTerm += Math.log((n - i) / (i + 1)) + lp - lq;
  }
  return Math.min(1, Math.exp(first + Math.log(sum)));
}

/** Upside ÷ downside the quantiles promised for a call, or null when the band is degenerate. */
export function predictedRiskReward(direction: Direction, q10: number, q90: number): number | null {
  const up = direction === 'long' ? q90 : -q10;
  const down = direction === 'long' ? -q10 : q90;
  if (!(up > 0) || !(down > 0) || !Number.isFinite(up / down)) return null;
  return up / down;
}

/** One forecast whose horizon has passed, with what the market did. */
export interface ResolvedOutcome {
  readonly q10: number;
  readonly q90: number;
  /** ln(close at timestamp + horizon / close at the forecast). */
  readonly realised: number;
  /** The directional call, if the forecast made one. */
  readonly call: Direction | null;
}

export interface ExceedanceFigures {
  readonly n: number;
  readonly q10Misses: number;
  readonly q90Misses: number;
  /** One-sided binomial p-value of at least this many misses at the nominal 10 %. */
  readonly q10PValue: number;
  readonly q90PValue: number;
}

export function exceedance(rows: readonly ResolvedOutcome[]): ExceedanceFigures {
  let q10Misses = 0;
  let q90Misses = 0;
  for (const r of rows) {
    if (r.realised < r.q10) q10Misses++;
    if (r.realised > r.q90) q90Misses++;
  }
  const n = rows.length;
  return {
    n,
    q10Misses,
    q90Misses,
    q10PValue: binomialTailP(q10Misses, n, 0.1),
    q90PValue: binomialTailP(q90Misses, n, 0.1),
  };
}

export interface CallFigures {
  readonly calls: number;
  readonly hits: number;
  readonly hitRate: number | null;
  /** Mean R/R the quantiles promised for the calls (degenerate bands skipped). */
  readonly predictedRiskReward: number | null;
  /** Mean favourable return of winning calls ÷ mean adverse return of losing ones. */
  readonly realisedRiskReward: number | null;
  /** realised ÷ predicted; null while either is unknown (e.g. no losing call yet). */
  readonly riskRewardRatio: number | null;
}

/** A call hits when the realised return moved its way (a flat return is no hit). */
export function directionalReturn(call: Direction, realised: number): number {
  return call === 'long' ? realised : -realised;
}

export function callFigures(calls: readonly ResolvedOutcome[]): CallFigures {
  let hits = 0;
  let winSum = 0;
  let lossSum = 0;
  let losses = 0;
  let rrSum = 0;
  let rrN = 0;
  let n = 0;
  for (const c of calls) {
    if (c.call === null) continue;
    n++;
    const d = directionalReturn(c.call, c.realised);
    if (d > 0) {
      hits++;
      winSum += d;
    } else if (d < 0) {
      losses++;
      lossSum -= d;
    }
    const rr = predictedRiskReward(c.call, c.q10, c.q90);
    if (rr !== null) {
      rrSum += rr;
      rrN++;
    }
  }
  const predicted = rrN > 0 ? rrSum / rrN : null;
  const realised = hits > 0 && losses > 0 ? winSum / hits / (lossSum / losses) : null;
  return {
    calls: n,
    hits,
    hitRate: n > 0 ? hits / n : null,
    predictedRiskReward: predicted,
    realisedRiskReward: realised,
    riskRewardRatio: predicted !== null && realised !== null && predicted > 0 ? realised / predicted : null,
  };
}

/** Drawdown of `equity` from `peak` as a fraction (0 at or above the peak). */
export function drawdownFrom(peak: number, equity: number): number {
  if (!(peak > 0) || !Number.isFinite(equity)) return 0;
  return Math.max(0, (peak - equity) / peak);
}

/**
 * Promised vs realised over closed trades: the take-profit count against the sum of the promised
 * P(win)s (a Poisson-binomial; its normal approximation with a continuity correction).
 */
export function edgeFigures(
  trades: ReadonlyArray<{ pWin: number; expectedEdgeBps: number; won: boolean; realisedBps: number }>,
): {
  trades: number;
  expectedWins: number;
  wins: number;
  meanExpectedEdgeBps: number | null;
  meanRealisedBps: number | null;
  pValue: number;
} {
  const n = trades.length;
  const { wins, expectedWins, variance } = promisedWins(trades);
  const mean = (f: (t: (typeof trades)[number]) => number) =>
    n > 0 ? trades.reduce((a, t) => a + f(t), 0) / n : null;
  const pValue =
    n === 0 || variance === 0
      ? wins < expectedWins
        ? 0
        : 1
      : normalCdf((wins + 0.5 - expectedWins) / Math.sqrt(variance));
  return {
    trades: n,
    expectedWins,
    wins,
    meanExpectedEdgeBps: mean((t) => t.expectedEdgeBps),
    meanRealisedBps: mean((t) => t.realisedBps),
    pValue: n === 0 ? 1 : pValue,
  };
}
