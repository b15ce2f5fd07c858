import { normalCdf, normalInv } from './normal.ts';

/**
 * How much to trust the best of many backtests of the same data. Pure functions over per-period
 * (not annualised) returns; every trial's series covers the same periods.
 *
 * - Deflated Sharpe ratio: Bailey & López de Prado, "The Deflated Sharpe Ratio: Correcting for
 *   Selection Bias, Backtest Overfitting and Non-Normality", J. Portfolio Management 40(5), 2014.
 * - Probability of backtest overfitting by combinatorially symmetric cross-validation: Bailey,
 *   Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting", J. Computational
 *   Finance 20(4), 2017.
 */

/** Euler–Mascheroni constant. */
export const EULER_GAMMA = 0.5772156649015329;

export interface Moments {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1). */
  readonly sd: number;
  /** Third standardised moment (population). 0 when sd is 0. */
  readonly skewness: number;
  /** Fourth standardised moment, not excess (a normal distribution has 3). 3 when sd is 0. */
  readonly kurtosis: number;
}

export function moments(xs: readonly number[]): Moments {
  const n = xs.length;
  if (n === 0) return { n, mean: NaN, sd: NaN, skewness: 0, kurtosis: 3 };
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const x of xs) {
    const d = x - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
  const pop = m2 / n;
  if (!(pop > 0)) return { n, mean, sd: 0, skewness: 0, kurtosis: 3 };
  return { n, mean, sd, skewness: m3 / n / pop ** 1.5, kurtosis: m4 / n / pop ** 2 };
}

/** Per-period Sharpe ratio mean / sd; 0 for a series without variance (a trial that never traded). */
export function periodSharpe(xs: readonly number[]): number {
  const m = moments(xs);
  return m.sd > 0 ? m.mean / m.sd : 0;
}

/**
 * E[max of N Sharpe ratios] under the null that every trial has zero true Sharpe, their estimates
 * spread with variance `variance` (Bailey & López de Prado 2014, eq. of SR₀):
 * √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))).
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials < 2 || !(variance > 0)) return 0;
  return (
    Math.sqrt(variance) *
    ((1 - EULER_GAMMA) * normalInv(1 - 1 / trials) + EULER_GAMMA * normalInv(1 - 1 / (trials * Math.E)))
  );
}

/**
 * Probabilistic Sharpe ratio: P(true Sharpe > `benchmark`) given the estimate `sharpe` from `periods`
 * returns with that skewness and (non-excess) kurtosis. null when the variance term is not positive.
 */
export function probabilisticSharpe(
  sharpe: number,
  benchmark: number,
  periods: number,
  skewness: number,
  kurtosis: number,
): number | null {
  const v = 1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  if (!(v > 0) || periods < 2) return null;
  return normalCdf(((sharpe - benchmark) * Math.sqrt(periods - 1)) / Math.sqrt(v));
}

export interface DeflatedSharpe {
  /** Index of the trial with the highest per-period Sharpe (the one a naive search would pick). */
  readonly best: number;
  readonly trials: number;
  readonly periods: number;
  /** Per-period Sharpe of the best trial. */
  readonly sharpe: number;
  /** Variance of the trials' per-period Sharpe ratios. */
  readonly sharpeVariance: number;
  /** SR₀: the best Sharpe expected from `trials` trials of pure noise. */
  readonly expectedMaxSharpe: number;
  readonly skewness: number;
  readonly kurtosis: number;
  /** P(the best trial's true Sharpe > SR₀); ≥ 0.95 is the usual bar. null when undefined (no variance). */
  readonly dsr: number | null;
}

/** Deflated Sharpe ratio of the best of `returns` (one per-period series per trial). */
export function deflatedSharpe(returns: readonly (readonly number[])[]): DeflatedSharpe {
  const srs = returns.map(periodSharpe);
  let best = 0;
  for (let i = 1; i < srs.length; i++) if (srs[i] > srs[best]) best = i;
  const sv = moments(srs);
  const variance = srs.length > 1 ? sv.sd * sv.sd : 0;
  const sr0 = expectedMaxSharpe(srs.length, variance);
  const m = moments(returns[best] ?? []);
  return {
    best,
    trials: srs.length,
    periods: m.n,
    sharpe: srs[best] ?? 0,
    sharpeVariance: variance,
    expectedMaxSharpe: sr0,
    skewness: m.skewness,
    kurtosis: m.kurtosis,
    // A best trial whose returns never varied (it never traded) carries no evidence either way.
    dsr: m.sd > 0 ? probabilisticSharpe(srs[best], sr0, m.n, m.skewness, m.kurtosis) : null,
  };
}

