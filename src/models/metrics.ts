import { QuantgateError } from '../core/errors.ts';
import type { ClassLabel, Forecast } from '../core/types.ts';

/**
 * Forecast-quality metrics on a set of (forecast, realised forward log return, realised class).
 *
 * "Exceedance" is defined per quantile as the event the quantile is meant to bound, so that every
 * rate has an obvious target:
 *   - P10: fraction of outcomes BELOW q10 (target 0.10)
 *   - P50: fraction of outcomes BELOW q50 (target 0.50)
 *   - P90: fraction of outcomes ABOVE q90 (target 0.10)
 * Band coverage is the fraction with q10 ≤ y ≤ q90 (target 0.80).
 */

export const CLASS_ORDER = ['BUY', 'SELL', 'HOLD'] as const satisfies readonly ClassLabel[];

/** Probabilities in CLASS_ORDER. */
export type ClassProbs = readonly [number, number, number];

export const QUANTILE_LEVELS = { q10: 0.1, q50: 0.5, q90: 0.9 } as const;
export type QuantileKey = keyof typeof QUANTILE_LEVELS;

/** Target exceedance rate of each quantile under the definition above. */
export const EXCEEDANCE_TARGET: Readonly<Record<QuantileKey, number>> = { q10: 0.1, q50: 0.5, q90: 0.1 };

export interface QuantileTriple {
  readonly q10: number;
  readonly q50: number;
  readonly q90: number;
}

export interface ModelVsBaseline {
  readonly model: number;
  /** null when no baseline was supplied. */
  readonly baseline: number | null;
}

/** Exceedance and band coverage of the samples whose forecast-time volatility falls in one tercile. */
export interface VolatilityTercile {
  /** 1 = calmest third of the samples, 3 = most volatile third. */
  readonly tercile: 1 | 2 | 3;
  readonly samples: number;
  /** Range of the volatility estimate in this tercile (its own units, e.g. RMS log return). */
  readonly volatility: { readonly from: number; readonly to: number };
  readonly exceedance: { readonly '0.1': number; readonly '0.5': number; readonly '0.9': number };
  readonly bandCoverage: number;
}

export interface ForecastMetrics {
  readonly samples: number;
  readonly quantiles: {
    readonly '0.1': { readonly exceedance: number; readonly target: number };
    readonly '0.5': { readonly exceedance: number; readonly target: number };
    readonly '0.9': { readonly exceedance: number; readonly target: number };
  };
  readonly bandCoverage: number;
  /** Mean pinball loss averaged over the three quantiles. */
  readonly pinball: ModelVsBaseline;
  /** Mean pinball loss of each quantile on its own (the mean above averages these). */
  readonly pinballByQuantile: {
    readonly '0.1': ModelVsBaseline;
    readonly '0.5': ModelVsBaseline;
    readonly '0.9': ModelVsBaseline;
  };
  /**
   * Calibration within each tercile of a causal volatility estimate known at forecast time (tercile
   * edges from the evaluated samples themselves); null when no volatility was supplied. A quantile
   * forecast can cover 80 % on average by over-covering calm periods and under-covering wild ones.
   */
  readonly coverageByVolatility: readonly VolatilityTercile[] | null;
  readonly accuracy: number;
  readonly ece: number;
  readonly brier: ModelVsBaseline;
  /** 1 − Brier / Brier of the class-frequency baseline: > 0 means skill; null without a baseline. */
  readonly brierSkill: number | null;
  readonly logLoss: ModelVsBaseline;
}

export interface MetricsInput {
  readonly forecasts: readonly Forecast[];
  /** Realised forward log return of each forecast's horizon. */
  readonly returns: ArrayLike<number>;
  readonly labels: readonly ClassLabel[];
  /** Quantiles of the rolling-quantile baseline for the same samples (pinball baseline). */
  readonly baselineQuantiles?: readonly QuantileTriple[];
  /** Class frequencies of the TRAINING slice (Brier / log-loss baseline), in CLASS_ORDER. */
  readonly baselineClassFreq?: ClassProbs;
  /** A causal volatility estimate per sample, known at forecast time (for coverageByVolatility). */
  readonly volatility?: ArrayLike<number>;
}

const LOG_EPS = 1e-7;

export function classIndex(label: ClassLabel): number {
  return CLASS_ORDER.indexOf(label);
}

