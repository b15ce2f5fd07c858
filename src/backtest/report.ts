import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { CLASS_ORDER } from '../models/metrics.ts';
import { monthlyReturns } from './metrics.ts';
import { priceChartHtml } from './price-chart.ts';
import { referenceRuns, SMALL_SAMPLE_TRADES, smallSampleFlags, tradeReview } from './review.ts';
import type { GroupRow, SmallSampleFlag, TradeReview, TradeRow } from './review.ts';
import type { BacktestResult, EquityPoint, PerformanceMetrics } from './types.ts';

/**
 * One self-contained HTML file: the static charts are compiled from vega-lite and rendered to
 * inline SVG here in Node; the price chart is lightweight-charts, inlined. Nothing is fetched, so
 * the report opens offline from file://.
 */

const MAX_POINTS = 1500;

/** Keeps at most `max` evenly spaced points (always the last) so the SVG stays small. */
export function downsample<T>(xs: readonly T[], max = MAX_POINTS): T[] {
  if (xs.length <= max) return [...xs];
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]);
  out.push(xs[xs.length - 1]);
  return out;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const W = 1000;

type Row = Record<string, unknown>;

/** A dated UTC time axis: days on a run longer than three days, day and hour on a shorter one. */
export function timeAxis(spanMs: number): Record<string, unknown> {
  return {
    field: 't',
    type: 'temporal',
    title: null,
    scale: { type: 'utc' },
    axis: { format: spanMs > 3 * 86_400_000 ? '%Y-%m-%d' : '%m-%d %H:%M', tickCount: 8, labelOverlap: true },
  };
}

function span(r: BacktestResult): number {
  return Math.max(0, r.to - r.from);
}

function curveRows(curve: readonly EquityPoint[], series: string): Row[] {
  return downsample(curve).map((p) => ({ t: p.t, v: p.equity, series }));
}

function lineSpec(
  r: BacktestResult,
  title: string,
  rows: Row[],
  y: Record<string, unknown>,
  height = 220,
): TopLevelSpec {
  return {
    width: W,
    height,
    title,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.2 },
    encoding: {
      x: timeAxis(span(r)),
      y: { field: 'v', type: 'quantitative', ...y },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as TopLevelSpec;
}

function equitySpec(r: BacktestResult): TopLevelSpec {
  const refs = referenceRuns(r).flatMap((x) => (x.curve ? curveRows(x.curve, x.name) : []));
  return lineSpec(r, 'Equity: strategy vs references', [...curveRows(r.curve, 'strategy'), ...refs], {
    title: 'equity',
    scale: { zero: false },
  });
}

function drawdownSpec(r: BacktestResult, review: TradeReview): TopLevelSpec {
  const rows = review.drawdown.flatMap((s) => s.points.map((p) => ({ t: p.t, v: -p.v, series: s.name })));
  return lineSpec(
    r,
    'Drawdown from the previous peak: strategy vs buy-and-hold',
    rows,
    {
      title: 'drawdown',
      axis: { format: '.1%' },
    },
    160,
  );
}

function rollingSharpeSpec(r: BacktestResult, review: TradeReview): TopLevelSpec {
  const rows = review.rollingSharpe.series.flatMap((s) =>
    s.points.map((p) => ({ t: p.t, v: p.v, series: s.name })),
  );
  return lineSpec(
    r,
    `Rolling Sharpe (${review.rollingSharpe.windowDays} daily returns, √365)`,
    rows,
    {
      title: 'Sharpe',
    },
    160,
  );
}

function periodBarsSpec(title: string, series: TradeReview['dailyReturns'], height = 180): TopLevelSpec {
  const rows = series.flatMap((s) => s.points.map((p) => ({ ...p, series: s.name })));
  return {
    width: W,
    height,
    title,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'period', type: 'ordinal', title: null, axis: { labelOverlap: true } },
      xOffset: { field: 'series' },
      y: { field: 'ret', type: 'quantitative', axis: { format: '.1%' }, title: 'return' },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

function monthlySpec(r: BacktestResult): TopLevelSpec {
  const series = [
    { name: 'strategy', points: monthlyReturns(r.curve).map((m) => ({ period: m.month, ret: m.ret })) },
    ...referenceRuns(r).flatMap((x) =>
      x.curve
        ? [{ name: x.name, points: monthlyReturns(x.curve).map((m) => ({ period: m.month, ret: m.ret })) }]
        : [],
    ),
  ];
  return periodBarsSpec('Monthly returns', series);
}

function reliabilitySpec(r: BacktestResult): TopLevelSpec {
  const rows = r.calibration.flatMap((c) =>
    c.reliability.filter((b) => b.count > 0).map((b) => ({ ...b, timeframe: c.timeframe })),
  );
  return {
    width: 500,
    height: 300,
    title: 'Reliability of the class probabilities (max-probability bins)',
    layer: [
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 'meanConfidence',
            type: 'quantitative',
            title: 'predicted probability',
            scale: { domain: [0, 1] },
          },
          y: {
            field: 'accuracy',
            type: 'quantitative',
            title: 'observed frequency',
            scale: { domain: [0, 1] },
          },
          color: { field: 'timeframe', type: 'nominal' },
        },
      },
    ],
  };
}

