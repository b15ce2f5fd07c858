import { existsSync } from 'node:fs';
import { describeError } from '../core/errors.ts';
import type { StreamStats } from '../exchange/index.ts';
import type { Registry } from '../retrain/index.ts';
import { readRegistry } from '../retrain/index.ts';
import type { DecisionRecord } from '../strategy/index.ts';

/*
 * The runtime as the control API sees it, structurally: the runtime folder's composition root
 * (live.ts) starts this server, so importing the runtime here would close an import cycle.
 */
export interface CloseOutcomeView {
  readonly symbol: string;
  readonly result: 'sent' | 'no_position' | 'order_pending' | 'failed';
  readonly clientOrderId?: string;
  readonly state?: string;
}

interface PositionLike {
  readonly symbol: string;
  readonly direction: string;
  readonly qty: number;
  readonly entryPrice: number;
  readonly takeProfit: number;
  readonly stopLoss: number;
  readonly openedAt: number;
}

export interface RuntimeView {
  status(): {
    readonly equity: number;
    readonly cash: number;
    readonly realizedPnl: number;
    readonly fees: number;
    readonly trades: number;
    readonly openPositions: readonly PositionLike[];
    readonly modelVersions: Record<string, string>;
    readonly stream: string;
    readonly risk?: { readonly state: string; readonly paused: boolean };
  };
  readonly snapshot: {
    readonly lastPrices: Readonly<Record<string, number>>;
    readonly pending: ReadonlyArray<{ symbol: string; kind: string; side: string; amount: number }>;
    readonly trades: ReadonlyArray<{
      readonly candleTime: number;
      readonly symbol: string;
      readonly kind: string;
      readonly side: string;
      readonly qty: number;
      readonly price: number;
      readonly pnl?: number;
      readonly state: string;
    }>;
    readonly equityCurve: ReadonlyArray<readonly [number, number]>;
    readonly decisions: { readonly skipped: Readonly<Record<string, number>> };
  };
  pauseEntries(): Promise<void>;
  resumeEntries(): Promise<void>;
  closePosition(symbol: string): Promise<CloseOutcomeView>;
}

/** What a reload of the ACTIVE pointers did, per timeframe. */
export interface ReloadOutcome {
  /** Version loaded (or staged for the next candle) per timeframe, before and after. */
  readonly before: Record<string, string>;
  readonly after: Record<string, string>;
  readonly changed: string[];
}

/** The running bot as the control API sees it: the live composition root builds one. */
export interface ControlTarget {
  readonly mode: 'paper' | 'live';
  readonly exchange: string;
  readonly symbols: readonly string[];
  readonly runtime: RuntimeView;
  /** The plugin's most recent decisions (taken or not) with their reasons. */
  decisions(): readonly DecisionRecord[];
  /** Decision counters by reason. */
  reasons(): Record<string, number>;
  stream(): StreamStats;
  /** `registry.json` (model versions, gate verdicts, alerts); absent file = no registry yet. */
  readonly registryFile: string;
  /** Re-reads the ACTIVE pointers through the retrain service's hot swap; null when it is off. */
  reloadModels: (() => Promise<ReloadOutcome>) | null;
}

export interface PositionView {
  readonly symbol: string;
  readonly direction: string;
  readonly qty: number;
  readonly entryPrice: number;
  readonly lastPrice: number | null;
  readonly takeProfit: number | null;
  readonly stopLoss: number | null;
  readonly unrealizedPnl: number | null;
  readonly openedAt: string;
  /** A close or exit order waiting for its fill. */
  readonly exitPending: string | null;
}

export interface ModelView {
  readonly timeframe: string;
  readonly version: string;
  readonly status: string | null;
  readonly gate: {
    readonly passed: boolean;
    readonly reasons: readonly string[];
    readonly at: string;
  } | null;
  readonly promotedAt: string | null;
}

