import { QuantgateError } from '../core/errors.ts';
import type { ClassProbs, QuantileKey, QuantileTriple } from './metrics.ts';
import { EXCEEDANCE_TARGET, QUANTILE_LEVELS } from './metrics.ts';
import { SCALE_FLOOR } from './vol-scale.ts';

/**
 * Post-training calibration, fitted on the calibration slice (later in time than the training data,
 * never the test slice):
 *  - temperature scaling of the class head (one scalar T, minimising NLL);
 *  - conformalised quantile regression (CQR): one additive offset per quantile;
 *  - online adaptive conformal inference for live use (a small pure state machine).
 */

const PROB_FLOOR = 1e-7;
const LOG_T_MIN = Math.log(0.05);
const LOG_T_MAX = Math.log(20);

/** Softmax of log(p)/T: temperature scaling applied to probabilities (log p are logits up to a constant). */
export function applyTemperature(p: ClassProbs, temperature: number): ClassProbs {
  const l = p.map((x) => Math.log(Math.max(PROB_FLOOR, x)) / temperature);
  const m = Math.max(l[0], l[1], l[2]);
  const e = l.map((x) => Math.exp(x - m));
  const s = e[0] + e[1] + e[2];
  return [e[0] / s, e[1] / s, e[2] / s];
}

function nllAt(probs: readonly ClassProbs[], labels: readonly number[], t: number): number {
  let s = 0;
  for (let i = 0; i < probs.length; i++)
    s -= Math.log(Math.max(PROB_FLOOR, applyTemperature(probs[i], t)[labels[i]]));
  return s / probs.length;
}

/**
 * Fits T by golden-section search over log T in [ln 0.05, ln 20] (NLL is unimodal in log T for
 * softmax scaling). Labels are class indices in CLASS_ORDER.
 */
export function fitTemperature(
  probs: readonly ClassProbs[],
  labels: readonly number[],
  iterations = 60,
): number {
  if (probs.length === 0 || probs.length !== labels.length)
    throw new QuantgateError(
      'INSUFFICIENT_HISTORY',
      `calibration: temperature scaling needs ≥ 1 sample with a label (got ${probs.length} forecasts, ${labels.length} labels)`,
    );
  const g = (Math.sqrt(5) - 1) / 2;
  let a = LOG_T_MIN;
  let b = LOG_T_MAX;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = nllAt(probs, labels, Math.exp(c));
  let fd = nllAt(probs, labels, Math.exp(d));
  for (let i = 0; i < iterations; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = nllAt(probs, labels, Math.exp(c));
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = nllAt(probs, labels, Math.exp(d));
    }
  }
  return Math.exp((a + b) / 2);
}

/** k-th smallest (1-based, clamped to 1..n) of an ascending array. */
function kth(sorted: readonly number[], k: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, k)) - 1];
}

/**
 * Nonconformity score of one quantile: how far the outcome lies above it, in units of `scale[i]`
 * when given (volatility-scaled conformal), else in return units.
 */
function scores(
  raw: readonly QuantileTriple[],
  ys: ArrayLike<number>,
  key: QuantileKey,
  scale?: ArrayLike<number>,
): number[] {
  return raw
    .map((q, i) => (ys[i] - q[key]) / (scale ? Math.max(SCALE_FLOOR, scale[i]) : 1))
    .sort((x, y) => x - y);
}

/**
 * CQR offset of one quantile: with scores E = y − q, the calibrated quantile is q + c.
 * Finite-sample correction: the rank is rounded towards the safe side so that on exchangeable data
 * the miss rate is at most its target: for q90, P(y > q + c) ≤ 0.10 with c the ⌈(n+1)·0.9⌉-th
 * smallest score; for q10, P(y < q + c) ≤ 0.10 with c the ⌊(n+1)·0.1⌋-th smallest; q50 uses
 * ⌈(n+1)·0.5⌉ (its "miss" has no safe side).
 */
export function conformalOffset(sortedScores: readonly number[], key: QuantileKey): number {
  const n = sortedScores.length;
  const tau = QUANTILE_LEVELS[key];
  const k = key === 'q10' ? Math.floor((n + 1) * tau) : Math.ceil((n + 1) * tau);
  return kth(sortedScores, k);
}

/** Number of points kept of each score distribution for the online update (quantile function grid). */
export const SCORE_GRID_SIZE = 201;

/** The empirical quantile function of the scores on an even grid of levels 0..1 (for online conformal). */
export function scoreGrid(sortedScores: readonly number[], size = SCORE_GRID_SIZE): number[] {
  const n = sortedScores.length;
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    const pos = (i / (size - 1)) * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    out.push(sortedScores[lo] + (sortedScores[hi] - sortedScores[lo]) * (pos - lo));
  }
  return out;
}

export interface QuantileCalibration {
  readonly qOffsets: QuantileTriple;
  /** Quantile functions of the calibration scores, for the online conformal update. */
  readonly scoreGrids: Readonly<Record<QuantileKey, readonly number[]>>;
  readonly samples: number;
}

/**
 * Fits the CQR offsets on the calibration slice. With `scale` (a causal volatility per sample) the
 * scores are (y − q) / scale and the offsets are multiples of it: locally adaptive intervals, so
 * coverage holds within volatility regimes and not only on average.
 */
