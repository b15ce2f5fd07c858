import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BacktestResult, PriceBar, TradeRecord } from './types.ts';

/**
 * The report's interactive price chart: candles of the execution timeframe with a marker at every
 * entry and exit, drawn by lightweight-charts. The library's standalone build is inlined into the
 * HTML so the file works offline from file:// (no CDN, no network).
 */

/** Above this many candles per symbol, consecutive candles are merged (keeps the file a few MB). */
export const MAX_BARS = 8000;
/** Per symbol, entry markers carry the trade's number only up to this many trades. */
export const MAX_LABELLED_TRADES = 60;

/** `[open time (s), open, high, low, close]`: compact, and what the chart takes after a map. */
export type ChartBar = [number, number, number, number, number];

export interface ChartMarker {
  readonly time: number;
  readonly position: 'belowBar' | 'aboveBar';
  readonly shape: 'arrowUp' | 'arrowDown' | 'circle';
  readonly color: string;
  readonly text: string;
}

export interface SymbolChart {
  readonly bars: ChartBar[];
  readonly markers: ChartMarker[];
  /** Minutes per drawn candle (more than the timeframe when candles were merged). */
  readonly barMinutes: number;
}

let libraryCache: string | undefined;

/** The standalone production build of lightweight-charts (defines `window.LightweightCharts`). */
export function lightweightChartsSource(): string {
  if (libraryCache === undefined) {
    const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
    libraryCache = readFileSync(
      join(dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js'),
      'utf8',
    );
  }
  return libraryCache;
}

function medianStep(bars: readonly PriceBar[]): number {
  const d: number[] = [];
  for (let i = 1; i < Math.min(bars.length, 200); i++) d.push(bars[i].t - bars[i - 1].t);
  d.sort((a, b) => a - b);
  return d.length > 0 ? d[Math.floor(d.length / 2)] : 60_000;
}

/** Open-time-keyed OHLC bars, `k` source candles merged into one when there are too many. */
export function chartBars(
  prices: readonly PriceBar[],
  max = MAX_BARS,
): { bars: ChartBar[]; stepMs: number; barMs: number } {
  const step = medianStep(prices);
  const k = Math.max(1, Math.ceil(prices.length / max));
  const bars: ChartBar[] = [];
  for (let i = 0; i < prices.length; i += k) {
    const group = prices.slice(i, i + k);
    const first = group[0];
    const o = first.open ?? first.close;
    let h = -Infinity;
    let l = Infinity;
    for (const p of group) {
      h = Math.max(h, p.high ?? p.close);
      l = Math.min(l, p.low ?? p.close);
    }
    bars.push([Math.floor((first.t - step) / 1000), o, h, l, group[group.length - 1].close]);
  }
  return { bars, stepMs: step, barMs: step * k };
}

/** The bar whose open time is the latest at or before `t` (seconds); markers must sit on a bar. */
function snap(bars: readonly ChartBar[], t: number): number {
  let lo = 0;
  let hi = bars.length - 1;
  if (hi < 0 || t <= bars[0][0]) return bars[0]?.[0] ?? t;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bars[mid][0] <= t) lo = mid;
    else hi = mid - 1;
  }
  return bars[lo][0];
}

/**
 * Markers for one symbol's trades. A paper fill happens at the open of the candle that closes at
 * the fill's timestamp, so the marker sits on that candle.
 */
export function tradeMarkers(
  trades: ReadonlyArray<{ readonly trade: TradeRecord; readonly n: number }>,
  bars: readonly ChartBar[],
  stepMs: number,
): ChartMarker[] {
  const at = (t: number) => snap(bars, Math.floor((t - stepMs) / 1000));
  const out: ChartMarker[] = [];
  for (const { trade: t, n } of trades) {
    out.push({
      time: at(t.entryTime),
      position: 'belowBar',
      shape: 'arrowUp',
      color: '#2962ff',
      text: `#${n}`,
    });
    out.push({
      time: at(t.exitTime),
      position: 'aboveBar',
      shape: t.pnl >= 0 ? 'circle' : 'arrowDown',
      color: t.pnl >= 0 ? '#26a69a' : '#ef5350',
      text: '',
    });
  }
  return out.sort((a, b) => a.time - b.time);
}

