import { fmt, metricColumns } from './report.ts';
import { tradeReview } from './review.ts';
import type { TradeReview } from './review.ts';
import type { BacktestResult, PerformanceMetrics } from './types.ts';

/**
 * The machine-readable summary printed by `backtest --json` (fractions 0–1; raw series left out).
 * `review` is the object the HTML report renders: trade list, breakdowns, period returns,
 * drawdowns, rolling Sharpe, small-sample flags.
 */
export function resultJson(r: BacktestResult, review: TradeReview = tradeReview(r)): Record<string, unknown> {
  return {
    exchange: r.exchange,
    symbols: r.symbols,
    from: new Date(r.from).toISOString(),
    to: new Date(r.to).toISOString(),
    walkForward: r.walkForward,
    metrics: r.metrics,
    buyAndHold: r.buyAndHold,
    baseline: r.baseline,
    momentum: { lookbackDays: r.momentumLookbackDays, ...r.momentum },
    edgeLedger: r.edgeLedger,
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
    stages: r.stages ?? null,
    references: (r.references ?? []).map((x) => ({ name: x.name, metrics: x.metrics })),
    review,
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

const FLAG = '⚠';

/**
 * A markdown table: the strategy, then each reference run. Figures resting on few trades are
 * flagged; with no trade at all, the table says so and names the top reasons instead.
 */
export function metricsMarkdown(r: BacktestResult, review: TradeReview = tradeReview(r)): string {
  const cols = metricColumns(r);
  const flagged = new Set(review.smallSample.map((f) => f.metric));
  const lines = [
    `| metric | ${cols.map(([n]) => n).join(' | ')} |`,
    `|---|${cols.map(() => '---:').join('|')}|`,
  ];
  for (const [k, label, kind] of ROWS)
    lines.push(
      `| ${label} | ${cols.map(([, m], i) => `${fmt(m[k] as number | null, kind)}${i === 0 && flagged.has(k) ? ` ${FLAG}` : ''}`).join(' | ')} |`,
    );
  if (review.smallSample.length > 0)
    lines.push('', `${FLAG} small sample: ${review.smallSample.map((f) => f.message).join('; ')}`);
  if (review.noTrades) {
    const top = review.noTrades.topReasons;
    lines.push(
      '',
      top.length > 0
        ? `no trades: top reasons ${top.map((x) => `${x.reason} ${x.count.toLocaleString('en')}`).join(' · ')}`
        : 'no trades: the strategy produced no signal',
    );
  } else if (review.byExitReason.length > 0)
    lines.push(
      '',
      `exits: ${review.byExitReason.map((g) => `${g.key} ${g.trades} (win ${fmt(g.winRate, 'pct')})`).join(' · ')}`,
    );
  return lines.join('\n');
}
