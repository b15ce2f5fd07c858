/**
 * The status page: one self-contained HTML document (no CDN, no external file; the script and
 * styles carry the response's CSP nonce). It renders the `status` server-sent events of
 * /api/events, which the browser sends with the session cookie of the login form.
 */

const STYLE = `
:root { color-scheme: light dark; --fg:#1b1f24; --muted:#6a737d; --bg:#fff; --card:#f6f8fa; --line:#d0d7de;
  --good:#1a7f37; --bad:#cf222e; --warn:#9a6700; }
@media (prefers-color-scheme: dark) { :root { --fg:#e6edf3; --muted:#8b949e; --bg:#0d1117; --card:#161b22;
  --line:#30363d; --good:#3fb950; --bad:#f85149; --warn:#d29922; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 12px; font: 14px/1.4 system-ui, -apple-system, Segoe UI, sans-serif; color: var(--fg);
  background: var(--bg); }
h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 18px 0 6px; }
.muted { color: var(--muted); } .good { color: var(--good); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 8px; margin-top: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .v { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
.scroll { overflow-x: auto; }
svg { width: 100%; height: 160px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
.empty { color: var(--muted); font-style: italic; }
form { max-width: 360px; margin: 40px auto; display: grid; gap: 8px; }
form.inline { display: inline; margin: 0; }
input, button { font: inherit; padding: 8px; border-radius: 6px; border: 1px solid var(--line); }
`;

const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
const fmt = (v, d = 2) => (v === null || v === undefined || !isFinite(v) ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const px = (v) => (v === null || v === undefined ? '–' : Number(v).toPrecision(6));
const time = (iso) => iso.replace('T', ' ').replace(/:\\d\\d\\.\\d+Z$/, 'Z');
function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
function table(id, heads, rows, empty) {
  const el = $(id); el.replaceChildren();
  if (rows.length === 0) { const p = document.createElement('p'); p.className = 'empty'; p.textContent = empty; el.appendChild(p); return; }
  const t = document.createElement('table'); const h = document.createElement('tr');
  for (const x of heads) { const th = document.createElement('th'); th.textContent = x; h.appendChild(th); }
  t.appendChild(h);
  for (const r of rows) { const tr = document.createElement('tr'); for (const c of r) cell(tr, c[0], c[1]); t.appendChild(tr); }
  el.appendChild(t);
}
const sign = (v) => (v === null ? '' : v >= 0 ? 'good' : 'bad');
function chart(points) {
  const svg = $('equity-chart'); svg.replaceChildren();
  const NS = 'http://www.w3.org/2000/svg';
  if (points.length < 2) { const t = document.createElementNS(NS, 'text'); t.setAttribute('x', '10'); t.setAttribute('y', '20'); t.setAttribute('fill', 'currentColor'); t.textContent = 'equity curve: waiting for candles'; svg.appendChild(t); return; }
  const W = 600, H = 160, P = 6;
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs); let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H); svg.setAttribute('preserveAspectRatio', 'none');
  const d = points.map((p, i) => (i ? 'L' : 'M') + (P + ((p[0] - x0) / (x1 - x0)) * (W - 2 * P)).toFixed(1) + ' ' + (H - P - ((p[1] - y0) / (y1 - y0)) * (H - 2 * P)).toFixed(1)).join(' ');
  const path = document.createElementNS(NS, 'path'); path.setAttribute('d', d); path.setAttribute('fill', 'none');
  path.setAttribute('stroke', '#2f81f7'); path.setAttribute('stroke-width', '2'); path.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.appendChild(path);
  $('equity-range').textContent = time(new Date(x0).toISOString()) + ' → ' + time(new Date(x1).toISOString()) + ' · min ' + fmt(Math.min(...ys)) + ' · max ' + fmt(Math.max(...ys));
}
function render(s) {
  $('mode').textContent = s.mode + ' · ' + s.exchange + ' · ' + s.symbols.join(', ');
  $('updated').textContent = time(s.at);
  $('equity').textContent = fmt(s.equity);
  $('pnl').textContent = fmt(s.realizedPnl); $('pnl').className = 'v ' + sign(s.realizedPnl);
  $('trades').textContent = String(s.trades);
  const risk = s.risk ? (s.risk.paused ? 'PAUSED' : s.risk.state) : '–';
  $('risk').textContent = risk; $('risk').className = 'v ' + (risk === 'ACTIVE' ? 'good' : risk === 'REDUCING' ? 'warn' : 'bad');
  chart(s.equityCurve);
  table('positions', ['symbol', 'side', 'qty', 'entry', 'last', 'take-profit', 'stop-loss', 'unrealised', 'opened'],
    s.positions.map((p) => [[p.symbol], [p.direction + (p.exitPending ? ' (' + p.exitPending + ' pending)' : '')], [String(p.qty)], [px(p.entryPrice)], [px(p.lastPrice)], [px(p.takeProfit)], [px(p.stopLoss)], [fmt(p.unrealizedPnl), sign(p.unrealizedPnl)], [time(p.openedAt)]]),
    'no open positions');
  table('decisions', ['candle', 'symbol', 'reason', 'detail'], s.decisions.map((d) => [[time(d.at)], [d.symbol], [d.reason, d.reason.startsWith('trade_') ? 'good' : ''], [d.detail]]), 'no decisions yet');
  table('recent-trades', ['candle', 'symbol', 'kind', 'side', 'qty', 'price', 'pnl', 'state'], s.recentTrades.map((t) => [[time(t.at)], [t.symbol], [t.kind], [t.side], [String(t.qty)], [px(t.price)], [t.pnl === null ? '' : fmt(t.pnl), sign(t.pnl)], [t.state]]), 'no trades yet');
  table('models', ['timeframe', 'version', 'status', 'gate verdict'], s.models.map((m) => [[m.timeframe], [m.version], [m.status || 'not in registry'], m.gate ? [(m.gate.passed ? 'passed' : 'failed: ' + m.gate.reasons.join('; ')) + ' (' + time(m.gate.at) + ')', m.gate.passed ? 'good' : 'bad'] : ['no gate verdict', 'muted']]), 'no models');
  table('alerts', ['at', 'severity', 'code', 'message'], s.alerts.map((a) => [[time(a.at)], [a.severity, a.severity === 'critical' ? 'bad' : a.severity === 'warning' ? 'warn' : ''], [a.code], [a.message]]), s.registryError ? 'registry unreadable: ' + s.registryError : 'no alerts');
  $('stream-line').textContent = s.stream.line + ' · delivered ' + s.stream.delivered + ', backfilled ' + s.stream.backfilled + ', reconnects ' + s.stream.reconnects + ', malformed ' + s.stream.malformed;
  table('stream', ['series', 'last candle', 'age'], s.stream.series.map((x) => [[x.series], [time(x.lastCandle)], [x.ageSeconds + ' s']]), 'no candles yet');
  const reasons = Object.entries(s.reasons).sort((a, b) => b[1] - a[1]).map(([k, n]) => k + ' ' + n).join(' · ');
  const refused = Object.entries(s.refusals).map(([k, n]) => k + ' ' + n).join(' · ');
  $('reasons').textContent = (reasons || 'none yet') + (refused ? ' — not acted on by the runtime: ' + refused : '');
}
let events;
function connect() {
  events = new EventSource('/api/events');
  events.addEventListener('status', (e) => { $('conn').textContent = 'live'; $('conn').className = 'good'; render(JSON.parse(e.data)); });
  events.onerror = async () => {
    $('conn').textContent = 'disconnected, retrying…'; $('conn').className = 'bad';
    try { const r = await fetch('/api/status', { cache: 'no-store' }); if (r.status === 401) { events.close(); location.href = '/'; } } catch (_) { /* the bot is down: EventSource retries */ }
  };
}
connect();
`;

const LOGIN_SCRIPT = `document.getElementById('token').focus();`;

function shell(nonce: string, title: string, body: string, script: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>${title}</title><style nonce="${nonce}">${STYLE}</style></head>
<body>${body}<script nonce="${nonce}">${script}</script></body></html>`;
}