export interface ControlStatus {
  readonly at: string;
  readonly mode: 'paper' | 'live';
  readonly exchange: string;
  readonly symbols: readonly string[];
  readonly equity: number;
  readonly cash: number;
  readonly realizedPnl: number;
  readonly fees: number;
  readonly trades: number;
  readonly risk: { readonly state: string; readonly paused: boolean } | null;
  readonly positions: PositionView[];
  readonly pendingOrders: Array<{ symbol: string; kind: string; side: string; amount: number }>;
  readonly decisions: Array<{ at: string; symbol: string; reason: string; detail: string }>;
  readonly reasons: Record<string, number>;
  /**
   * Signals the runtime did not act on, by reason (paused, risk limits, pending orders): the
   * strategy's decision list still says trade_opened for those.
   */
  readonly refusals: Record<string, number>;
  readonly recentTrades: Array<{
    at: string;
    symbol: string;
    kind: string;
    side: string;
    qty: number;
    price: number;
    pnl: number | null;
    state: string;
  }>;
  readonly models: ModelView[];
  readonly alerts: Array<{ at: string; severity: string; code: string; message: string }>;
  readonly stream: {
    readonly line: string;
    readonly delivered: number;
    readonly reconnects: number;
    readonly malformed: number;
    readonly backfilled: number;
    /** Newest candle per series with its age in seconds at `at`. */
    readonly series: Array<{ series: string; lastCandle: string; ageSeconds: number }>;
  };
  /** [ms, equity] of the execution candles (the last `maxPoints`). */
  readonly equityCurve: Array<[number, number]>;
  /** Why the registry could not be read, when it could not. */
  readonly registryError: string | null;
}

const iso = (t: number): string => new Date(t).toISOString();
const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

function registryOf(path: string): { reg: Registry | null; error: string | null } {
  if (!existsSync(path)) return { reg: null, error: null };
  try {
    return { reg: readRegistry(path), error: null };
  } catch (e) {
    return { reg: null, error: describeError(e).slice(0, 200) };
  }
}

function modelsOf(versions: Record<string, string>, reg: Registry | null): ModelView[] {
  return Object.entries(versions).map(([timeframe, version]) => {
    const v = reg?.versions.find((x) => x.timeframe === timeframe && x.version === version);
    return {
      timeframe,
      version,
      status: v?.status ?? null,
      gate: v?.gate ? { passed: v.gate.passed, reasons: v.gate.reasons, at: v.gate.at } : null,
      promotedAt: v?.promotedAt ?? null,
    };
  });
}

/** One consistent picture of the bot for the API, the CLI and the status page. */
export function buildStatus(t: ControlTarget, now: number, maxPoints = 2000): ControlStatus {
  const st = t.runtime.status();
  const s = t.runtime.snapshot;
  const { reg, error } = registryOf(t.registryFile);
  const stats = t.stream();
  const positions = st.openPositions.map((p): PositionView => {
    const last = s.lastPrices[p.symbol];
    const sign = p.direction === 'short' ? -1 : 1;
    const exit = s.pending.find((x) => x.symbol === p.symbol && x.kind !== 'open');
    return {
      symbol: p.symbol,
      direction: p.direction,
      qty: p.qty,
      entryPrice: p.entryPrice,
      lastPrice: last ?? null,
      takeProfit: finite(p.takeProfit),
      stopLoss: p.stopLoss > 0 ? p.stopLoss : null,
      unrealizedPnl: last === undefined ? null : sign * (last - p.entryPrice) * p.qty,
      openedAt: iso(p.openedAt),
      exitPending: exit ? exit.kind : null,
    };
  });
  return {
    at: iso(now),
    mode: t.mode,
    exchange: t.exchange,
    symbols: t.symbols,
    equity: st.equity,
    cash: st.cash,
    realizedPnl: st.realizedPnl,
    fees: st.fees,
    trades: st.trades,
    risk: st.risk ?? null,
    positions,
    pendingOrders: s.pending.map((p) => ({ symbol: p.symbol, kind: p.kind, side: p.side, amount: p.amount })),
    decisions: t
      .decisions()
      .slice(-20)
      .reverse()
      .map((d) => ({ at: iso(d.timestamp), symbol: d.symbol, reason: d.reason, detail: d.detail })),
    reasons: Object.fromEntries(Object.entries(t.reasons()).filter(([, n]) => n > 0)),
    refusals: { ...s.decisions.skipped },
    recentTrades: s.trades
      .slice(-20)
      .reverse()
      .map((x) => ({
        at: iso(x.candleTime),
        symbol: x.symbol,
        kind: x.kind,
        side: x.side,
        qty: x.qty,
        price: x.price,
        pnl: x.pnl ?? null,
        state: x.state,
      })),
    models: modelsOf(st.modelVersions, reg),
    alerts: (reg?.alerts ?? [])
      .slice(-20)
      .reverse()
      .map((a) => ({ at: a.at, severity: a.severity, code: a.code, message: a.message })),
    stream: {
      line: st.stream,
      delivered: stats.delivered,
      reconnects: stats.reconnects,
      malformed: stats.malformed,
      backfilled: stats.backfilled,
      series: Object.entries(stats.lastCandleTime).map(([series, t0]) => ({
        series,
        lastCandle: iso(t0),
        ageSeconds: Math.round((now - t0) / 1000),
      })),
    },
    equityCurve: s.equityCurve.slice(-maxPoints).map(([t0, e]) => [t0, e]),
    registryError: error,
  };
}
