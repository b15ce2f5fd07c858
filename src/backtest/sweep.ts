import type { Config } from '../config/index.ts';
import type { Candle, Timeframe } from '../core/types.ts';
import type { Forecaster } from '../models/forecaster.ts';
import type { CandleSource } from './data.ts';
import { memoOf } from './forecast-memo.ts';
import type { MemoForecaster } from './forecast-memo.ts';
import type { ModelMap } from './forecasters.ts';
import { dailyEquity, performanceMetrics, simpleReturns } from './metrics.ts';
import { deflatedSharpe, moments, probabilityOfOverfitting } from './overfitting.ts';
import type { DeflatedSharpe, PboResult } from './overfitting.ts';
import { runBacktest } from './run.ts';
import type { BacktestDeps, BacktestRequest } from './run.ts';
import type { GridValue } from './sweep-grid.ts';
import type { BacktestResult, EquityPoint, PerformanceMetrics, TradeRecord } from './types.ts';

const DAY_MS = 86_400_000;

/** Below this many trades a combination's metrics say little (the sweep warns). */
export const SWEEP_MIN_TRADES = 30;

export interface SweepCombination {
  readonly label: string;
  readonly overrides: Readonly<Record<string, GridValue>>;
  readonly config: Config;
  readonly request: BacktestRequest;
}

export interface SweepInput {
  readonly combinations: readonly SweepCombination[];
  /** The backtest's dependencies for one combination's config (createBacktestDeps in the CLI). */
  depsFor(config: Config): Promise<BacktestDeps>;
  /** CSCV blocks (even). */
  readonly blocks: number;
  /** Fewer trades than this in the chosen or the best combination is flagged (default SWEEP_MIN_TRADES). */
  readonly minTrades?: number;
  /** Called after each combination (1-based count). */
  readonly onCombination?: (done: number, total: number, row: SweepRow) => void;
  /** The first combination's phases (it trains or loads the models and computes the forecasts). */
  readonly onProgress?: (phase: string, done: number, total: number) => void;
}

export interface DailySummary {
  readonly days: number;
  readonly mean: number;
  readonly sd: number;
  readonly skewness: number;
  readonly kurtosis: number;
  readonly min: number;
  readonly max: number;
  /** Share of days with a positive return. */
  readonly positive: number;
}

export interface HalfMetrics {
  readonly metrics: PerformanceMetrics;
  readonly buyAndHold: PerformanceMetrics;
}

export interface SweepRow {
  /** 0-based position in the grid. */
  readonly index: number;
  readonly label: string;
  readonly overrides: Readonly<Record<string, GridValue>>;
  readonly metrics: PerformanceMetrics;
  readonly buyAndHold: PerformanceMetrics;
  readonly inSample: HalfMetrics;
  readonly outOfSample: HalfMetrics;
  readonly daily: DailySummary;
  readonly gate: Readonly<Record<string, number>>;
  /** Forecasts this combination had to ask a model for (0 after the first: all came from the memo). */
  readonly modelCalls: number;
  readonly warnings: readonly string[];
}

export interface SweepChoice {
  readonly index: number;
  readonly label: string;
  readonly rule: string;
}

export interface SweepResult {
  readonly from: number;
  readonly to: number;
  /** In-sample is [from, split], out-of-sample (split, to). */
  readonly split: number;
  readonly walkForward: boolean;
  readonly rows: readonly SweepRow[];
  /** Chosen on the in-sample half only; null when no combination had an in-sample Sharpe. */
  readonly chosen: SweepChoice | null;
  /** Of the combination with the best full-period Sharpe, over all combinations as trials. */
  readonly deflatedSharpe: DeflatedSharpe;
  readonly pbo: PboResult | null;
  /** Forecasts computed by a model during the whole sweep, and by combinations after the first. */
  readonly forecasts: { readonly modelCalls: number; readonly afterFirst: number };
  readonly warnings: readonly string[];
  readonly seconds: number;
}

