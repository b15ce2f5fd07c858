import type { Direction, Side } from '../core/types.ts';

/**
 * An open position the runtime manages: long, or short where the market can short (perps); exits
 * are client-side market orders (a short's take-profit is below its entry, its stop above).
 */
export interface PositionState {
  readonly symbol: string;
  readonly direction: Direction;
  /** Always > 0; the direction says which way. */
  readonly qty: number;
  /** Average entry price. */
  readonly entryPrice: number;
  readonly takeProfit: number;
  readonly stopLoss: number;
  readonly openedAt: number;
  readonly clientOrderId: string;
  readonly entryFee: number;
  /** Funding paid on this position so far, in quote (negative: received). Perps only. */
  readonly funding?: number;
  /** The last funding instant (ms) already charged to this position. */
  readonly fundedUntil?: number;
}

/** One executed (or refused) order, as the trade log shows it. */
export interface TradeRecord {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly kind: 'open' | 'take_profit' | 'stop_loss' | 'signal_close' | 'manual_close';
  readonly candleTime: number;
  readonly qty: number;
  readonly price: number;
  readonly fee: number;
  /** Realised PnL in quote (closing trades only, net of both fees and of the position's funding). */
  readonly pnl?: number;
  /** Funding of the closed quantity (closing trades on perps only; negative: received). */
  readonly funding?: number;
  /** Which position the order opened or closed (absent in files written before shorts existed: long). */
  readonly direction?: Direction;
  readonly state: string;
  /** Opening orders of the expected-value gate: its P(win) and expected edge (bps) at the decision. */
  readonly pWin?: number;
  readonly expectedEdgeBps?: number;
  readonly reason?: string;
}

/** An order we are about to send; persisted first so a crash in between is resolved on restart. */
export interface PendingIntent {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly amount: number;
  readonly kind: TradeRecord['kind'];
  readonly candleTime: number;
  readonly takeProfit?: number;
  readonly stopLoss?: number;
  readonly pWin?: number;
  readonly expectedEdgeBps?: number;
  /** Series id of the candle that decided it (absent in state files written before it existed). */
  readonly series?: string;
  /** The position it opens or closes (absent in files written before shorts existed). */
  readonly direction?: Direction;
}

/** Everything the runtime needs to resume exactly where it stopped. */
export interface RuntimeState {
  readonly version: 1;
  savedAt: number;
  /** Open time of the last candle fully processed, per series id (`exchange|symbol|timeframe`). */
  lastProcessed: Record<string, number>;
  positions: Record<string, PositionState>;
  pending: PendingIntent[];
  /**
   * Intents of a candle whose processing a crash interrupted: they may or may not have reached
   * the exchange. The rest of the file is the state before that candle, so the candle is processed
   * again from there and each intent it decides again is looked up instead of sent again.
   */
  inFlight?: PendingIntent[];
  trades: TradeRecord[];
  /** [time, equity in quote] at each execution candle, bounded. */
  equityCurve: Array<[number, number]>;
  cash: number;
  realizedPnl: number;
  fees: number;
  /** Funding paid in total, in quote (negative: received); absent in files written before perps. */
  funding?: number;
  decisions: { candles: number; signals: number; executed: number; skipped: Record<string, number> };
  lastPrices: Record<string, number>;
  plugin: unknown;
  risk: unknown;
  executor?: unknown;
}

export function emptyState(cash: number): RuntimeState {
  return {
    version: 1,
    savedAt: 0,
    lastProcessed: {},
    positions: {},
    pending: [],
    trades: [],
    equityCurve: [],
    cash,
    realizedPnl: 0,
    fees: 0,
    decisions: { candles: 0, signals: 0, executed: 0, skipped: {} },
    lastPrices: {},
    plugin: undefined,
    risk: undefined,
  };
}

export function equityOf(s: RuntimeState): number {
  let eq = s.cash;
  for (const p of Object.values(s.positions)) eq += signedQty(p) * (s.lastPrices[p.symbol] ?? p.entryPrice);
  return eq;
}

/** The position's quantity with its sign: a short's cash holds its sale proceeds, its value is negative. */
export function signedQty(p: Pick<PositionState, 'qty' | 'direction'>): number {
  return p.direction === 'short' ? -p.qty : p.qty;
}

/** Loose structural check of a parsed state document; returns what is wrong or null. */
export function stateProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const s = v as Partial<RuntimeState>;
  if (s.version !== 1) return `version ${String(s.version)} (expected 1)`;
  for (const k of ['lastProcessed', 'positions', 'decisions', 'lastPrices'] as const)
    if (typeof s[k] !== 'object' || s[k] === null) return `field ${k} missing or not an object`;
  for (const k of ['pending', 'trades', 'equityCurve'] as const)
    if (!Array.isArray(s[k])) return `field ${k} missing or not an array`;
  if (s.inFlight !== undefined && !Array.isArray(s.inFlight)) return 'field inFlight is not an array';
  for (const k of ['cash', 'realizedPnl', 'fees'] as const)
    if (typeof s[k] !== 'number' || !Number.isFinite(s[k]))
      return `field ${k} missing or not a finite number`;
  return null;
}
