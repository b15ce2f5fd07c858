import { dailyEquity, drawdowns, sharpeRatio, simpleReturns, tradeStats } from './metrics.ts';
import type { BacktestResult, EquityPoint, PerformanceMetrics, ReferenceRun, TradeRecord } from './types.ts';

/**
 * Everything the trade review shows, as one plain object: the HTML report renders it and
 * `backtest --json` prints it, so the two can never disagree. Times are ISO strings (UTC),
 * fractions 0–1, money in quote currency.
 */
export interface TradeReview {
  readonly trades: readonly TradeRow[];
  readonly byExitReason: readonly GroupRow[];
  readonly byDuration: readonly GroupRow[];
  readonly bySymbol: readonly GroupRow[];
  /** Per UTC day and per ISO week (Monday start), strategy and every reference with a curve. */
  readonly dailyReturns: readonly PeriodSeries[];
  readonly weeklyReturns: readonly PeriodSeries[];
  readonly drawdown: readonly TimeSeries[];
  readonly rollingSharpe: { readonly windowDays: number; readonly series: readonly TimeSeries[] };
  /** Figures that rest on too few trades or days to mean much. */
  readonly smallSample: readonly SmallSampleFlag[];
  /** Gate and runtime reasons that removed a signal, most frequent first. */
  readonly removed: readonly ReasonCount[];
  /** Decisions that acted (opened or closed a trade); not removals. */
  readonly acted: readonly ReasonCount[];
  /** Set when nothing traded: why, as the top removing reasons. */
  readonly noTrades: { readonly topReasons: readonly ReasonCount[] } | null;
}

export interface TradeRow {
  readonly n: number;
  readonly symbol: string;
  readonly timeframe: string;
  readonly side: string;
  readonly entryTime: string;
  readonly exitTime: string;
  readonly entryPrice: number;
  readonly exitPrice: number;
  readonly quantity: number;
  readonly fees: number;
  readonly funding: number;
  /** Net of fees and funding. */
  readonly pnl: number;
  /** pnl / entry notional. */
  readonly return: number;
  readonly exitReason: string;
  readonly durationMinutes: number;
  /** From the opening signal; null when it did not carry the figure. */
  readonly confidence: number | null;
  readonly pWin: number | null;
  readonly expectedEdgeBps: number | null;
  readonly riskReward: number | null;
  /** pnl / (|entry − stop| × quantity). */
  readonly realisedR: number | null;
  readonly acrossGap: boolean;
}

export interface GroupRow {
  readonly key: string;
  readonly trades: number;
  readonly pnl: number;
  readonly fees: number;
  readonly avgReturn: number;
  readonly winRate: number | null;
  readonly profitFactor: number | null;
  readonly avgRealisedR: number | null;
  readonly avgDurationMinutes: number;
  /** Fewer than SMALL_SAMPLE_TRADES trades in the group. */
  readonly small: boolean;
}

export interface PeriodSeries {
  readonly name: string;
  readonly points: ReadonlyArray<{ readonly period: string; readonly ret: number }>;
}

export interface TimeSeries {
  readonly name: string;
  /** `t` in epoch ms (chart input); `v` the value. */
  readonly points: ReadonlyArray<{ readonly t: number; readonly v: number }>;
}

export interface SmallSampleFlag {
  readonly metric: keyof PerformanceMetrics;
  readonly basis: 'trades' | 'days';
  readonly count: number;
  readonly message: string;
}

export interface ReasonCount {
  readonly reason: string;
  readonly count: number;
}

/** Below this many trades a win rate, Sharpe or Calmar is mostly noise (±9 points of win rate at 30). */
export const SMALL_SAMPLE_TRADES = 30;
/** Below this many daily returns a Sharpe or Sortino is mostly noise. */
export const SMALL_SAMPLE_DAYS = 30;
const SERIES_POINTS = 600;
const DAY_MS = 86_400_000;

/** Decision outcomes that acted: counted by the strategy, but they removed nothing. */
const ACTING_REASONS = new Set(['trade_opened', 'trade_closed_max_hold', 'trade_closed_reversal']);

const DURATION_BUCKETS: ReadonlyArray<[number, string]> = [
  [15, '≤ 15 min'],
  [60, '15 min – 1 h'],
  [240, '1 – 4 h'],
  [720, '4 – 12 h'],
  [1440, '12 – 24 h'],
  [4320, '1 – 3 days'],
  [Infinity, '> 3 days'],
];

