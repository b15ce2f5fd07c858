import { fmt } from './report.ts';
import type { RunProvenance } from './provenance.ts';
import type { GridAxis } from './sweep-grid.ts';
import type { SweepResult, SweepRow } from './sweep.ts';

const iso = (t: number): string => new Date(t).toISOString();
const day = (t: number): string => (Number.isFinite(t) ? iso(t).slice(0, 10) : String(t));

/** The columns of the sweep table: [header, cell]. */
const COLUMNS: Array<[string, (r: SweepRow) => string]> = [
  ['#', (r) => String(r.index + 1)],
  ['combination', (r) => r.label],
  ['trades', (r) => fmt(r.metrics.trades, 'int')],
  ['return', (r) => fmt(r.metrics.totalReturn, 'pct')],
  ['Sharpe', (r) => fmt(r.metrics.sharpe)],
  ['max DD', (r) => fmt(r.metrics.maxDrawdown, 'pct')],
  ['win rate', (r) => fmt(r.metrics.winRate, 'pct')],
  ['PF', (r) => fmt(r.metrics.profitFactor)],
  ['IS Sharpe', (r) => fmt(r.inSample.metrics.sharpe)],
  ['OS Sharpe', (r) => fmt(r.outOfSample.metrics.sharpe)],
  ['OS return', (r) => fmt(r.outOfSample.metrics.totalReturn, 'pct')],
  ['B&H return', (r) => fmt(r.buyAndHold.totalReturn, 'pct')],
];

/** What the sweep found and how far to trust it, as lines of text. */
export function sweepSummaryLines(s: SweepResult): string[] {
  const lines: string[] = [];
  lines.push(
    `in-sample ${day(s.from)} → ${day(s.split)}, out-of-sample ${day(s.split)} → ${day(s.to)}${s.walkForward ? ' (split at a walk-forward window boundary)' : ''}`,
  );
  if (s.chosen) {
    const r = s.rows[s.chosen.index];
    lines.push(
      `chosen: #${r.index + 1} ${r.label} by the ${s.chosen.rule} (IS Sharpe ${fmt(r.inSample.metrics.sharpe)}, return ${fmt(r.inSample.metrics.totalReturn, 'pct')}, ${r.inSample.metrics.trades} trades)`,
    );
    lines.push(
      `  its out-of-sample half: Sharpe ${fmt(r.outOfSample.metrics.sharpe)}, return ${fmt(r.outOfSample.metrics.totalReturn, 'pct')}, max DD ${fmt(r.outOfSample.metrics.maxDrawdown, 'pct')}, ${r.outOfSample.metrics.trades} trades; buy-and-hold ${fmt(r.outOfSample.buyAndHold.totalReturn, 'pct')}`,
    );
  } else lines.push('chosen: none (no combination has an in-sample Sharpe)');
  const d = s.deflatedSharpe;
  const best = s.rows[d.best];
  lines.push(
    `deflated Sharpe of the best full-period combination #${d.best + 1} ${best.label}: DSR ${fmt(d.dsr)} (per-day Sharpe ${fmt(d.sharpe)} vs ${fmt(d.expectedMaxSharpe)} expected from the best of ${d.trials} noise trials; ${d.periods} days, skew ${fmt(d.skewness)}, kurtosis ${fmt(d.kurtosis)}); ${d.dsr !== null && d.dsr >= 0.95 ? 'significant at 95 %' : 'NOT significant at 95 %'}`,
  );
  lines.push(
    s.pbo
      ? `probability of backtest overfitting (CSCV, ${s.pbo.blocks} blocks, ${s.pbo.splits} splits, ${s.pbo.periods} days): PBO ${fmt(s.pbo.pbo, 'pct')}${s.pbo.pbo >= 0.5 ? ' — the in-sample best is no better than a coin flip out of sample' : ''}`
      : 'probability of backtest overfitting: not computed (see the warnings)',
  );
  lines.push(
    `forecasts computed: ${s.forecasts.modelCalls} (by the first combination; ${s.forecasts.afterFirst} after it); the config was not changed`,
  );
  return lines;
}

/** A markdown table of every combination, then the summary. */
export function sweepMarkdown(s: SweepResult): string {
  const head = `| ${COLUMNS.map(([h]) => h).join(' | ')} |`;
  const rule = `|${COLUMNS.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`;
  const body = s.rows.map((r) => `| ${COLUMNS.map(([, f]) => f(r)).join(' | ')} |`);
  return [head, rule, ...body, '', ...sweepSummaryLines(s), ...s.warnings.map((w) => `warning: ${w}`)].join(
    '\n',
  );
}

/** `sweep --json`: every combination's metrics, the choice and the statistics (fractions 0–1). */
export function sweepJson(
  s: SweepResult,
  axes: readonly GridAxis[],
  provenance: RunProvenance | null,
): Record<string, unknown> {
  return {
    from: iso(s.from),
    to: iso(s.to),
    split: iso(s.split),
    walkForward: s.walkForward,
    grid: axes,
    combinations: s.rows,
    chosen: s.chosen,
    deflatedSharpe: s.deflatedSharpe,
    pbo: s.pbo,
    forecasts: s.forecasts,
    warnings: s.warnings,
    provenance,
    seconds: s.seconds,
  };
}

function esc(t: string): string {
  return t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** A self-contained HTML page: the table (chosen row marked) and the summary. */
export function sweepHtml(s: SweepResult): string {
  const head = COLUMNS.map(([h]) => `<th>${esc(h)}</th>`).join('');
  const body = s.rows
    .map(
      (r) =>
        `<tr${s.chosen?.index === r.index ? ' class="chosen"' : ''}>${COLUMNS.map(([, f]) => `<td>${esc(f(r))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const notes = [...sweepSummaryLines(s), ...s.warnings.map((w) => `warning: ${w}`)]
    .map((l) => `<li>${esc(l)}</li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>quantgate sweep ${esc(day(s.from))} → ${esc(day(s.to))}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:right}td:nth-child(2),th:nth-child(2){text-align:left}tr.chosen{background:#fff3c4}</style>
</head><body>
<h1>quantgate sweep</h1>
<p>${s.rows.length} combinations, all served the same forecasts; the chosen one (highlighted) was picked on the in-sample half only.</p>
<table><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>
<ul>
${notes}
</ul>
</body></html>
`;
}
