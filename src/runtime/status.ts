import { equityOf } from './state.ts';
import type { PositionState, RuntimeState } from './state.ts';
import { unrealizedPnl } from './portfolio.ts';

/** The runtime's status: the status line, `quantgate status` and the control API read it. */
export interface RuntimeStatus {
  readonly equity: number;
  readonly cash: number;
  readonly realizedPnl: number;
  /** Open positions marked at the last price: Σ ±(last − entry) × qty (short: entry − last). */
  readonly unrealizedPnl: number;
  /** Funding paid in total (negative: received); perps in paper/backtest only. */
  readonly funding: number;
  readonly fees: number;
  readonly openPositions: PositionState[];
  readonly trades: number;
  readonly decisions: RuntimeState['decisions'];
  readonly lastSignals: string[];
  readonly modelVersions: Record<string, string>;
  readonly stream: string;
  /** Candles skipped because their state could not be written (since start). */
  readonly stateWriteFailures: number;
  /** Risk state machine and the operator's pause (undefined without a risk manager). */
  readonly risk?: { readonly state: string; readonly paused: boolean };
}

/** What the status needs from outside the state (process memory, the plugin, the stream, risk). */
export type StatusExtras = Pick<
  RuntimeStatus,
  'lastSignals' | 'modelVersions' | 'stream' | 'stateWriteFailures' | 'risk'
>;

export function statusOf(s: Readonly<RuntimeState>, x: StatusExtras): RuntimeStatus {
  return {
    equity: equityOf(s),
    cash: s.cash,
    realizedPnl: s.realizedPnl,
    unrealizedPnl: unrealizedPnl(s),
    funding: s.funding ?? 0,
    fees: s.fees,
    openPositions: Object.values(s.positions),
    trades: s.trades.length,
    decisions: s.decisions,
    ...x,
  };
}

/** The fields of the periodic status log line (money rounded to cents). */
export function statusLine(st: RuntimeStatus): Record<string, unknown> {
  return {
    equity: round(st.equity),
    cash: round(st.cash),
    realizedPnl: round(st.realizedPnl),
    unrealizedPnl: round(st.unrealizedPnl),
    openPositions: st.openPositions.map((p) => `${p.symbol} ${p.direction} ${p.qty}@${p.entryPrice}`),
    trades: st.trades,
    decisions: st.decisions,
    lastSignals: st.lastSignals,
    modelVersions: st.modelVersions,
    stream: st.stream,
  };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