/** Buy-and-hold, the baseline forecaster, then any further references the run carries. */
export function referenceRuns(r: BacktestResult): ReferenceRun[] {
  return [
    { name: 'buy-and-hold', metrics: r.buyAndHold, curve: r.buyAndHoldCurve },
    { name: `${r.momentumLookbackDays}-day momentum`, metrics: r.momentum, curve: r.momentumCurve },
    ...(r.baseline ? [{ name: 'baseline forecaster', metrics: r.baseline, curve: null }] : []),
    ...(r.references ?? []),
  ];
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function finiteOrNull(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}

export function tradeRow(t: TradeRecord, n: number): TradeRow {
  const notional = t.entryPrice * t.quantity;
  const risk = Math.abs(t.entryPrice - t.stopLoss) * t.quantity;
  return {
    n,
    symbol: t.symbol,
    timeframe: t.timeframe,
    side: t.direction,
    entryTime: iso(t.entryTime),
    exitTime: iso(t.exitTime),
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    quantity: t.quantity,
    fees: t.fees,
    funding: t.funding,
    pnl: t.pnl,
    return: notional > 0 ? t.pnl / notional : 0,
    exitReason: t.exitReason,
    durationMinutes: (t.exitTime - t.entryTime) / 60_000,
    confidence: finiteOrNull(t.confidence),
    pWin: finiteOrNull(t.pWin),
    expectedEdgeBps: finiteOrNull(t.expectedEdgeBps),
    riskReward: finiteOrNull(t.predictedRiskReward),
    realisedR: t.stopLoss > 0 && risk > 0 ? t.pnl / risk : null,
    acrossGap: t.acrossGap === true,
  };
}

export function durationBucket(minutes: number): string {
  return DURATION_BUCKETS.find(([max]) => minutes <= max)![1];
}

function groupRows(
  trades: readonly TradeRecord[],
  rows: readonly TradeRow[],
  key: (row: TradeRow) => string,
  order?: readonly string[],
): GroupRow[] {
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const k = key(row);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  const keys = order
    ? order.filter((k) => groups.has(k))
    : [...groups.keys()].sort((a, b) => a.localeCompare(b));
  return keys.map((k) => {
    const idx = groups.get(k)!;
    const s = tradeStats(idx.map((i) => trades[i]));
    const sum = (f: (r: TradeRow) => number) => idx.reduce((a, i) => a + f(rows[i]), 0);
    return {
      key: k,
      trades: idx.length,
      pnl: sum((r) => r.pnl),
      fees: sum((r) => r.fees),
      avgReturn: sum((r) => r.return) / idx.length,
      winRate: s.winRate,
      profitFactor: s.profitFactor,
      avgRealisedR: s.avgRealisedR,
      avgDurationMinutes: sum((r) => r.durationMinutes) / idx.length,
      small: idx.length < SMALL_SAMPLE_TRADES,
    };
  });
}

/** Monday 00:00 UTC of the ISO week holding `t`, as `YYYY-MM-DD`. */
export function weekStart(t: number): string {
  const day = Math.floor(t / DAY_MS);
  const monday = day - ((new Date(day * DAY_MS).getUTCDay() + 6) % 7);
  return iso(monday * DAY_MS).slice(0, 10);
}

/** Return of each period from the last equity of the previous period (the first starts at the curve's first sample). */
export function periodReturns(
  curve: readonly EquityPoint[],
  period: (t: number) => string,
): Array<{ period: string; ret: number }> {
  const out: Array<{ period: string; ret: number }> = [];
  if (curve.length === 0) return out;
  let key = period(curve[0].t);
  let startEq = curve[0].equity;
  let last = curve[0].equity;
  for (const p of curve) {
    const k = period(p.t);
    if (k !== key) {
      out.push({ period: key, ret: startEq > 0 ? last / startEq - 1 : 0 });
      key = k;
      startEq = last;
    }
    last = p.equity;
  }
  out.push({ period: key, ret: startEq > 0 ? last / startEq - 1 : 0 });
  return out;
}

/** Keeps at most `max` evenly spaced points, always the last. */
function thin<T>(xs: readonly T[], max = SERIES_POINTS): T[] {
  if (xs.length <= max) return [...xs];
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]);
  out.push(xs[xs.length - 1]);
  return out;
}

/** A window long enough to mean something, short enough to show change: 30 days, fewer on a short run. */
export function rollingWindowDays(days: number): number {
  return Math.max(5, Math.min(30, Math.floor(days / 4)));
}

