import type { Forecast, Timeframe } from '../core/types.ts';
import { CLASS_ORDER, computeMetrics, EXCEEDANCE_TARGET } from '../models/index.ts';
import type { ClassLabel } from '../core/types.ts';
import type {
  CalibrationReport,
  ClassCalibration,
  ProbabilitySummary,
  ReliabilityBin,
  TradeGroupMetrics,
  TradeRecord,
} from './types.ts';
import { tradeStats } from './metrics.ts';

export function groupTrades(
  trades: readonly TradeRecord[],
  key: (t: TradeRecord) => string,
): Record<string, TradeGroupMetrics> {
  const groups = new Map<string, TradeRecord[]>();
  for (const t of trades) {
    const k = key(t);
    const g = groups.get(k);
    if (g) g.push(t);
    else groups.set(k, [t]);
  }
  const out: Record<string, TradeGroupMetrics> = {};
  for (const [k, g] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const s = tradeStats(g);
    out[k] = {
      trades: g.length,
      pnl: g.reduce((a, t) => a + t.pnl, 0),
      fees: g.reduce((a, t) => a + t.fees, 0),
      winRate: s.winRate,
      profitFactor: s.profitFactor,
      avgRealisedR: s.avgRealisedR,
    };
  }
  return out;
}

/** A forecast with what actually happened over its horizon. */
export interface ScoredForecast {
  readonly forecast: Forecast;
  /** Realised forward log return over the horizon. */
  readonly realised: number;
  /** 0 = BUY, 1 = SELL, 2 = HOLD (CLASS_ORDER of src/models/metrics.ts). */
  readonly label: number;
}

function argmax3(p: readonly [number, number, number]): number {
  return p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
}

export function reliabilityBins(
  probs: ReadonlyArray<readonly [number, number, number]>,
  labels: readonly number[],
  bins = 10,
): ReliabilityBin[] {
  return binned(
    probs.length,
    (i) => {
      const k = argmax3(probs[i]);
      return [probs[i][k], k === labels[i]];
    },
    bins,
  );
}

/**
 * One-vs-rest reliability of class `k`: P(k) in bins against how often `k` happened. The top-class
 * diagram can look perfect while P(BUY) ≥ 0.6 — the probabilities the gate trades on — is not.
 */
export function classReliabilityBins(
  probs: ReadonlyArray<readonly [number, number, number]>,
  labels: readonly number[],
  k: number,
  bins = 10,
): ReliabilityBin[] {
  return binned(probs.length, (i) => [probs[i][k], labels[i] === k], bins);
}

function binned(n: number, at: (i: number) => [number, boolean], bins: number): ReliabilityBin[] {
  const out = Array.from({ length: bins }, (_, b) => ({
    lo: b / bins,
    hi: (b + 1) / bins,
    count: 0,
    conf: 0,
    hit: 0,
  }));
  for (let i = 0; i < n; i++) {
    const [p, hit] = at(i);
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    out[b].count++;
    out[b].conf += p;
    if (hit) out[b].hit++;
  }
  return out.map((b) => ({
    lo: b.lo,
    hi: b.hi,
    count: b.count,
    meanConfidence: b.count > 0 ? b.conf / b.count : 0,
    accuracy: b.count > 0 ? b.hit / b.count : 0,
  }));
}

/** Mean and highest P(buy) and P(sell) of a set of forecasts. */
export function probabilitySummary(forecasts: Iterable<Forecast>): ProbabilitySummary {
  let count = 0;
  let sumBuy = 0;
  let sumSell = 0;
  let maxBuy = -Infinity;
  let maxSell = -Infinity;
  for (const f of forecasts) {
    count++;
    sumBuy += f.pBuy;
    sumSell += f.pSell;
    if (f.pBuy > maxBuy) maxBuy = f.pBuy;
    if (f.pSell > maxSell) maxSell = f.pSell;
  }
  if (count === 0) return { count, meanBuy: NaN, maxBuy: NaN, meanSell: NaN, maxSell: NaN };
  return { count, meanBuy: sumBuy / count, maxBuy, meanSell: sumSell / count, maxSell };
}

/** Mean and highest predicted probability of each class next to its observed frequency. */
export function classCalibration(
  probs: ReadonlyArray<readonly [number, number, number]>,
  labels: readonly number[],
): Record<ClassLabel, ClassCalibration> {
  const n = probs.length;
  const out = {} as Record<ClassLabel, ClassCalibration>;
  CLASS_ORDER.forEach((name, k) => {
    let sum = 0;
    let max = n > 0 ? -Infinity : NaN;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      sum += probs[i][k];
      if (probs[i][k] > max) max = probs[i][k];
      if (labels[i] === k) hits++;
    }
    out[name] = {
      meanProbability: n > 0 ? sum / n : NaN,
      frequency: n > 0 ? hits / n : NaN,
      maxProbability: max,
      reliability: classReliabilityBins(probs, labels, k).filter((b) => b.count > 0),
    };
  });
  return out;
}

/** Exceedance, coverage and ECE come from the models' own metric definitions (src/models/metrics.ts). */
export function calibrationReport(
  timeframe: Timeframe,
  scored: readonly ScoredForecast[],
): CalibrationReport {
  const probs = scored.map(
    (s) => [s.forecast.pBuy, s.forecast.pSell, s.forecast.pHold] as [number, number, number],
  );
  const labels = scored.map((s) => s.label);
  const reliability = reliabilityBins(probs, labels);
  const classes = classCalibration(probs, labels);
  if (scored.length === 0)
    return {
      timeframe,
      samples: 0,
      exceedance: { q10: NaN, q50: NaN, q90: NaN },
      target: { ...EXCEEDANCE_TARGET },
      bandCoverage: NaN,
      ece: NaN,
      reliability,
      classes,
    };
  const m = computeMetrics({
    forecasts: scored.map((s) => s.forecast),
    returns: scored.map((s) => s.realised),
    labels: labels.map((k) => CLASS_ORDER[k]),
  });
  return {
    timeframe,
    samples: scored.length,
    exceedance: {
      q10: m.quantiles['0.1'].exceedance,
      q50: m.quantiles['0.5'].exceedance,
      q90: m.quantiles['0.9'].exceedance,
    },
    target: { ...EXCEEDANCE_TARGET },
    bandCoverage: m.bandCoverage,
    ece: m.ece,
    reliability,
    classes,
  };
}
