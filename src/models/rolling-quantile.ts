import { QuantgateError } from '../core/errors.ts';
import type { ClassLabel, Forecast, Timeframe } from '../core/types.ts';
import type { ForecastInput, Forecaster } from './forecaster.ts';
import type { ClassProbs, QuantileTriple } from './metrics.ts';
import { classIndex } from './metrics.ts';

/**
 * The unconditional rolling-quantile baseline: quantiles of the last N realised horizon returns
 * known at time t, and class probabilities = rolling class frequencies of the same outcomes. A
 * sample's outcome (return from t0 to t0 + h) is known only at t0 + h, so at time t only outcomes
 * with t0 + h ≤ t are used. Any model worth deploying must beat this on pinball loss.
 */

/** Sorted multiset with O(log n) search and O(n) insert/remove (n ≤ a few thousand here). */
class SortedWindow {
  private readonly xs: number[] = [];
  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.xs[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  insert(x: number): void {
    this.xs.splice(this.lowerBound(x), 0, x);
  }
  remove(x: number): void {
    const i = this.lowerBound(x);
    if (this.xs[i] === x) this.xs.splice(i, 1);
  }
  get size(): number {
    return this.xs.length;
  }
  /** Linear-interpolated empirical quantile (type 7). */
  quantile(tau: number): number {
    const pos = tau * (this.xs.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(this.xs.length - 1, lo + 1);
    return this.xs[lo] + (this.xs[hi] - this.xs[lo]) * (pos - lo);
  }
}

export interface RollingBaselineOptions {
  /** Number of most recent realised outcomes used. */
  readonly lookback: number;
  /** Outcomes needed before a baseline forecast is made (earlier samples get null). */
  readonly minSamples?: number;
}

export interface BaselinePoint extends QuantileTriple {
  readonly probs: ClassProbs;
}

/** A fixed-capacity window over realised outcomes; pure apart from its own instance state. */
export class RollingOutcomes {
  private readonly sorted = new SortedWindow();
  private readonly fifo: Array<{ y: number; c: number }> = [];
  private readonly counts = [0, 0, 0];
  constructor(private readonly lookback: number) {
    if (!(lookback >= 1))
      throw new QuantgateError(
        'CONFIG_INVALID',
        `rolling-quantile baseline: lookback must be ≥ 1 (got ${lookback})`,
      );
  }
  push(y: number, label: ClassLabel | null): void {
    if (!Number.isFinite(y) || label === null) return;
    const c = classIndex(label);
    this.fifo.push({ y, c });
    this.sorted.insert(y);
    this.counts[c]++;
    if (this.fifo.length > this.lookback) {
      const old = this.fifo.shift() as { y: number; c: number };
      this.sorted.remove(old.y);
      this.counts[old.c]--;
    }
  }
  get size(): number {
    return this.fifo.length;
  }
  point(): BaselinePoint | null {
    const n = this.fifo.length;
    if (n === 0) return null;
    return {
      q10: this.sorted.quantile(0.1),
      q50: this.sorted.quantile(0.5),
      q90: this.sorted.quantile(0.9),
      probs: [this.counts[0] / n, this.counts[1] / n, this.counts[2] / n],
    };
  }
}

/**
 * Baseline forecasts for samples 0..n−1 of ONE contiguous series, where sample j's outcome
 * (`returns[j]`, `labels[j]`) covers candles j..j+horizon. At sample t only outcomes j ≤ t − horizon
 * are known. To evaluate a slice, run it over the whole series and take the slice's indices, so the
 * first test samples already see the outcomes that completed before them.
 */
export function rollingBaseline(
  returns: ArrayLike<number>,
  labels: ReadonlyArray<ClassLabel | null>,
  horizon: number,
  opts: RollingBaselineOptions,
): Array<BaselinePoint | null> {
  const win = new RollingOutcomes(opts.lookback);
  const min = opts.minSamples ?? 1;
  const out: Array<BaselinePoint | null> = [];
  for (let t = 0; t < returns.length; t++) {
    const j = t - horizon;
    if (j >= 0) win.push(returns[j], labels[j]);
    out.push(win.size >= min ? win.point() : null);
  }
  return out;
}

export interface RollingQuantileForecasterOptions {
  readonly timeframe: Timeframe;
  readonly horizon: number;
  readonly lookback: number;
  readonly featureNames?: readonly string[];
  readonly window?: number;
}

/**
 * The baseline behind the `Forecaster` interface. It ignores features: the host feeds it realised
 * outcomes per symbol with `observe` as each horizon completes (never earlier — that would leak).
 * Before any outcome is known it forecasts a zero-width band at 0 with uniform class probabilities.
 */
export class RollingQuantileForecaster implements Forecaster {
  readonly version: string;
  readonly timeframe: Timeframe;
  readonly horizon: number;
  readonly featureNames: readonly string[];
  readonly window: number;
  private readonly lookback: number;
  private readonly bySymbol = new Map<string, RollingOutcomes>();

  constructor(o: RollingQuantileForecasterOptions) {
    this.timeframe = o.timeframe;
    this.horizon = o.horizon;
    this.lookback = o.lookback;
    this.featureNames = o.featureNames ?? [];
    this.window = o.window ?? 1;
    this.version = `baseline:rolling-quantile-${o.lookback}`;
  }

  observe(symbol: string, realisedReturn: number, label: ClassLabel): void {
    let w = this.bySymbol.get(symbol);
    if (!w) {
      w = new RollingOutcomes(this.lookback);
      this.bySymbol.set(symbol, w);
    }
    w.push(realisedReturn, label);
  }

  predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    return inputs.map((inp) => {
      const p = this.bySymbol.get(inp.symbol)?.point() ?? null;
      const third = 1 / 3;
      return {
        timeframe: this.timeframe,
        pBuy: p ? p.probs[0] : third,
        pSell: p ? p.probs[1] : third,
        pHold: p ? p.probs[2] : third,
        q10: p ? p.q10 : 0,
        q50: p ? p.q50 : 0,
        q90: p ? p.q90 : 0,
        modelVersion: this.version,
      };
    });
  }

  dispose(): void {
    this.bySymbol.clear();
  }
}
