import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { CLASS_ORDER } from '../models/metrics.ts';
import { drawdowns, monthlyReturns } from './metrics.ts';
import type { BacktestResult, EquityPoint, PerformanceMetrics } from './types.ts';

/**
 * One self-contained HTML file: every chart is compiled from vega-lite and rendered to inline SVG
 * here in Node, so the report opens offline with no script at all.
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

function curveRows(curve: readonly EquityPoint[], series: string): Array<Record<string, unknown>> {
  return downsample(curve).map((p) => ({ t: p.t, v: p.equity, series }));
}

function equitySpec(r: BacktestResult): TopLevelSpec {
  return {
    width: W,
    height: 260,
    title: 'Equity: strategy vs equal-weight buy-and-hold',
    data: { values: [...curveRows(r.curve, 'strategy'), ...curveRows(r.buyAndHoldCurve, 'buy-and-hold')] },
    mark: { type: 'line', strokeWidth: 1.2 },
    encoding: {
      x: { field: 't', type: 'temporal', title: null },
      y: { field: 'v', type: 'quantitative', title: 'equity', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

function drawdownSpec(r: BacktestResult): TopLevelSpec {
  const dd = drawdowns(r.curve).series;
  const rows = downsample(r.curve.map((p, i) => ({ t: p.t, dd: -dd[i] })));
  return {
    width: W,
    height: 140,
    title: 'Drawdown',
    data: { values: rows },
    mark: { type: 'area', color: '#c0392b', opacity: 0.6 },
    encoding: {
      x: { field: 't', type: 'temporal', title: null },
      y: { field: 'dd', type: 'quantitative', title: 'drawdown', axis: { format: '%' } },
    },
  };
}

function tradesSpec(r: BacktestResult, symbol: string): TopLevelSpec {
  const prices = downsample(r.prices[symbol] ?? []);
  const marks = r.trades
    .filter((t) => t.symbol === symbol)
    .flatMap((t) => [
      { t: t.entryTime, price: t.entryPrice, kind: `open ${t.direction}` },
      { t: t.exitTime, price: t.exitPrice, kind: t.pnl >= 0 ? 'close (win)' : 'close (loss)' },
    ]);
  return {
    width: W,
    height: 200,
    title: `${symbol}: trades on price (${marks.length / 2} trades)`,
    layer: [
      {
        data: { values: prices },
        mark: { type: 'line', color: '#7f8c8d', strokeWidth: 1 },
        encoding: {
          x: { field: 't', type: 'temporal', title: null },
          y: { field: 'close', type: 'quantitative', scale: { zero: false }, title: 'price' },
        },
      },
      {
        data: { values: downsample(marks, 3000) },
        mark: { type: 'point', filled: true, size: 18 },
        encoding: {
          x: { field: 't', type: 'temporal' },
          y: { field: 'price', type: 'quantitative' },
          color: {
            field: 'kind',
            type: 'nominal',
            scale: {
              domain: ['open long', 'open short', 'close (win)', 'close (loss)'],
              range: ['#2980b9', '#8e44ad', '#27ae60', '#c0392b'],
            },
          },
        },
      },
    ],
  };
}

function monthlySpec(r: BacktestResult): TopLevelSpec {
  const rows = [
    ...monthlyReturns(r.curve).map((m) => ({ ...m, series: 'strategy' })),
    ...monthlyReturns(r.buyAndHoldCurve).map((m) => ({ ...m, series: 'buy-and-hold' })),
  ];
  return {
    width: W,
    height: 180,
    title: 'Monthly returns',
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'month', type: 'ordinal', title: null },
      xOffset: { field: 'series' },
      y: { field: 'ret', type: 'quantitative', axis: { format: '%' }, title: 'return' },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
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

export function metricsTableHtml(r: BacktestResult): string {
  const cols: Array<[string, PerformanceMetrics | null]> = [
    ['strategy', r.metrics],
    ['buy-and-hold', r.buyAndHold],
    ['baseline forecaster', r.baseline],
  ];
  const head = `<tr><th>metric</th>${cols.map(([n]) => `<th>${n}</th>`).join('')}</tr>`;
  const body = METRIC_ROWS.map(
    ([k, label, kind]) =>
      `<tr><td>${label}</td>${cols.map(([, m]) => `<td>${m ? fmt(m[k] as number | null, kind) : '–'}</td>`).join('')}</tr>`,
  ).join('\n');
  return `<table>${head}\n${body}</table>`;
}

function groupTable(title: string, groups: BacktestResult['perSymbol']): string {
  const rows = Object.entries(groups)
    .map(
      ([k, g]) =>
        `<tr><td>${esc(k)}</td><td>${g.trades}</td><td>${fmt(g.pnl)}</td><td>${fmt(g.fees)}</td><td>${fmt(g.winRate, 'pct')}</td><td>${fmt(g.profitFactor)}</td><td>${fmt(g.avgRealisedR)}</td></tr>`,
    )
    .join('\n');
  return `<h3>${title}</h3><table><tr><th></th><th>trades</th><th>P&amp;L</th><th>fees</th><th>win rate</th><th>profit factor</th><th>avg R</th></tr>${rows}</table>`;
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

export async function renderReportHtml(r: BacktestResult): Promise<string> {
  const charts = [equitySpec(r), drawdownSpec(r), monthlySpec(r), ...r.symbols.map((s) => tradesSpec(r, s))];
  const svgs = await Promise.all(charts.map(renderSvg));
  const calib =
    r.calibration.length > 0 ? await Promise.all([reliabilitySpec(r), exceedanceSpec(r)].map(renderSvg)) : [];
  const gate = Object.entries(r.gate)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v}</td></tr>`)
    .join('');
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
.note{color:#555;font-size:90%}
</style></head><body>
<h1>quantgate backtest</h1>
<p>${esc(r.exchange)} · ${esc(r.symbols.join(', '))} · ${isoDay(r.from)} → ${isoDay(r.to)} UTC · ${r.walkForward ? 'walk-forward' : 'fixed models'} · ${r.candles.toLocaleString('en')} candles in ${r.seconds.toFixed(1)} s (${Math.round(r.candlesPerSecond).toLocaleString('en')} candles/s)</p>
<p class="note">Sharpe and Sortino use daily (UTC) returns of the equity curve, annualised with √365, in excess of the configured risk-free rate. Returns are after fees, slippage and funding. Buy-and-hold splits the starting balance equally across the symbols at the first candle (one taker fee).</p>
${metricsTableHtml(r)}
<div class="svg">${svgs[0]}</div><div class="svg">${svgs[1]}</div><div class="svg">${svgs[2]}</div>
${groupTable('Per symbol', r.perSymbol)}${groupTable('Per timeframe (of the triggering candle)', r.perTimeframe)}
${svgs
  .slice(3)
  .map((s) => `<div class="svg">${s}</div>`)
  .join('\n')}
<h2>Forecast calibration over the backtested period</h2>
<table><tr><th>timeframe</th><th>samples</th><th>below q10 (10 %)</th><th>below q50 (50 %)</th><th>above q90 (10 %)</th><th>q10–q90 coverage (80 %)</th><th>ECE</th></tr>${calibRows}</table>
<p class="note">Per class: the mean predicted probability / how often the class happened, and the highest probability any forecast gave it. A confidence threshold above the highest P(buy) could not have been reached.</p>
<table><tr><th>timeframe</th>${CLASS_ORDER.map((k) => `<th>${k} mean / observed</th><th>${k} max</th>`).join('')}</tr>${classRows}</table>
<div class="row">${calib.map((s) => `<div class="svg">${s}</div>`).join('')}</div>
<h2>Gate: signals removed by each rule</h2><table><tr><th>rule</th><th>removed</th></tr>${gate}</table>
${r.windows.length > 0 ? `<h2>Walk-forward windows</h2><table><tr><th>train</th><th>test</th><th>return</th><th>Sharpe</th><th>max DD</th><th>trades</th><th>highest P(buy)</th><th>main gate reasons</th><th>models</th></tr>${windows}</table>` : ''}
<h2>Data gaps</h2>${r.gaps.length > 0 ? `<p class="note">Positions open across a gap are marked at the first candle after it.</p><table><tr><th>symbol</th><th>timeframe</th><th>last candle before</th><th>first candle after</th><th>missing</th></tr>${gaps}</table>` : '<p>none</p>'}
${warnings ? `<h2>Warnings</h2><ul>${warnings}</ul>` : ''}
<h2>What this run used</h2><p class="note">Two reports with the same data hashes, commit and config hash ran on the same inputs.</p>
${runRows ? `<table>${runRows}</table>` : ''}<table><tr><th>symbol</th><th>timeframe</th><th>candles</th><th>first</th><th>last</th><th>SHA-256 of the values</th></tr>${dataRows}</table>
</body></html>
`;
}