/** Metrics of the part of a run with t in (from, to]; the last point before `from` anchors the start. */
export function sliceMetrics(
  curve: readonly EquityPoint[],
  trades: readonly TradeRecord[],
  from: number,
  to: number,
  riskFreeRate: number,
): PerformanceMetrics {
  const inside = curve.filter((p) => p.t > from && p.t <= to);
  let anchor: EquityPoint | undefined;
  for (const p of curve) if (p.t <= from) anchor = p;
  const points = anchor ? [anchor, ...inside] : inside;
  const mine = trades.filter((t) => t.exitTime > from && t.exitTime <= to);
  return performanceMetrics({
    curve: points,
    trades: mine,
    fees: mine.reduce((a, t) => a + t.fees, 0),
    funding: mine.reduce((a, t) => a + t.funding, 0),
    riskFreeRate,
  });
}

export function dailySummary(daily: readonly number[]): DailySummary {
  const m = moments(daily);
  return {
    days: daily.length,
    mean: m.mean,
    sd: m.sd,
    skewness: m.skewness,
    kurtosis: m.kurtosis,
    min: daily.length > 0 ? Math.min(...daily) : NaN,
    max: daily.length > 0 ? Math.max(...daily) : NaN,
    positive: daily.length > 0 ? daily.filter((r) => r > 0).length / daily.length : NaN,
  };
}

/** Where the sweep splits in-sample from out-of-sample: the middle window boundary, else the middle UTC day. */
export function splitPoint(r: Pick<BacktestResult, 'from' | 'to' | 'windows'>): number {
  if (r.windows.length >= 2) return r.windows[Math.floor(r.windows.length / 2)].testFrom;
  return Math.round((r.from + r.to) / 2 / DAY_MS) * DAY_MS;
}

/** The candle store read once for all combinations (each load gets its own array). */
function onceSource(s: CandleSource): CandleSource {
  const seen = new Map<string, Candle[] | null>();
  return {
    describe: s.describe,
    load(symbol: string, tf: Timeframe) {
      const k = `${symbol}\u0000${tf}`;
      if (!seen.has(k)) seen.set(k, s.load(symbol, tf));
      const c = seen.get(k)!;
      return c === null ? null : [...c];
    },
  };
}

function wrap(models: ModelMap, seen: Map<Forecaster, MemoForecaster>): ModelMap {
  const out: ModelMap = {};
  for (const [tf, m] of Object.entries(models) as Array<[keyof ModelMap, Forecaster]>)
    out[tf] = memoOf(m, seen);
  return out;
}

/**
 * Replays every combination through the normal backtest (runBacktest: the same plugin, risk
 * manager and paper broker as live), all of them served the same forecasts: the models are loaded
 * or trained once (a walk-forward window's models once per window, from --model-cache when there),
 * and the forecasts are computed by the first combination and remembered (forecast-memo.ts). The
 * keys a sweep may vary change neither (sweep-grid.ts), and `forecasts.afterFirst` proves it on
 * the run: it counts every forecast a later combination had to compute.
 */
