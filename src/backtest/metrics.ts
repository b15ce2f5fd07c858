import type { EquityPoint, PerformanceMetrics, TradeRecord } from './types.ts';

const DAY_MS = 86_400_000;

/** Equity at the end of each UTC day (last sample of the day), the first sample prepended as day 0. */
export function dailyEquity(curve: readonly EquityPoint[]): number[] {
  if (curve.length === 0) return [];
  const out = [curve[0].equity];
  let day = Math.floor(curve[0].t / DAY_MS);
  let last = curve[0].equity;
  for (const p of curve) {
    const d = Math.floor(p.t / DAY_MS);
    if (d !== day) {
      out.push(last);
      day = d;
    }
    last = p.equity;
  }
  out.push(last);
  return out;
}

export function simpleReturns(values: readonly number[]): number[] {
  const r: number[] = [];
  for (let i = 1; i < values.length; i++) r.push(values[i - 1] > 0 ? values[i] / values[i - 1] - 1 : 0);
  return r;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Annualised Sharpe of daily returns (√365: crypto trades every day), excess of rf/365; null below 2 days or zero variance. */
export function sharpeRatio(daily: readonly number[], riskFreeRate: number): number | null {
  if (daily.length < 2) return null;
  const ex = daily.map((r) => r - riskFreeRate / 365);
  const m = mean(ex);
  const sd = Math.sqrt(ex.reduce((a, r) => a + (r - m) ** 2, 0) / (ex.length - 1));
  return sd > 0 ? (m / sd) * Math.sqrt(365) : null;
}

/** Like Sharpe with the downside deviation (root mean square of negative excess returns) as denominator. */
export function sortinoRatio(daily: readonly number[], riskFreeRate: number): number | null {
  if (daily.length < 2) return null;
  const ex = daily.map((r) => r - riskFreeRate / 365);
  const dd = Math.sqrt(ex.reduce((a, r) => a + Math.min(0, r) ** 2, 0) / ex.length);
  return dd > 0 ? (mean(ex) / dd) * Math.sqrt(365) : null;
}

export interface DrawdownStats {
  readonly maxDrawdown: number;
  readonly maxDrawdownDays: number;
  /** Drawdown (0–1) at each sample, for the report. */
  readonly series: number[];
}

export function drawdowns(curve: readonly EquityPoint[]): DrawdownStats {
  let peak = -Infinity;
  let peakT = curve.length > 0 ? curve[0].t : 0;
  let maxDd = 0;
  let maxDur = 0;
  const series: number[] = [];
  for (const p of curve) {
    if (p.equity >= peak) {
      peak = p.equity;
      peakT = p.t;
    }
    const dd = peak > 0 ? 1 - p.equity / peak : 0;
    series.push(dd);
    if (dd > maxDd) maxDd = dd;
    if (dd > 0) maxDur = Math.max(maxDur, p.t - peakT);
  }
  return { maxDrawdown: maxDd, maxDrawdownDays: maxDur / DAY_MS, series };
}

export interface TradeStats {
  readonly winRate: number | null;
  readonly profitFactor: number | null;
  readonly avgRealisedR: number | null;
  readonly avgPredictedRiskReward: number | null;
}

export function tradeStats(trades: readonly TradeRecord[]): TradeStats {
  if (trades.length === 0)
    return { winRate: null, profitFactor: null, avgRealisedR: null, avgPredictedRiskReward: null };
  let wins = 0;
  let gp = 0;
  let gl = 0;
  const rs: number[] = [];
  for (const t of trades) {
    if (t.pnl > 0) wins++;
    if (t.pnl > 0) gp += t.pnl;
    else gl -= t.pnl;
    const risk = Math.abs(t.entryPrice - t.stopLoss) * t.quantity;
    if (risk > 0) rs.push(t.pnl / risk);
  }
  const pred = trades.map((t) => t.predictedRiskReward).filter((x) => Number.isFinite(x));
  return {
    winRate: wins / trades.length,
    profitFactor: gl > 0 ? gp / gl : null,
    avgRealisedR: rs.length > 0 ? mean(rs) : null,
    avgPredictedRiskReward: pred.length > 0 ? mean(pred) : null,
  };
}

export interface MetricsInput {
  readonly curve: readonly EquityPoint[];
  readonly trades: readonly TradeRecord[];
  readonly fees: number;
  readonly funding: number;
  readonly riskFreeRate: number;
}

export function performanceMetrics(input: MetricsInput): PerformanceMetrics {
  const { curve, trades } = input;
  const start = curve.length > 0 ? curve[0].equity : 0;
  const end = curve.length > 0 ? curve[curve.length - 1].equity : 0;
  const days = curve.length > 1 ? (curve[curve.length - 1].t - curve[0].t) / DAY_MS : 0;
  const totalReturn = start > 0 ? end / start - 1 : 0;
  const annualisedReturn = days > 0 && end > 0 ? (end / start) ** (365 / days) - 1 : totalReturn;
  const daily = simpleReturns(dailyEquity(curve));
  const dd = drawdowns(curve);
  const exposed = curve.filter((p) => p.exposure > 0).length;
  return {
    startEquity: start,
    endEquity: end,
    totalReturn,
    annualisedReturn,
    sharpe: sharpeRatio(daily, input.riskFreeRate),
    sortino: sortinoRatio(daily, input.riskFreeRate),
    maxDrawdown: dd.maxDrawdown,
    maxDrawdownDays: dd.maxDrawdownDays,
    calmar: dd.maxDrawdown > 0 ? annualisedReturn / dd.maxDrawdown : null,
    ...tradeStats(trades),
    trades: trades.length,
    exposure: curve.length > 0 ? exposed / curve.length : 0,
    fees: input.fees,
    funding: input.funding,
    days,
  };
}

/** Monthly returns (UTC calendar months) of an equity curve, for the report. */
export function monthlyReturns(curve: readonly EquityPoint[]): Array<{ month: string; ret: number }> {
  const out: Array<{ month: string; ret: number }> = [];
  if (curve.length === 0) return out;
  let key = new Date(curve[0].t).toISOString().slice(0, 7);
  let startEq = curve[0].equity;
  let last = curve[0].equity;
  for (const p of curve) {
    const k = new Date(p.t).toISOString().slice(0, 7);
    if (k !== key) {
      out.push({ month: key, ret: startEq > 0 ? last / startEq - 1 : 0 });
      key = k;
      startEq = last;
    }
    last = p.equity;
  }
  out.push({ month: key, ret: startEq > 0 ? last / startEq - 1 : 0 });
  return out;
}
