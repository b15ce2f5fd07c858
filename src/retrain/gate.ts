import type { Config } from '../config/index.ts';
import type { PerformanceMetrics } from '../backtest/index.ts';
import type { ForecastMetrics } from '../models/index.ts';
import type { GateVerdict } from './registry-schema.ts';

/** Band coverage a calibrated P10–P90 interval should reach. */
export const TARGET_COVERAGE = 0.8;

/** What the gate compares, measured on the same out-of-sample slice for candidate and active model. */
export interface GateFigures {
  readonly sharpe: number | null;
  readonly maxDrawdown: number;
  readonly winRate: number | null;
  /** null when there was no losing trade (treated as passing when there are trades). */
  readonly profitFactor: number | null;
  readonly signals: number;
  readonly bandCoverage: number;
  readonly ece: number;
}

export function gateFigures(perf: PerformanceMetrics, forecast: ForecastMetrics): GateFigures {
  return {
    sharpe: perf.sharpe,
    maxDrawdown: perf.maxDrawdown,
    winRate: perf.winRate,
    profitFactor: perf.profitFactor,
    signals: perf.trades,
    bandCoverage: forecast.bandCoverage,
    ece: forecast.ece,
  };
}

type GateConfig = Config['retrain']['gate'];

const f3 = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(3));

/**
 * The promotion rule. Absolute thresholds always apply (no active model → they are the whole
 * rule); with an active model the candidate's Sharpe must also reach minSharpeRatio × the active
 * model's (when the active Sharpe is positive; a negative one would reward a worse candidate).
 */
export function judge(
  candidate: GateFigures,
  active: GateFigures | null,
  g: GateConfig,
  at: string,
): GateVerdict {
  const reasons: string[] = [];
  const c = candidate;
  if (c.signals < g.minSignals)
    reasons.push(`signal count ${c.signals} < retrain.gate.minSignals ${g.minSignals}`);
  if (c.maxDrawdown > g.maxDrawdown)
    reasons.push(`max drawdown ${f3(c.maxDrawdown)} > retrain.gate.maxDrawdown ${g.maxDrawdown}`);
  if (c.winRate === null || c.winRate < g.minWinRate)
    reasons.push(`win rate ${f3(c.winRate)} < retrain.gate.minWinRate ${g.minWinRate}`);
  if (c.profitFactor !== null ? c.profitFactor < g.minProfitFactor : c.signals === 0)
    reasons.push(`profit factor ${f3(c.profitFactor)} < retrain.gate.minProfitFactor ${g.minProfitFactor}`);
  if (Math.abs(c.bandCoverage - TARGET_COVERAGE) > g.coverageTolerance)
    reasons.push(
      `P10–P90 coverage ${f3(c.bandCoverage)} is more than retrain.gate.coverageTolerance ${g.coverageTolerance} from ${TARGET_COVERAGE}`,
    );
  if (c.ece > g.maxEce) reasons.push(`ECE ${f3(c.ece)} > retrain.gate.maxEce ${g.maxEce}`);
  if (c.sharpe === null) reasons.push('Sharpe ratio not measurable (too few days or a flat equity curve)');
  else if (active?.sharpe != null && active.sharpe > 0 && c.sharpe < g.minSharpeRatio * active.sharpe)
    reasons.push(
      `Sharpe ${f3(c.sharpe)} < retrain.gate.minSharpeRatio ${g.minSharpeRatio} × active ${f3(active.sharpe)}`,
    );
  return {
    passed: reasons.length === 0,
    reasons,
    figures: { candidate: { ...c }, active: active === null ? null : { ...active }, thresholds: { ...g } },
    at,
  };
}