export function forecastProbs(f: Forecast): ClassProbs {
  return [f.pBuy, f.pSell, f.pHold];
}

export function pinball(y: number, q: number, tau: number): number {
  const d = y - q;
  return d >= 0 ? tau * d : (tau - 1) * d;
}

/** Mean over samples of the mean pinball loss of the three quantiles. */
export function meanPinball(qs: readonly QuantileTriple[], ys: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < qs.length; i++) {
    const y = ys[i];
    s += pinball(y, qs[i].q10, 0.1) + pinball(y, qs[i].q50, 0.5) + pinball(y, qs[i].q90, 0.9);
  }
  return s / (3 * qs.length);
}

/** Mean pinball loss of one quantile level over samples. */
export function quantilePinball(
  qs: readonly QuantileTriple[],
  ys: ArrayLike<number>,
  key: QuantileKey,
): number {
  const tau = QUANTILE_LEVELS[key];
  let s = 0;
  for (let i = 0; i < qs.length; i++) s += pinball(ys[i], qs[i][key], tau);
  return s / qs.length;
}

/**
 * Exceedance and coverage per volatility tercile. Samples are ranked by `vol` (ties broken by
 * index, so the split is deterministic) and cut into three groups of ⌊n/3⌋ or ⌈n/3⌉; samples whose
 * volatility is not finite are left out. Null when fewer than 3 usable samples.
 */
export function coverageByVolatility(
  qs: readonly QuantileTriple[],
  ys: ArrayLike<number>,
  vol: ArrayLike<number>,
): VolatilityTercile[] | null {
  const idx: number[] = [];
  for (let i = 0; i < qs.length; i++) if (Number.isFinite(vol[i])) idx.push(i);
  if (idx.length < 3) return null;
  idx.sort((a, b) => vol[a] - vol[b] || a - b);
  const n = idx.length;
  return ([1, 2, 3] as const).map((t) => {
    const part = idx.slice(Math.round(((t - 1) * n) / 3), Math.round((t * n) / 3));
    const q = part.map((i) => qs[i]);
    const y = part.map((i) => ys[i]);
    const ex = exceedanceRates(q, y);
    return {
      tercile: t,
      samples: part.length,
      volatility: { from: vol[part[0]], to: vol[part[part.length - 1]] },
      exceedance: { '0.1': ex.q10, '0.5': ex.q50, '0.9': ex.q90 },
      bandCoverage: bandCoverage(q, y),
    };
  });
}

/** Brier skill score 1 − model / baseline; null without a baseline or when the baseline is perfect. */
export function brierSkillScore(model: number, baseline: number | null): number | null {
  return baseline === null || !(baseline > 0) ? null : 1 - model / baseline;
}

/** Fraction of outcomes on the "miss" side of each quantile (see the header comment). */
export function exceedanceRates(
  qs: readonly QuantileTriple[],
  ys: ArrayLike<number>,
): Record<QuantileKey, number> {
  let b10 = 0;
  let b50 = 0;
  let a90 = 0;
  for (let i = 0; i < qs.length; i++) {
    const y = ys[i];
    if (y < qs[i].q10) b10++;
    if (y < qs[i].q50) b50++;
    if (y > qs[i].q90) a90++;
  }
  const n = qs.length;
  return { q10: b10 / n, q50: b50 / n, q90: a90 / n };
}

export function bandCoverage(qs: readonly QuantileTriple[], ys: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < qs.length; i++) if (ys[i] >= qs[i].q10 && ys[i] <= qs[i].q90) c++;
  return c / qs.length;
}

function argmax(p: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  return best;
}

export function accuracy(probs: readonly ClassProbs[], labels: readonly number[]): number {
  let c = 0;
  for (let i = 0; i < probs.length; i++) if (argmax(probs[i]) === labels[i]) c++;
  return c / probs.length;
}

/** Expected calibration error: 10 equal-width bins on the max probability, weighted by bin size. */
export function expectedCalibrationError(
  probs: readonly ClassProbs[],
  labels: readonly number[],
  bins = 10,
): number {
  const count = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const hit = new Array<number>(bins).fill(0);
  for (let i = 0; i < probs.length; i++) {
    const k = argmax(probs[i]);
    const p = probs[i][k];
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[b]++;
    conf[b] += p;
    if (k === labels[i]) hit[b]++;
  }
  let e = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) e += Math.abs(hit[b] - conf[b]) / probs.length;
  return e;
}

