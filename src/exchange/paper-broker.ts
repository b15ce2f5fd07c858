import type { ClosedCandle, Side } from '../core/types.ts';
import { QuantgateError } from '../core/errors.ts';
import type {
  Balance,
  Broker,
  BrokerFill,
  BrokerOrder,
  BrokerOrderRequest,
  BrokerPosition,
  Unsubscribe,
} from './broker.ts';

export interface PaperBrokerOptions {
  /** Quote balance at start (config `paper.startingBalance`). */
  readonly startingBalance: number;
  /** config `paper.quoteCurrency`. */
  readonly quoteCurrency: string;
  /** Adverse slippage on market and stop fills, basis points (config `paper.slippageBps`). */
  readonly slippageBps: number;
  /** Fee rates as fractions (config `exchange.takerFee` / `exchange.makerFee`; Binance spot 0.001). */
  readonly takerFee: number;
  readonly makerFee: number;
}

interface PositionState {
  amount: number;
  entryPrice: number;
  realisedPnl: number;
}

/** Everything the paper broker knows, as plain JSON. */
export interface PaperBrokerSnapshot {
  readonly version: 1;
  readonly cash: number;
  readonly orders: BrokerOrder[];
  readonly positions: Record<string, PositionState>;
  readonly lastClose: Record<string, number>;
  readonly lastTime: Record<string, number>;
}

const CLIENT_ID = /^0x[0-9a-f]{32}$/;
/** Before any candle of a symbol, an order is live from the first candle on. */
const BEFORE_ANY_CANDLE = -1;

/**
 * A deterministic simulated exchange driven by closed candles. Market orders fill at the NEXT
 * candle's open plus adverse slippage; limit, take-profit and stop orders fill when a later
 * candle's range reaches them (at the open when it gapped through). When one candle touches
 * both the take-profit and the stop of a bracket, the stop is assumed first (we cannot know the
 * path inside a candle, and assuming the better exit would flatter the backtest).
 */
export class PaperBroker implements Broker {
  private cash: number;
  private readonly orders = new Map<string, BrokerOrder>();
  private readonly positionsBySymbol = new Map<string, PositionState>();
  private readonly lastClose = new Map<string, number>();
  private readonly lastTime = new Map<string, number>();
  private readonly fillListeners = new Set<(f: BrokerFill) => void>();
  private readonly orderListeners = new Set<(o: BrokerOrder) => void>();

  constructor(private readonly opts: PaperBrokerOptions) {
    this.cash = opts.startingBalance;
  }

  submit(req: BrokerOrderRequest): Promise<BrokerOrder> {
    if (!CLIENT_ID.test(req.clientOrderId))
      throw new QuantgateError(
        'USAGE',
        `PaperBroker.submit: clientOrderId "${req.clientOrderId}" must be 0x followed by 32 lowercase hex digits`,
      );
    const known = this.orders.get(req.clientOrderId);
    if (known) return Promise.resolve(known);
    const problem = requestProblem(req);
    const order: BrokerOrder = {
      ...req,
      state: problem ? 'rejected' : 'open',
      createdAt: this.lastTime.get(req.symbol) ?? BEFORE_ANY_CANDLE,
      filled: 0,
      fee: 0,
      ...(problem ? { rejectReason: problem } : {}),
    };
    this.put(order);
    return Promise.resolve(order);
  }

  cancel(clientOrderId: string): Promise<BrokerOrder | undefined> {
    const o = this.orders.get(clientOrderId);
    if (!o || o.state !== 'open') return Promise.resolve(o);
    return Promise.resolve(this.put({ ...o, state: 'canceled' }));
  }

  openOrders(symbol?: string): Promise<BrokerOrder[]> {
    return Promise.resolve(this.open(symbol));
  }

  positions(): Promise<BrokerPosition[]> {
    return Promise.resolve(this.positionList());
  }

  balances(): Promise<Record<string, Balance>> {
    const out: Record<string, Balance> = {
      [this.opts.quoteCurrency]: { free: this.cash, used: 0, total: this.cash },
    };
    for (const [symbol, p] of this.positionsBySymbol) {
      const base = symbol.split('/')[0] ?? symbol;
      out[base] = { free: p.amount, used: 0, total: p.amount };
    }
    return Promise.resolve(out);
  }

  onFill(listener: (fill: BrokerFill) => void): Unsubscribe {
    this.fillListeners.add(listener);
    return () => this.fillListeners.delete(listener);
  }

  onOrderUpdate(listener: (order: BrokerOrder) => void): Unsubscribe {
    this.orderListeners.add(listener);
    return () => this.orderListeners.delete(listener);
  }

  /** Cash plus every position marked at its symbol's last close. */
  equity(): number {
    let eq = this.cash;
    for (const [symbol, p] of this.positionsBySymbol)
      eq += p.amount * (this.lastClose.get(symbol) ?? p.entryPrice);
    return eq;
  }