export function fitQuantileOffsets(
  raw: readonly QuantileTriple[],
  ys: ArrayLike<number>,
  scale?: ArrayLike<number>,
): QuantileCalibration {
  if (scale && scale.length !== raw.length)
    throw new QuantgateError(
      'INTERNAL',
      `calibration: ${raw.length} forecasts but ${scale.length} volatility scales (expected equal lengths)`,
    );
  if (raw.length < 10 || raw.length !== ys.length)
    throw new QuantgateError(
      'INSUFFICIENT_HISTORY',
      `calibration: conformal quantile calibration needs ≥ 10 samples with realised returns (got ${raw.length} forecasts, ${ys.length} returns)`,
    );
  const keys: QuantileKey[] = ['q10', 'q50', 'q90'];
  const sorted = Object.fromEntries(keys.map((k) => [k, scores(raw, ys, k, scale)])) as Record<
    QuantileKey,
    number[]
  >;
  return {
    qOffsets: {
      q10: conformalOffset(sorted.q10, 'q10'),
      q50: conformalOffset(sorted.q50, 'q50'),
      q90: conformalOffset(sorted.q90, 'q90'),
    },
    scoreGrids: { q10: scoreGrid(sorted.q10), q50: scoreGrid(sorted.q50), q90: scoreGrid(sorted.q90) },
    samples: raw.length,
  };
}

/** Adds the offsets and restores q10 ≤ q50 ≤ q90 (offsets are fitted separately, so they may cross). */
export function applyQuantileOffsets(q: QuantileTriple, off: QuantileTriple): QuantileTriple {
  const s = [q.q10 + off.q10, q.q50 + off.q50, q.q90 + off.q90].sort((a, b) => a - b);
  return { q10: s[0], q50: s[1], q90: s[2] };
}

// ---------------------------------------------------------------------------------------------
// Online adaptive conformal inference (Gibbs & Candès 2021), one level per quantile.
//
// Each quantile has a "miss" event with a target rate (EXCEEDANCE_TARGET): y < q10, y < q50,
// y > q90. α is the running miss level: α ← α + γ·(target − miss). The offset in use is read from
// the calibration score distribution at level α (q10, q50) or 1 − α (q90), so a run of misses
// widens the band and a run of hits narrows it. α may leave [0, 1] (then the extreme score is used
// and the interval is as wide as calibration ever saw, extrapolated linearly beyond it).
// ---------------------------------------------------------------------------------------------

export interface OnlineConformalState {
  readonly gamma: number;
  readonly alpha: Readonly<Record<QuantileKey, number>>;
  readonly scoreGrids: Readonly<Record<QuantileKey, readonly number[]>>;
  /** Realised outcomes fed so far and misses among them (for monitoring). */
  readonly updates: number;
  readonly misses: Readonly<Record<QuantileKey, number>>;
}

export function initOnlineConformal(
  cal: Pick<QuantileCalibration, 'scoreGrids'>,
  gamma: number,
): OnlineConformalState {
  if (!(gamma >= 0 && gamma <= 1))
    throw new QuantgateError(
      'CONFIG_INVALID',
      `online conformal step gamma: expected number between 0 and 1, got ${gamma}`,
    );
  for (const k of ['q10', 'q50', 'q90'] as const)
    if (cal.scoreGrids[k].length < 2)
      throw new QuantgateError(
        'MODEL_INVALID',
        `calibration: score grid of ${k} has ${cal.scoreGrids[k].length} points (expected ≥ 2)`,
      );
  return {
    gamma,
    alpha: { ...EXCEEDANCE_TARGET },
    scoreGrids: cal.scoreGrids,
    updates: 0,
    misses: { q10: 0, q50: 0, q90: 0 },
  };
}

/** Reads a quantile function grid at level u, extrapolating linearly outside [0, 1]. */
function readGrid(grid: readonly number[], u: number): number {
  const n = grid.length;
  const pos = u * (n - 1);
  const lo = Math.min(n - 2, Math.max(0, Math.floor(pos)));
  return grid[lo] + (grid[lo + 1] - grid[lo]) * (pos - lo);
}

/** Level of the score distribution the offset of `key` is read at. */
function level(key: QuantileKey, alpha: number): number {
  return key === 'q90' ? 1 - alpha : alpha;
}

/** Offsets to add to the RAW model quantiles under the current online state. */
export function onlineOffsets(s: OnlineConformalState): QuantileTriple {
  return {
    q10: readGrid(s.scoreGrids.q10, level('q10', s.alpha.q10)),
    q50: readGrid(s.scoreGrids.q50, level('q50', s.alpha.q50)),
    q90: readGrid(s.scoreGrids.q90, level('q90', s.alpha.q90)),
  };
}

export function isMiss(key: QuantileKey, q: number, y: number): boolean {
  return key === 'q90' ? y > q : y < q;
}

/**
 * Feeds one realised outcome: `issued` are the calibrated quantiles that were issued for that
 * forecast (raw + onlineOffsets at the time), `y` the realised forward return. Returns the new state.
 */
export function updateOnlineConformal(
  s: OnlineConformalState,
  issued: QuantileTriple,
  y: number,
): OnlineConformalState {
  if (!Number.isFinite(y)) return s;
  const alpha = { ...s.alpha };
  const misses = { ...s.misses };
  for (const k of ['q10', 'q50', 'q90'] as const) {
    const miss = isMiss(k, issued[k], y) ? 1 : 0;
    misses[k] += miss;
    alpha[k] = alpha[k] + s.gamma * (EXCEEDANCE_TARGET[k] - miss);
  }
  return { ...s, alpha, misses, updates: s.updates + 1 };
}