/** Per symbol: its candles and its trades' markers (numbered as in the trade list). */
export function priceChartData(r: BacktestResult): Record<string, SymbolChart> {
  const out: Record<string, SymbolChart> = {};
  const numbered = r.trades.map((trade, i) => ({ trade, n: i + 1 }));
  for (const s of r.symbols) {
    const { bars, stepMs, barMs } = chartBars(r.prices[s] ?? []);
    const markers = tradeMarkers(
      numbered.filter((x) => x.trade.symbol === s),
      bars,
      stepMs,
    );
    // Numbers on hundreds of markers overlap into a smear: label entries only when there are few.
    const labelled =
      markers.length <= 2 * MAX_LABELLED_TRADES ? markers : markers.map((m) => ({ ...m, text: '' }));
    out[s] = { bars, markers: labelled, barMinutes: barMs / 60_000 };
  }
  return out;
}

/** JSON safe inside a <script> element (no `</script>`, no `<!--`). */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

/** The chart's own code: builds the chart, switches symbol, and marks the DOM when it has drawn. */
const CHART_CODE = `(function () {
  var data = JSON.parse(document.getElementById('qg-chart-data').textContent);
  var el = document.getElementById('qg-chart');
  var select = document.getElementById('qg-chart-symbol');
  var LC = window.LightweightCharts;
  var chart = LC.createChart(el, {
    autoSize: true,
    layout: { background: { color: '#ffffff' }, textColor: '#222' },
    grid: { vertLines: { color: '#eee' }, horzLines: { color: '#eee' } },
    timeScale: {
      timeVisible: true,
      secondsVisible: false,
      // Dated ticks (UTC): the library's default shows a bare day-of-month.
      tickMarkFormatter: function (time, type) {
        var iso = new Date(time * 1000).toISOString();
        return type >= 3 ? iso.slice(11, 16) : type === 2 ? iso.slice(5, 10) : iso.slice(0, type === 0 ? 4 : 7);
      },
    },
    localization: { dateFormat: 'yyyy-MM-dd' },
  });
  var series = chart.addSeries(LC.CandlestickSeries, {
    upColor: '#26a69a', downColor: '#ef5350', borderVisible: false,
    wickUpColor: '#26a69a', wickDownColor: '#ef5350',
  });
  var markers = LC.createSeriesMarkers(series, []);
  function show(symbol) {
    var d = data[symbol];
    series.setData(d.bars.map(function (b) { return { time: b[0], open: b[1], high: b[2], low: b[3], close: b[4] }; }));
    markers.setMarkers(d.markers);
    chart.timeScale().fitContent();
    el.dataset.symbol = symbol;
    el.dataset.bars = String(d.bars.length);
    el.dataset.markers = String(d.markers.length);
    var note = document.getElementById('qg-chart-note');
    if (note) note.textContent = d.bars.length + ' candles of ' + d.barMinutes + ' min, ' + d.markers.length + ' markers (arrow up: entry, #n = its row in the trade list when the symbol has few trades; circle: winning exit; arrow down: losing exit). Drag to pan, scroll to zoom; times are UTC.';
  }
  select.addEventListener('change', function () { show(select.value); });
  show(select.value);
  document.body.dataset.chart = 'ready';
})();`;

export function priceChartHtml(r: BacktestResult): string {
  const data = priceChartData(r);
  const options = r.symbols
    .map((s) => `<option value="${s.replace(/"/g, '&quot;')}">${s.replace(/</g, '&lt;')}</option>`)
    .join('');
  return `<h2>Price and trades</h2>
<p><label>symbol <select id="qg-chart-symbol">${options}</select></label> <span class="note" id="qg-chart-note"></span></p>
<div id="qg-chart" style="width:100%;height:440px"></div>
<script type="application/json" id="qg-chart-data">${scriptJson(data)}</script>
<script>${lightweightChartsSource()}</script>
<script>${CHART_CODE}</script>`;
}