  /** Synchronous view for hosts and reports. */
  positionList(): BrokerPosition[] {
    return [...this.positionsBySymbol].map(([symbol, p]) => {
      const mark = this.lastClose.get(symbol) ?? p.entryPrice;
      return { symbol, ...p, unrealisedPnl: p.amount * (mark - p.entryPrice) };
    });
  }

  /** Fills what this closed candle reaches, then marks the symbol at its close. Feed candles in time order. */
  onCandle(c: Pick<ClosedCandle, 'symbol' | 'timestamp' | 'open' | 'high' | 'low' | 'close'>): BrokerFill[] {
    const fills: BrokerFill[] = [];
    const live = (o: BrokerOrder): boolean => o.createdAt < c.timestamp;
    for (const o of this.open(c.symbol).filter((x) => x.type === 'market' && live(x))) {
      const f = this.fill(o, slipped(o.side, c.open, this.opts.slippageBps), 'taker', c.timestamp);
      if (f) fills.push(f);
    }
    const touched = this.open(c.symbol).filter((o) => o.type !== 'market' && live(o) && reaches(o, c));
    const pessimistic = dropTakeProfitsBesideStops(touched);
    for (const o of pessimistic) {
      if (this.orders.get(o.clientOrderId)?.state !== 'open') continue; // cancelled by its OCO sibling
      const price =
        o.type === 'stop'
          ? slipped(o.side, stopPrice(o, c.open), this.opts.slippageBps)
          : limitPrice(o, c.open);
      const f = this.fill(o, price, o.type === 'limit' ? 'maker' : 'taker', c.timestamp);
      if (f) fills.push(f);
    }
    this.lastClose.set(c.symbol, c.close);
    this.lastTime.set(c.symbol, c.timestamp);
    return fills;
  }

  snapshot(): PaperBrokerSnapshot {
    return structuredClone({
      version: 1 as const,
      cash: this.cash,
      orders: [...this.orders.values()],
      positions: Object.fromEntries(this.positionsBySymbol),
      lastClose: Object.fromEntries(this.lastClose),
      lastTime: Object.fromEntries(this.lastTime),
    });
  }

  static restore(opts: PaperBrokerOptions, s: PaperBrokerSnapshot): PaperBroker {
    if (s.version !== 1 || !Number.isFinite(s.cash) || !Array.isArray(s.orders))
      throw new QuantgateError(
        'STATE_CORRUPT',
        'PaperBroker.restore: snapshot is not a version-1 paper broker state',
      );
    const b = new PaperBroker(opts);
    const copy = structuredClone(s);
    b.cash = copy.cash;
    for (const o of copy.orders) b.orders.set(o.clientOrderId, o);
    for (const [k, v] of Object.entries(copy.positions)) b.positionsBySymbol.set(k, v);
    for (const [k, v] of Object.entries(copy.lastClose)) b.lastClose.set(k, v);
    for (const [k, v] of Object.entries(copy.lastTime)) b.lastTime.set(k, v);
    return b;
  }

  private open(symbol?: string): BrokerOrder[] {
    return [...this.orders.values()].filter(
      (o) => o.state === 'open' && (symbol === undefined || o.symbol === symbol),
    );
  }

  private put(o: BrokerOrder): BrokerOrder {
    this.orders.set(o.clientOrderId, o);
    for (const l of this.orderListeners) l(o);
    return o;
  }

  private fill(
    o: BrokerOrder,
    price: number,
    liquidity: 'maker' | 'taker',
    time: number,
  ): BrokerFill | undefined {
    const pos = this.positionsBySymbol.get(o.symbol) ?? { amount: 0, entryPrice: 0, realisedPnl: 0 };
    const amount = o.reduceOnly ? reducible(o.side, o.amount, pos.amount) : o.amount;
    if (amount <= 0) {
      this.put({
        ...o,
        state: 'canceled',
        rejectReason: 'reduce-only order with no position left to reduce',
      });
      return undefined;
    }
    const fee = amount * price * (liquidity === 'maker' ? this.opts.makerFee : this.opts.takerFee);
    if (o.side === 'buy' && !o.reduceOnly && amount * price + fee > this.cash) {
      this.put({ ...o, state: 'rejected', rejectReason: 'insufficient_funds' });
      return undefined;
    }
    const q = o.side === 'buy' ? amount : -amount;
    this.cash -= q * price + fee;
    this.positionsBySymbol.set(o.symbol, applyFill(pos, q, price, fee));
    this.put({ ...o, state: 'filled', filled: amount, averagePrice: price, fee });
    const f: BrokerFill = {
      clientOrderId: o.clientOrderId,
      symbol: o.symbol,
      side: o.side,
      amount,
      price,
      fee,
      liquidity,
      timestamp: time,
    };
    if (o.parentId) this.cancelSiblings(o);
    if (o.bracket) this.placeBracket(o, amount, time);
    for (const l of this.fillListeners) l(f);
    return f;
  }