/** Annualised Sharpe of the last `window` daily returns at the end of each UTC day. */
export function rollingSharpe(
  curve: readonly EquityPoint[],
  window: number,
  riskFreeRate = 0,
): Array<{ t: number; v: number }> {
  const eq = dailyEquity(curve);
  const rets = simpleReturns(eq);
  if (curve.length === 0) return [];
  const firstDay = Math.floor(curve[0].t / DAY_MS);
  const out: Array<{ t: number; v: number }> = [];
  for (let i = window; i <= rets.length; i++) {
    const s = sharpeRatio(rets.slice(i - window, i), riskFreeRate);
    // Return i−1 ends on UTC day firstDay + i − 1 (day 0 is the first sample).
    if (s !== null) out.push({ t: (firstDay + i) * DAY_MS, v: s });
  }
  return out;
}

const TRADE_METRICS: ReadonlyArray<keyof PerformanceMetrics> = [
  'sharpe',
  'sortino',
  'calmar',
  'winRate',
  'profitFactor',
  'avgRealisedR',
  'avgPredictedRiskReward',
];

/** The strategy's figures that rest on fewer than SMALL_SAMPLE_TRADES trades or SMALL_SAMPLE_DAYS days. */
export function smallSampleFlags(m: PerformanceMetrics): SmallSampleFlag[] {
  const out: SmallSampleFlag[] = [];
  const seen = new Set<string>();
  if (m.trades < SMALL_SAMPLE_TRADES)
    for (const metric of TRADE_METRICS) {
      if (m[metric] === null) continue;
      seen.add(metric);
      out.push({
        metric,
        basis: 'trades',
        count: m.trades,
        message: `${metric} rests on ${m.trades} trade${m.trades === 1 ? '' : 's'} (fewer than ${SMALL_SAMPLE_TRADES})`,
      });
    }
  if (m.days < SMALL_SAMPLE_DAYS)
    for (const metric of ['sharpe', 'sortino', 'calmar'] as const) {
      if (m[metric] === null || seen.has(metric)) continue;
      out.push({
        metric,
        basis: 'days',
        count: Math.floor(m.days),
        message: `${metric} rests on ${Math.floor(m.days)} daily returns (fewer than ${SMALL_SAMPLE_DAYS})`,
      });
    }
  return out;
}

/** Gate counters split into removals (most frequent first) and decisions that acted. */
export function splitReasons(gate: Readonly<Record<string, number>>): {
  removed: ReasonCount[];
  acted: ReasonCount[];
} {
  const all = Object.entries(gate)
    .filter(([, v]) => v > 0)
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return {
    removed: all.filter((x) => !ACTING_REASONS.has(x.reason)),
    acted: all.filter((x) => ACTING_REASONS.has(x.reason)),
  };
}

export function tradeReview(r: BacktestResult): TradeReview {
  const rows = r.trades.map((t, i) => tradeRow(t, i + 1));
  const curves: Array<{ name: string; curve: readonly EquityPoint[] }> = [
    { name: 'strategy', curve: r.curve },
    ...referenceRuns(r).flatMap((x) => (x.curve ? [{ name: x.name, curve: x.curve }] : [])),
  ];
  const windowDays = rollingWindowDays(r.metrics.days);
  const { removed, acted } = splitReasons(r.gate);
  return {
    trades: rows,
    byExitReason: groupRows(r.trades, rows, (x) => x.exitReason),
    byDuration: groupRows(
      r.trades,
      rows,
      (x) => durationBucket(x.durationMinutes),
      DURATION_BUCKETS.map(([, k]) => k),
    ),
    bySymbol: groupRows(r.trades, rows, (x) => x.symbol),
    dailyReturns: curves.map((c) => ({
      name: c.name,
      points: periodReturns(c.curve, (t) => iso(t).slice(0, 10)),
    })),
    weeklyReturns: curves.map((c) => ({ name: c.name, points: periodReturns(c.curve, weekStart) })),
    drawdown: curves.map((c) => {
      const dd = drawdowns(c.curve).series;
      return { name: c.name, points: thin(c.curve.map((p, i) => ({ t: p.t, v: dd[i] }))) };
    }),
    rollingSharpe: {
      windowDays,
      series: curves.map((c) => ({ name: c.name, points: rollingSharpe(c.curve, windowDays) })),
    },
    smallSample: smallSampleFlags(r.metrics),
    removed,
    acted,
    noTrades: r.trades.length === 0 ? { topReasons: removed.slice(0, 5) } : null,
  };
}