/** Multi-class Brier score: mean over samples of Σ_k (p_k − 1[y=k])², range 0–2. */
export function brierScore(probs: readonly ClassProbs[], labels: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < probs.length; i++)
    for (let k = 0; k < 3; k++) {
      const d = probs[i][k] - (labels[i] === k ? 1 : 0);
      s += d * d;
    }
  return s / probs.length;
}

/** Mean negative log-likelihood (natural log), probabilities floored at 1e-7. */
export function logLoss(probs: readonly ClassProbs[], labels: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < probs.length; i++) s -= Math.log(Math.max(LOG_EPS, probs[i][labels[i]]));
  return s / probs.length;
}

/** Class frequencies (in CLASS_ORDER) of a label set, e.g. of the training slice. */
export function classFrequencies(labels: readonly ClassLabel[]): ClassProbs {
  const c = [0, 0, 0];
  for (const l of labels) c[classIndex(l)]++;
  const n = Math.max(1, labels.length);
  return [c[0] / n, c[1] / n, c[2] / n];
}

function checkInput(inp: MetricsInput): void {
  const n = inp.forecasts.length;
  if (n === 0)
    throw new QuantgateError('INSUFFICIENT_HISTORY', 'metrics: no samples to evaluate (0 forecasts)');
  if (inp.returns.length !== n || inp.labels.length !== n)
    throw new QuantgateError(
      'INTERNAL',
      `metrics: ${n} forecasts but ${inp.returns.length} returns and ${inp.labels.length} labels (expected equal lengths)`,
    );
  if (inp.volatility && inp.volatility.length !== n)
    throw new QuantgateError(
      'INTERNAL',
      `metrics: ${n} forecasts but ${inp.volatility.length} volatility estimates (expected equal lengths)`,
    );
  if (inp.baselineQuantiles && inp.baselineQuantiles.length !== n)
    throw new QuantgateError(
      'INTERNAL',
      `metrics: ${n} forecasts but ${inp.baselineQuantiles.length} baseline quantiles (expected equal lengths)`,
    );
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(inp.returns[i]))
      throw new QuantgateError(
        'DATA_INVALID',
        `metrics: realised return #${i} is ${inp.returns[i]} (expected a finite number)`,
      );
}

export function computeMetrics(inp: MetricsInput): ForecastMetrics {
  checkInput(inp);
  const qs = inp.forecasts;
  const ys = inp.returns;
  const labels = inp.labels.map(classIndex);
  const probs = qs.map(forecastProbs);
  const ex = exceedanceRates(qs, ys);
  const base = inp.baselineClassFreq;
  const baseProbs = base ? labels.map(() => base) : null;
  const bq = inp.baselineQuantiles;
  const byQ = (key: QuantileKey): ModelVsBaseline => ({
    model: quantilePinball(qs, ys, key),
    baseline: bq ? quantilePinball(bq, ys, key) : null,
  });
  const brier = {
    model: brierScore(probs, labels),
    baseline: baseProbs ? brierScore(baseProbs, labels) : null,
  };
  return {
    samples: qs.length,
    quantiles: {
      '0.1': { exceedance: ex.q10, target: EXCEEDANCE_TARGET.q10 },
      '0.5': { exceedance: ex.q50, target: EXCEEDANCE_TARGET.q50 },
      '0.9': { exceedance: ex.q90, target: EXCEEDANCE_TARGET.q90 },
    },
    bandCoverage: bandCoverage(qs, ys),
    pinball: {
      model: meanPinball(qs, ys),
      baseline: bq ? meanPinball(bq, ys) : null,
    },
    pinballByQuantile: { '0.1': byQ('q10'), '0.5': byQ('q50'), '0.9': byQ('q90') },
    coverageByVolatility: inp.volatility ? coverageByVolatility(qs, ys, inp.volatility) : null,
    accuracy: accuracy(probs, labels),
    ece: expectedCalibrationError(probs, labels),
    brier,
    brierSkill: brierSkillScore(brier.model, brier.baseline),
    logLoss: { model: logLoss(probs, labels), baseline: baseProbs ? logLoss(baseProbs, labels) : null },
  };
}