function exceedanceSpec(r: BacktestResult): TopLevelSpec {
  const rows = r.calibration.flatMap((c) =>
    (['q10', 'q50', 'q90'] as const).map((q) => ({
      timeframe: c.timeframe,
      quantile: q,
      rate: c.exceedance[q],
      target: c.target[q],
    })),
  );
  return {
    width: 500,
    height: 300,
    title: 'Quantile exceedance (bars) vs target (ticks)',
    data: { values: rows },
    layer: [
      {
        mark: 'bar',
        encoding: {
          x: { field: 'quantile', type: 'nominal', title: null },
          xOffset: { field: 'timeframe' },
          y: { field: 'rate', type: 'quantitative', axis: { format: '%' }, title: 'rate' },
          color: { field: 'timeframe', type: 'nominal' },
        },
      },
      {
        mark: { type: 'tick', color: 'black', thickness: 2 },
        encoding: {
          x: { field: 'quantile', type: 'nominal' },
          xOffset: { field: 'timeframe' },
          y: { field: 'target', type: 'quantitative' },
        },
      },
    ],
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function fmt(v: number | null | undefined, kind: 'pct' | 'num' | 'int' = 'num'): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (kind === 'pct') return `${(v * 100).toFixed(2)} %`;
  if (kind === 'int') return String(Math.round(v));
  return v.toFixed(3);
}

const METRIC_ROWS: Array<[keyof PerformanceMetrics, string, 'pct' | 'num' | 'int']> = [
  ['totalReturn', 'Total return', 'pct'],
  ['annualisedReturn', 'Annualised return', 'pct'],
  ['sharpe', 'Sharpe (daily, √365)', 'num'],
  ['sortino', 'Sortino (daily, √365)', 'num'],
  ['maxDrawdown', 'Max drawdown', 'pct'],
  ['maxDrawdownDays', 'Max drawdown duration (days)', 'num'],
  ['calmar', 'Calmar', 'num'],
  ['winRate', 'Win rate', 'pct'],
  ['profitFactor', 'Profit factor', 'num'],
  ['avgRealisedR', 'Avg realised R', 'num'],
  ['avgPredictedRiskReward', 'Avg predicted R/R', 'num'],
  ['trades', 'Trades', 'int'],
  ['exposure', 'Exposure', 'pct'],
  ['fees', 'Fees paid', 'num'],
  ['funding', 'Funding paid', 'num'],
];

/** Predicted P(win) and edge at entry against what the trades did, per P(win) bucket. */
export function edgeLedgerHtml(l: BacktestResult['edgeLedger']): string {
  if (l.trades === 0)
    return '<h2>Edge ledger</h2><p class="note">No trade of the expected-value gate: nothing to compare.</p>';
  const bps = (x: number | null) => (x === null ? '–' : `${x.toFixed(1)}`);
  const rows = l.buckets
    .map(
      (b) =>
        `<tr><td>${b.lo.toFixed(1)}–${b.hi.toFixed(1)}</td><td>${b.count}</td><td>${fmt(b.meanPWin, 'pct')}</td><td>${fmt(b.realisedWinRate, 'pct')}</td><td>${bps(b.meanExpectedEdgeBps)}</td><td>${bps(b.meanRealisedBps)}</td></tr>`,
    )
    .join('\n');
  const few =
    l.trades < 30 ? `<p class="note">Only ${l.trades} trades: these rates are noise-dominated.</p>` : '';
  return `<h2>Edge ledger</h2><p class="note">Each trade's P(win) and expected net return at entry against its outcome (win = exit at the take-profit; return after fees and funding). All ${l.trades} trades: predicted P(win) ${fmt(l.meanPWin, 'pct')}, realised ${fmt(l.realisedWinRate, 'pct')} (z ${l.winZ === null ? '–' : l.winZ.toFixed(2)}); expected ${bps(l.meanExpectedEdgeBps)} bps, realised ${bps(l.meanRealisedBps)} bps.</p>${few}<table><tr><th>P(win)</th><th>trades</th><th>mean P(win)</th><th>realised win rate</th><th>expected bps</th><th>realised bps</th></tr>${rows}</table>`;
}

/** The strategy's column, then one column per reference run (buy-and-hold, baseline, …). */
export function metricColumns(r: BacktestResult): Array<[string, PerformanceMetrics]> {
  return [
    ['strategy', r.metrics],
    ...referenceRuns(r).map((x): [string, PerformanceMetrics] => [x.name, x.metrics]),
  ];
}

const FLAG = '⚠';

export function metricsTableHtml(
  r: BacktestResult,
  flags: readonly SmallSampleFlag[] = smallSampleFlags(r.metrics),
): string {
  const cols = metricColumns(r);
  const flagged = new Map(flags.map((f) => [f.metric, f.message]));
  const head = `<tr><th>metric</th>${cols.map(([n]) => `<th>${esc(n)}</th>`).join('')}</tr>`;
  const body = METRIC_ROWS.map(([k, label, kind]) => {
    const cells = cols.map(([, m], i) => {
      const v = fmt(m[k] as number | null, kind);
      const why = i === 0 ? flagged.get(k) : undefined;
      return why ? `<td class="small" title="${esc(why)}">${v} ${FLAG}</td>` : `<td>${v}</td>`;
    });
    return `<tr><td>${label}</td>${cells.join('')}</tr>`;
  }).join('\n');
  const note =
    flags.length > 0
      ? `<p class="note small-note">${FLAG} small sample: ${flags.map((f) => esc(f.message)).join('; ')}. Read these as anecdotes, not estimates.</p>`
      : '';
  return `<table id="metrics">${head}\n${body}</table>${note}`;
}

function minutes(m: number): string {
  if (m < 120) return `${Math.round(m)} min`;
  if (m < 2880) return `${(m / 60).toFixed(1)} h`;
  return `${(m / 1440).toFixed(1)} d`;
}

function groupTable(title: string, id: string, rows: readonly GroupRow[]): string {
  const body = rows
    .map(
      (g) =>
        `<tr${g.small ? ' class="small"' : ''}><td>${esc(g.key)}</td><td>${g.trades}${g.small ? ` ${FLAG}` : ''}</td><td>${fmt(g.pnl)}</td><td>${fmt(g.avgReturn, 'pct')}</td><td>${fmt(g.fees)}</td><td>${fmt(g.winRate, 'pct')}</td><td>${fmt(g.profitFactor)}</td><td>${fmt(g.avgRealisedR)}</td><td>${minutes(g.avgDurationMinutes)}</td></tr>`,
    )
    .join('\n');
  return `<div><h3>${title}</h3><table id="${id}"><tr><th></th><th>trades</th><th>P&amp;L</th><th>avg return</th><th>fees</th><th>win rate</th><th>profit factor</th><th>avg R</th><th>avg duration</th></tr>${body}</table></div>`;
}

/** The trade list shown in the page; the CSV and JSON hold every trade. */
export const MAX_LISTED_TRADES = 2000;

function tradeListHtml(rows: readonly TradeRow[]): string {
  const shown = rows.slice(0, MAX_LISTED_TRADES);
  const num = (v: number | null, d = 3) => (v === null ? '–' : v.toFixed(d));
  const body = shown
    .map(
      (t) =>
        `<tr class="${t.pnl >= 0 ? 'win' : 'loss'}"><td>${t.n}</td><td>${esc(t.symbol)}</td><td>${t.side}</td><td>${isoDay(Date.parse(t.entryTime))}</td><td>${isoDay(Date.parse(t.exitTime))}</td><td>${minutes(t.durationMinutes)}</td><td>${price(t.entryPrice)}</td><td>${price(t.exitPrice)}</td><td>${t.quantity.toPrecision(6)}</td><td>${fmt(t.fees)}</td><td>${fmt(t.pnl)}</td><td>${fmt(t.return, 'pct')}</td><td>${esc(t.exitReason)}${t.acrossGap ? ' (gap)' : ''}</td><td>${fmt(t.pWin ?? t.confidence, 'pct')}</td><td>${t.expectedEdgeBps === null ? '–' : t.expectedEdgeBps.toFixed(1)}</td><td>${num(t.riskReward, 2)}</td><td>${num(t.realisedR, 2)}</td></tr>`,
    )
    .join('\n');
  const more =
    rows.length > shown.length
      ? `<p class="note">The first ${shown.length.toLocaleString('en')} of ${rows.length.toLocaleString('en')} trades; <code>--trades FILE.csv</code> and <code>--json</code> hold all of them.</p>`
      : '';
  return `<div class="scroll"><table id="trades"><tr><th>#</th><th>symbol</th><th>side</th><th>entry (UTC)</th><th>exit (UTC)</th><th>held</th><th>entry price</th><th>exit price</th><th>size</th><th>fees</th><th>P&amp;L</th><th>return</th><th>exit reason</th><th>P(win) / conf.</th><th>edge (bps)</th><th>R/R at entry</th><th>realised R</th></tr>${body}</table></div>${more}`;
}

function price(v: number): string {
  return v >= 1000 ? v.toFixed(2) : v.toPrecision(6);
}

function noTradesHtml(review: TradeReview): string {
  if (!review.noTrades) return '';
  const top = review.noTrades.topReasons;
  return `<div class="banner" id="no-trades"><strong>No trades in this period.</strong> ${
    top.length > 0
      ? `The signals were removed by: ${top.map((x) => `<code>${esc(x.reason)}</code> ${x.count.toLocaleString('en')}`).join(' · ')}.`
      : 'The strategy produced no signal at all.'
  } See the gate table below; the calibration section says whether the confidence threshold was reachable.</div>`;
}

function weeklyTable(review: TradeReview): string {
  const names = review.weeklyReturns.map((s) => s.name);
  const periods = review.weeklyReturns[0]?.points.map((p) => p.period) ?? [];
  const byName = review.weeklyReturns.map((s) => new Map(s.points.map((p) => [p.period, p.ret])));
  const rows = periods
    .map((w) => `<tr><td>${w}</td>${byName.map((m) => `<td>${fmt(m.get(w), 'pct')}</td>`).join('')}</tr>`)
    .join('');
  return `<table id="weekly"><tr><th>week from (Mon, UTC)</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>${rows}</table>`;
}

/** The three most frequent gate outcomes of a window, e.g. "low_confidence 3,212 · short_not_allowed 2,801". */
function topReasons(gate: Readonly<Record<string, number>>): string {
  return Object.entries(gate)
    .filter(([, v]) => v > 0)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 3)
    .map(([k, v]) => `${k} ${v.toLocaleString('en')}`)
    .join(' · ');
}