export interface PboResult {
  /** Share of the splits where the in-sample best ranked at or below the out-of-sample median. */
  readonly pbo: number;
  readonly blocks: number;
  readonly splits: number;
  /** Periods used (the first `T mod blocks` are dropped so every block is the same length). */
  readonly periods: number;
  readonly trials: number;
  /** Median of the logits λ = ln(ω / (1 − ω)) over the splits. */
  readonly medianLogit: number;
}

/** Bit masks of `n` bits with exactly `k` set, ascending (Gosper's hack). */
export function combinationsMasks(n: number, k: number): number[] {
  const out: number[] = [];
  if (k < 1 || k > n || n > 30) return out;
  let v = (1 << k) - 1;
  const limit = 1 << n;
  while (v < limit) {
    out.push(v);
    const t = (v | (v - 1)) + 1;
    v = t | ((((t & -t) / (v & -v)) >> 1) - 1);
  }
  return out;
}

function sharpeOf(sum: number, sumsq: number, n: number): number {
  if (n < 2) return 0;
  const mean = sum / n;
  const variance = (sumsq - n * mean * mean) / (n - 1);
  return variance > 1e-300 ? mean / Math.sqrt(variance) : 0;
}

/**
 * Probability of backtest overfitting by CSCV. `returns[n]` is trial n's per-period series (all the
 * same length T). The T periods are cut into `blocks` (even) equal blocks; each of the
 * C(blocks, blocks/2) ways to pick half of them is one split: the trial with the best Sharpe on the
 * picked half (in-sample) is ranked among all trials on the other half (out-of-sample), ω = rank /
 * (N + 1) with ties at their mid-rank, λ = ln(ω / (1 − ω)). PBO = share of splits with λ ≤ 0.
 * Per-block sums and sums of squares make each split O(N · blocks). null when T < blocks or N < 2.
 */
export function probabilityOfOverfitting(
  returns: readonly (readonly number[])[],
  blocks = 16,
): PboResult | null {
  if (!(blocks >= 2 && blocks % 2 === 0 && blocks <= 30))
    throw new RangeError(`blocks must be an even number from 2 to 30, got ${blocks}`);
  const N = returns.length;
  if (N < 2) return null;
  const T = Math.min(...returns.map((r) => r.length));
  const len = Math.floor(T / blocks);
  if (len < 1) return null;
  const skip = T - len * blocks;
  // sums[b * N + n], sumsq[b * N + n]
  const sums = new Float64Array(blocks * N);
  const sumsq = new Float64Array(blocks * N);
  const total = new Float64Array(N);
  const totalSq = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const r = returns[n];
    const off = r.length - T + skip; // every series aligned on its last T periods
    for (let b = 0; b < blocks; b++) {
      let s = 0;
      let q = 0;
      for (let i = off + b * len; i < off + (b + 1) * len; i++) {
        s += r[i];
        q += r[i] * r[i];
      }
      sums[b * N + n] = s;
      sumsq[b * N + n] = q;
      total[n] += s;
      totalSq[n] += q;
    }
  }
  const masks = combinationsMasks(blocks, blocks / 2);
  const half = (blocks / 2) * len;
  const isSum = new Float64Array(N);
  const isSq = new Float64Array(N);
  const oos = new Float64Array(N);
  const logits: number[] = [];
  let overfit = 0;
  for (const mask of masks) {
    isSum.fill(0);
    isSq.fill(0);
    for (let b = 0; b < blocks; b++) {
      if ((mask & (1 << b)) === 0) continue;
      const base = b * N;
      for (let n = 0; n < N; n++) {
        isSum[n] += sums[base + n];
        isSq[n] += sumsq[base + n];
      }
    }
    let best = 0;
    let bestSr = -Infinity;
    for (let n = 0; n < N; n++) {
      const sr = sharpeOf(isSum[n], isSq[n], half);
      if (sr > bestSr) {
        bestSr = sr;
        best = n;
      }
      oos[n] = sharpeOf(total[n] - isSum[n], totalSq[n] - isSq[n], half);
    }
    let below = 0;
    let ties = 0;
    for (let n = 0; n < N; n++) {
      if (n === best) continue;
      if (oos[n] < oos[best]) below++;
      else if (oos[n] === oos[best]) ties++;
    }
    const omega = (1 + below + ties / 2) / (N + 1);
    const lambda = Math.log(omega / (1 - omega));
    logits.push(lambda);
    if (lambda <= 0) overfit++;
  }
  logits.sort((a, b) => a - b);
  const mid = logits.length >> 1;
  const medianLogit = logits.length % 2 === 1 ? logits[mid] : (logits[mid - 1] + logits[mid]) / 2;
  return {
    pbo: overfit / masks.length,
    blocks,
    splits: masks.length,
    periods: len * blocks,
    trials: N,
    medianLogit,
  };
}
