import { fmt } from './report.ts';
import type { BacktestResult, PerformanceMetrics } from './types.ts';

/** The machine-readable summary printed by `backtest --json` (fractions 0–1; series left out). */
export function resultJson(r: BacktestResult): Record<string, unknown> {
  return {
    exchange: r.exchange,
    symbols: r.symbols,
    from: new Date(r.from).toISOString(),
    to: new Date(r.to).toISOString(),
    walkForward: r.walkForward,
    metrics: r.metrics,
    buyAndHold: r.buyAndHold,
    baseline: r.baseline,
    perSymbol: r.perSymbol,
    perTimeframe: r.perTimeframe,
    gate: r.gate,
    modelVersions: r.modelVersions,
    calibration: r.calibration.map((c) => ({ ...c, reliability: c.reliability.filter((b) => b.count > 0) })),
    windows: r.windows.map((w) => ({
      train: [new Date(w.trainFrom).toISOString(), new Date(w.trainTo).toISOString()],
      test: [new Date(w.testFrom).toISOString(), new Date(w.testTo).toISOString()],
      modelVersions: w.modelVersions,
      metrics: w.metrics,
      gate: w.gate,
      forecasts: w.forecasts,
    })),
    gaps: r.gaps.map((g) => ({
      ...g,
      after: new Date(g.after).toISOString(),
      before: new Date(g.before).toISOString(),
    })),
    warnings: r.warnings,
    data: r.data.map((d) => ({ ...d, first: isoOrNull(d.first), last: isoOrNull(d.last) })),
    provenance: r.provenance ?? null,
    candles: r.candles,
    seconds: r.seconds,
    candlesPerSecond: r.candlesPerSecond,
    replaySeconds: r.replaySeconds,
  };
}

function isoOrNull(t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}

const ROWS: Array<[keyof PerformanceMetrics, string, 'pct' | 'num' | 'int']> = [
  ['totalReturn', 'total return', 'pct'],
  ['annualisedReturn', 'annualised return', 'pct'],
  ['sharpe', 'Sharpe (daily, √365)', 'num'],
  ['sortino', 'Sortino (daily, √365)', 'num'],
  ['maxDrawdown', 'max drawdown', 'pct'],
  ['maxDrawdownDays', 'max DD duration (days)', 'num'],
  ['calmar', 'Calmar', 'num'],
  ['winRate', 'win rate', 'pct'],
  ['profitFactor', 'profit factor', 'num'],
  ['avgRealisedR', 'avg realised R', 'num'],
  ['avgPredictedRiskReward', 'avg predicted R/R', 'num'],
  ['trades', 'trades', 'int'],
  ['exposure', 'exposure', 'pct'],
  ['fees', 'fees paid', 'num'],
  ['funding', 'funding paid', 'num'],
];

/** A markdown table: strategy vs buy-and-hold vs baseline forecaster. */
export function metricsMarkdown(r: BacktestResult): string {
  const cols: Array<PerformanceMetrics | null> = [r.metrics, r.buyAndHold, r.baseline];
  const lines = ['| metric | strategy | buy-and-hold | baseline |', '|---|---:|---:|---:|'];
  for (const [k, label, kind] of ROWS)
    lines.push(`| ${label} | ${cols.map((m) => (m ? fmt(m[k] as number | null, kind) : '–')).join(' | ')} |`);
  return lines.join('\n');
}