function isoDay(t: number): string {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * The report: tables and SVG charts rendered here in Node, plus the interactive price chart
 * (lightweight-charts, inlined). `review` is the same object `backtest --json` prints.
 */
export async function renderReportHtml(
  r: BacktestResult,
  review: TradeReview = tradeReview(r),
): Promise<string> {
  const traded = r.trades.length > 0;
  const specs: TopLevelSpec[] = [
    equitySpec(r),
    drawdownSpec(r, review),
    rollingSharpeSpec(r, review),
    periodBarsSpec('Daily returns (UTC days)', review.dailyReturns, 160),
    periodBarsSpec('Weekly returns (ISO weeks from Monday, UTC)', review.weeklyReturns, 160),
    monthlySpec(r),
  ];
  const svgs = await Promise.all(specs.map(renderSvg));
  const calib =
    r.calibration.length > 0 ? await Promise.all([reliabilitySpec(r), exceedanceSpec(r)].map(renderSvg)) : [];
  const gate = review.removed.map((x) => `<tr><td>${esc(x.reason)}</td><td>${x.count}</td></tr>`).join('');
  const acted = review.acted.map((x) => `<tr><td>${esc(x.reason)}</td><td>${x.count}</td></tr>`).join('');
  const calibRows = r.calibration
    .map(
      (c) =>
        `<tr><td>${c.timeframe}</td><td>${c.samples}</td><td>${fmt(c.exceedance.q10, 'pct')}</td><td>${fmt(c.exceedance.q50, 'pct')}</td><td>${fmt(c.exceedance.q90, 'pct')}</td><td>${fmt(c.bandCoverage, 'pct')}</td><td>${fmt(c.ece)}</td></tr>`,
    )
    .join('');
  const classRows = r.calibration
    .map(
      (c) =>
        `<tr><td>${c.timeframe}</td>${CLASS_ORDER.map((k) => `<td>${fmt(c.classes[k].meanProbability, 'pct')} / ${fmt(c.classes[k].frequency, 'pct')}</td><td>${fmt(c.classes[k].maxProbability, 'pct')}</td>`).join('')}</tr>`,
    )
    .join('');
  const windows = r.windows
    .map(
      (w) =>
        `<tr><td>${isoDay(w.trainFrom)} → ${isoDay(w.trainTo)}</td><td>${isoDay(w.testFrom)} → ${isoDay(w.testTo)}</td><td>${fmt(w.metrics.totalReturn, 'pct')}</td><td>${fmt(w.metrics.sharpe)}</td><td>${fmt(w.metrics.maxDrawdown, 'pct')}</td><td>${w.metrics.trades}</td><td>${fmt(w.forecasts.maxBuy, 'pct')}</td><td>${esc(topReasons(w.gate))}</td><td>${esc(Object.values(w.modelVersions).join(', '))}</td></tr>`,
    )
    .join('\n');
  const gaps = r.gaps
    .map(
      (g) =>
        `<tr><td>${esc(g.symbol)}</td><td>${g.timeframe}</td><td>${isoDay(g.after)}</td><td>${isoDay(g.before)}</td><td>${g.missing}</td></tr>`,
    )
    .join('\n');
  const warnings = r.warnings.map((w) => `<li>${esc(w)}</li>`).join('');
  const dataRows = r.data
    .map(
      (d) =>
        `<tr><td>${esc(d.symbol)}</td><td>${d.timeframe}</td><td>${d.candles}</td><td>${d.first === null ? '–' : isoDay(d.first)}</td><td>${d.last === null ? '–' : isoDay(d.last)}</td><td><code>${d.sha256}</code></td></tr>`,
    )
    .join('\n');
  const p = r.provenance;
  const runRows = p
    ? [
        ['quantgate', p.quantgate],
        ['commit', p.commit ?? 'not a git checkout'],
        ['node', p.node],
        ['config file', p.configFile ?? 'config/default.yaml'],
        ['config SHA-256', p.configSha256],
        ...Object.entries(r.modelVersions).map(([tf, v]) => [`${tf} model`, v]),
      ]
        .map(([k, v]) => `<tr><td>${esc(k)}</td><td><code>${esc(v)}</code></td></tr>`)
        .join('')
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>quantgate backtest ${esc(r.symbols.join(', '))}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}.svg{margin:12px 0}.row{display:flex;gap:24px;flex-wrap:wrap}
.note{color:#555;font-size:90%}.small{background:#fff8e1}.banner{background:#fdecea;border:1px solid #e57373;padding:10px 14px;margin:12px 0;border-radius:4px}
.scroll{max-height:480px;overflow:auto;border:1px solid #eee}tr.win td:nth-child(11){color:#1b7a4b}tr.loss td:nth-child(11){color:#b71c1c}
.row>div{flex:1 1 360px}#trades{font-size:85%}#trades td{white-space:nowrap}
</style></head><body>
<h1>quantgate backtest</h1>
<p>${esc(r.exchange)} · ${esc(r.symbols.join(', '))} · ${isoDay(r.from)} → ${isoDay(r.to)} UTC · ${r.walkForward ? 'walk-forward' : 'fixed models'} · ${r.trades.length.toLocaleString('en')} trades · ${r.candles.toLocaleString('en')} candles in ${r.seconds.toFixed(1)} s (${Math.round(r.candlesPerSecond).toLocaleString('en')} candles/s)</p>
${noTradesHtml(review)}
<p class="note">Sharpe and Sortino use daily (UTC) returns of the equity curve, annualised with √365, in excess of the configured risk-free rate. Returns are after fees, slippage and funding. Buy-and-hold splits the starting balance equally across the symbols at the first candle (one taker fee).</p>
${metricsTableHtml(r, review.smallSample)}
<div class="svg">${svgs[0]}</div><div class="svg">${svgs[1]}</div><div class="svg">${svgs[2]}</div>
${priceChartHtml(r)}
${
  traded
    ? `<h2>Trades</h2>
<p class="note">Times are fills (UTC): a decision on a closed candle fills at the next candle's open. P(win), edge and R/R are the opening signal's, at entry; P(win) falls back to the signal's confidence when the signal has no P(win). Realised R = P&amp;L / (|entry − stop| × size).</p>
${tradeListHtml(review.trades)}
<div class="row">${groupTable('By exit reason', 'by-exit', review.byExitReason)}${groupTable('By time held', 'by-duration', review.byDuration)}${groupTable('By symbol', 'by-symbol', review.bySymbol)}</div>
<div class="row">${groupTable(
        'By timeframe of the triggering candle',
        'by-timeframe',
        Object.entries(r.perTimeframe).map(([key, g]) => ({
          key,
          ...g,
          avgReturn: NaN,
          avgDurationMinutes: NaN,
          small: g.trades < SMALL_SAMPLE_TRADES,
        })),
      )}</div>
<p class="note">${FLAG} marks a group of fewer than ${SMALL_SAMPLE_TRADES} trades.</p>`
    : ''
}
<h2>Returns by period</h2>
<div class="svg">${svgs[3]}</div><div class="svg">${svgs[4]}</div>${weeklyTable(review)}<div class="svg">${svgs[5]}</div>
${edgeLedgerHtml(r.edgeLedger)}
<h2>Forecast calibration over the backtested period</h2>
<table><tr><th>timeframe</th><th>samples</th><th>below q10 (10 %)</th><th>below q50 (50 %)</th><th>above q90 (10 %)</th><th>q10–q90 coverage (80 %)</th><th>ECE</th></tr>${calibRows}</table>
<p class="note">Per class: the mean predicted probability / how often the class happened, and the highest probability any forecast gave it. A confidence threshold above the highest P(buy) could not have been reached.</p>
<table><tr><th>timeframe</th>${CLASS_ORDER.map((k) => `<th>${k} mean / observed</th><th>${k} max</th>`).join('')}</tr>${classRows}</table>
<div class="row">${calib.map((s) => `<div class="svg">${s}</div>`).join('')}</div>
<h2>Gate: signals removed by each rule</h2><table id="gate"><tr><th>rule</th><th>removed</th></tr>${gate}</table>
${acted ? `<p class="note">Decisions that acted (not removals):</p><table id="acted"><tr><th>decision</th><th>count</th></tr>${acted}</table>` : ''}
${r.windows.length > 0 ? `<h2>Walk-forward windows</h2><table><tr><th>train</th><th>test</th><th>return</th><th>Sharpe</th><th>max DD</th><th>trades</th><th>highest P(buy)</th><th>main gate reasons</th><th>models</th></tr>${windows}</table>` : ''}
<h2>Data gaps</h2>${r.gaps.length > 0 ? `<p class="note">Positions open across a gap are marked at the first candle after it.</p><table><tr><th>symbol</th><th>timeframe</th><th>last candle before</th><th>first candle after</th><th>missing</th></tr>${gaps}</table>` : '<p>none</p>'}
${warnings ? `<h2>Warnings</h2><ul>${warnings}</ul>` : ''}
<h2>What this run used</h2><p class="note">Two reports with the same data hashes, commit and config hash ran on the same inputs.</p>
${runRows ? `<table>${runRows}</table>` : ''}<table><tr><th>symbol</th><th>timeframe</th><th>candles</th><th>first</th><th>last</th><th>SHA-256 of the values</th></tr>${dataRows}</table>
</body></html>
`;
}