export async function runSweep(input: SweepInput): Promise<SweepResult> {
  const t0 = performance.now();
  const combos = input.combinations;
  const base = await input.depsFor(combos[0].config);
  const memos = new Map<Forecaster, MemoForecaster>();
  let fixed: Promise<ModelMap> | undefined;
  const windows = new Map<number, Promise<ModelMap>>();
  let planned = false;
  const source = onceSource(base.source);
  const shared: Pick<
    BacktestDeps,
    'source' | 'loadModels' | 'trainModels' | 'planTraining' | 'stopTraining'
  > = {
    source,
    loadModels: () => (fixed ??= base.loadModels().then((m) => wrap(m, memos))),
    trainModels: base.trainModels
      ? (data, slot) => {
          let p = windows.get(slot.trainTo);
          if (!p) windows.set(slot.trainTo, (p = base.trainModels!(data, slot).then((m) => wrap(m, memos))));
          return p;
        }
      : undefined,
    planTraining: (slots) => {
      if (planned) return;
      planned = true;
      base.planTraining?.(slots);
    },
    stopTraining: async () => undefined,
  };
  const calls = () => [...memos.values()].reduce((a, m) => a + m.modelCalls, 0);
  const daily: number[][] = [];
  const rows: SweepRow[] = [];
  let split = 0;
  try {
    for (const [i, c] of combos.entries()) {
      const own = i === 0 ? base : await input.depsFor(c.config);
      // The run's own log lines (data gaps, walk-forward windows) are the same for every
      // combination: logged once, by the first; later ones log errors only (warnings stay in the row).
      const logger = i === 0 ? own.logger : own.logger.child({}, { level: 'error' });
      const deps: BacktestDeps = { ...own, ...shared, logger };
      const before = calls();
      const r = await runBacktest(
        {
          ...c.request,
          skipBaseline: true,
          onProgress: i === 0 ? input.onProgress : undefined,
          onWindow: undefined,
        },
        deps,
      );
      if (i === 0) split = splitPoint(r);
      const rf = c.request.riskFreeRate;
      // Only the daily returns are kept: a sweep of hundreds must not hold hundreds of curves.
      const returns = simpleReturns(dailyEquity(r.curve));
      daily.push(returns);
      const row: SweepRow = {
        index: i,
        label: c.label,
        overrides: c.overrides,
        metrics: r.metrics,
        buyAndHold: r.buyAndHold,
        inSample: {
          metrics: sliceMetrics(r.curve, r.trades, -Infinity, split, rf),
          buyAndHold: sliceMetrics(r.buyAndHoldCurve, [], -Infinity, split, rf),
        },
        outOfSample: {
          metrics: sliceMetrics(r.curve, r.trades, split, Infinity, rf),
          buyAndHold: sliceMetrics(r.buyAndHoldCurve, [], split, Infinity, rf),
        },
        daily: dailySummary(returns),
        gate: r.gate,
        modelCalls: calls() - before,
        warnings: r.warnings,
      };
      rows.push(row);
      input.onCombination?.(i + 1, combos.length, row);
    }
  } finally {
    await base.stopTraining?.();
    for (const m of memos.values()) m.release();
  }
  const T = Math.min(...daily.map((d) => d.length));
  const aligned = daily.map((d) => d.slice(d.length - T));
  const dsr = deflatedSharpe(aligned);
  const moved = aligned.some((d) => moments(d).sd > 0);
  const pbo = moved ? probabilityOfOverfitting(aligned, input.blocks) : null;
  const chosen = choose(rows);
  const minTrades = input.minTrades ?? SWEEP_MIN_TRADES;
  const warnings: string[] = [];
  const afterFirst = rows.slice(1).reduce((a, r) => a + r.modelCalls, 0);
  if (afterFirst > 0)
    warnings.push(
      `${afterFirst} forecasts had to be computed after the first combination: a swept key changed the models' inputs`,
    );
  if (!moved)
    warnings.push(
      'no combination made a trade (every equity curve is flat): the deflated Sharpe and PBO are undefined',
    );
  else if (pbo === null)
    warnings.push(
      `PBO needs at least ${input.blocks} daily returns per combination (have ${T}); use a longer range or fewer --blocks`,
    );
  for (const [what, idx] of [
    ['chosen (in-sample)', chosen?.index],
    ['best full-period', dsr.best],
  ] as const) {
    if (idx === undefined) continue;
    const row = rows[idx];
    if (row.metrics.trades < minTrades)
      warnings.push(
        `small sample: the ${what} combination ${row.label} made ${row.metrics.trades} trades (< ${minTrades}); its Sharpe and win rate say little`,
      );
  }
  if (chosen === null)
    warnings.push('no combination has an in-sample Sharpe (no variance: none traded?); nothing chosen');
  return {
    from: combos[0].request.from,
    to: combos[0].request.to,
    split,
    walkForward: combos[0].request.walkForward,
    rows,
    chosen,
    deflatedSharpe: dsr,
    pbo,
    forecasts: { modelCalls: calls(), afterFirst },
    warnings,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The combination with the highest in-sample Sharpe (the first of equals); never looks at the out-of-sample half. */
export function choose(rows: readonly SweepRow[]): SweepChoice | null {
  let best: SweepRow | null = null;
  for (const r of rows) {
    const s = r.inSample.metrics.sharpe;
    if (s === null) continue;
    if (best === null || s > best.inSample.metrics.sharpe!) best = r;
  }
  return best && { index: best.index, label: best.label, rule: 'highest Sharpe on the in-sample half' };
}
