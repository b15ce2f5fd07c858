import type { ControlStatus } from './status.ts';

const n = (v: number | null, d = 2): string => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(d));
const p = (v: number | null): string => (v === null ? '-' : String(Number(v.toPrecision(6))));

/** The open positions as terminal lines (`quantgate positions`). */
export function formatPositions(s: Pick<ControlStatus, 'positions'>): string[] {
  if (s.positions.length === 0) return ['no open positions'];
  return s.positions.map(
    (x) =>
      `${x.symbol} ${x.direction} ${x.qty} @ ${p(x.entryPrice)}  last ${p(x.lastPrice)}  TP ${p(x.takeProfit)}  SL ${p(x.stopLoss)}  uPnL ${n(x.unrealizedPnl)}  opened ${x.openedAt}${x.exitPending ? `  (${x.exitPending} pending)` : ''}`,
  );
}

/** `quantgate status` for people (the same data as `--json`). */
export function formatStatus(s: ControlStatus): string {
  const risk = s.risk ? (s.risk.paused ? `PAUSED (new entries; risk ${s.risk.state})` : s.risk.state) : '-';
  const lines = [
    `${s.mode} on ${s.exchange} (${s.symbols.join(', ')}) at ${s.at}`,
    `equity ${n(s.equity)}  cash ${n(s.cash)}  realised PnL ${n(s.realizedPnl)}  fees ${n(s.fees)}  trades ${s.trades}`,
    `risk: ${risk}`,
    'positions:',
    ...formatPositions(s).map((l) => `  ${l}`),
    'models:',
    ...s.models.map(
      (m) =>
        `  ${m.timeframe} ${m.version} ${m.status ?? 'not in registry'}${m.gate ? `, gate ${m.gate.passed ? 'passed' : `failed (${m.gate.reasons.join('; ')})`}` : ''}`,
    ),
    'recent decisions:',
    ...(s.decisions.length === 0
      ? ['  none yet']
      : s.decisions.slice(0, 5).map((d) => `  ${d.at} ${d.symbol} ${d.reason}: ${d.detail}`)),
    `stream: ${s.stream.line}`,
  ];
  if (s.alerts.length > 0)
    lines.push(
      'alerts:',
      ...s.alerts.slice(0, 5).map((a) => `  ${a.at} ${a.severity} ${a.code}: ${a.message}`),
    );
  return lines.join('\n');
}