  private placeBracket(entry: BrokerOrder, amount: number, time: number): void {
    const side: Side = entry.side === 'buy' ? 'sell' : 'buy';
    const base = {
      symbol: entry.symbol,
      side,
      amount,
      reduceOnly: true,
      parentId: entry.clientOrderId,
      filled: 0,
      fee: 0,
    };
    // Live from the rest of the entry's candle: the entry filled at its open.
    const createdAt = time - 1;
    const ids = childIds(entry.clientOrderId);
    const tp = entry.bracket?.takeProfit ?? 0;
    const sl = entry.bracket?.stopLoss ?? 0;
    this.put({ ...base, clientOrderId: ids.tp, type: 'limit', price: tp, state: 'open', createdAt });
    this.put({ ...base, clientOrderId: ids.sl, type: 'stop', price: sl, state: 'open', createdAt });
  }

  private cancelSiblings(o: BrokerOrder): void {
    for (const other of this.open(o.symbol))
      if (other.parentId === o.parentId && other.clientOrderId !== o.clientOrderId)
        this.put({ ...other, state: 'canceled' });
  }
}

function requestProblem(r: BrokerOrderRequest): string | undefined {
  if (!(r.amount > 0) || !Number.isFinite(r.amount))
    return `amount must be a positive number, got ${r.amount}`;
  if (r.type !== 'market' && !(r.price !== undefined && r.price > 0 && Number.isFinite(r.price)))
    return `a ${r.type} order needs a positive price`;
  if (r.bracket) {
    const { takeProfit: tp, stopLoss: sl } = r.bracket;
    const ok = r.side === 'buy' ? sl < tp : tp < sl;
    if (!(tp > 0 && sl > 0 && ok))
      return `bracket of a ${r.side}: expected ${r.side === 'buy' ? 'stopLoss < takeProfit' : 'takeProfit < stopLoss'}, got TP ${tp} SL ${sl}`;
  }
  return undefined;
}

/** Deterministic exit ids derived from the entry's id, so a restart re-creates the same ones. */
function childIds(entryId: string): { tp: string; sl: string } {
  const body = entryId.slice(2, 33);
  return { tp: `0x${body}a`, sl: `0x${body}b` };
}

function slipped(side: Side, price: number, bps: number): number {
  return side === 'buy' ? price * (1 + bps / 10_000) : price * (1 - bps / 10_000);
}

function reaches(o: BrokerOrder, c: { high: number; low: number }): boolean {
  const p = o.price ?? 0;
  const buyTouch = c.low <= p;
  const sellTouch = c.high >= p;
  if (o.type === 'limit') return o.side === 'buy' ? buyTouch : sellTouch;
  return o.side === 'buy' ? sellTouch : buyTouch; // stops trigger on the adverse move
}

/** A limit fills at its price, or at the open when the candle opened beyond it (better). */
function limitPrice(o: BrokerOrder, open: number): number {
  const p = o.price ?? open;
  return o.side === 'buy' ? Math.min(p, open) : Math.max(p, open);
}

/** A stop fills at its trigger, or at the open when the candle gapped through it (worse). */
function stopPrice(o: BrokerOrder, open: number): number {
  const p = o.price ?? open;
  return o.side === 'buy' ? Math.max(p, open) : Math.min(p, open);
}

function dropTakeProfitsBesideStops(touched: BrokerOrder[]): BrokerOrder[] {
  const stopParents = new Set(touched.filter((o) => o.type === 'stop' && o.parentId).map((o) => o.parentId));
  const kept = touched.filter((o) => !(o.type === 'limit' && o.parentId && stopParents.has(o.parentId)));
  return [...kept.filter((o) => o.type === 'stop'), ...kept.filter((o) => o.type !== 'stop')];
}

function reducible(side: Side, amount: number, position: number): number {
  if (side === 'sell' && position > 0) return Math.min(amount, position);
  if (side === 'buy' && position < 0) return Math.min(amount, -position);
  return 0;
}

/** Average-cost accounting; fees are charged to realised PnL when paid. */
function applyFill(p: PositionState, q: number, price: number, fee: number): PositionState {
  const realisedFee = p.realisedPnl - fee;
  if (p.amount === 0 || Math.sign(p.amount) === Math.sign(q)) {
    const amount = p.amount + q;
    const entryPrice = (Math.abs(p.amount) * p.entryPrice + Math.abs(q) * price) / Math.abs(amount);
    return { amount, entryPrice, realisedPnl: realisedFee };
  }
  const closed = Math.min(Math.abs(q), Math.abs(p.amount));
  const realisedPnl = realisedFee + closed * (price - p.entryPrice) * Math.sign(p.amount);
  const amount = p.amount + q;
  if (Math.abs(amount) < 1e-12) return { amount: 0, entryPrice: 0, realisedPnl };
  const flipped = Math.sign(amount) !== Math.sign(p.amount);
  return { amount, entryPrice: flipped ? price : p.entryPrice, realisedPnl };
}