/** The live status page (rendered by its script from the event stream). */
export function statusPage(nonce: string): string {
  return shell(
    nonce,
    'quantgate status',
    `<h1>quantgate <span class="muted" id="mode"></span></h1>
<div class="muted">updated <span id="updated">–</span> · <span id="conn" class="warn">connecting…</span>
 · <form class="inline" method="post" action="/logout"><button type="submit">log out</button></form></div>
<div class="cards">
 <div class="card"><div class="muted">equity</div><div class="v" id="equity">–</div></div>
 <div class="card"><div class="muted">realised PnL</div><div class="v" id="pnl">–</div></div>
 <div class="card"><div class="muted">risk state</div><div class="v" id="risk">–</div></div>
 <div class="card"><div class="muted">trades</div><div class="v" id="trades">–</div></div>
</div>
<h2>Equity</h2><svg id="equity-chart" role="img" aria-label="equity curve"></svg><div class="muted" id="equity-range"></div>
<h2>Open positions</h2><div class="scroll" id="positions"></div>
<h2>Recent decisions</h2><div class="muted" id="reasons"></div><div class="scroll" id="decisions"></div>
<h2>Recent trades</h2><div class="scroll" id="recent-trades"></div>
<h2>Models</h2><div class="scroll" id="models"></div>
<h2>Alerts</h2><div class="scroll" id="alerts"></div>
<h2>Stream health</h2><div class="muted" id="stream-line"></div><div class="scroll" id="stream"></div>`,
    SCRIPT,
  );
}

/** The login form: the token is posted once, never put in a URL (history, proxies, logs). */
export function loginPage(nonce: string, error?: string): string {
  return shell(
    nonce,
    'quantgate login',
    `<form method="post" action="/login"><h1>quantgate</h1>
<label for="token">Control token (QUANTGATE_CONTROL_TOKEN)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Open the status page</button>
${error ? `<p class="bad" id="login-error">${error}</p>` : ''}</form>`,
    LOGIN_SCRIPT,
  );
}
