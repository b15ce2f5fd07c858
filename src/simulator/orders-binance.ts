import type { ExchangeId, Side } from '../core/types.ts';
import type { SimServer } from './server.ts';
import { json } from './types.ts';
import type { SimRequest, SimResponse } from './types.ts';
import { binanceMarketId } from './markets.ts';

/** One order as the simulated exchange keeps it. Prices and sizes in plain numbers. */
export interface SimOrder {
  readonly id: number;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: 'market' | 'limit';
  readonly amount: number;
  /** Limit price (for a market order: the worst acceptable price, 0 = any). */
  readonly price: number;
  filled: number;
  /** Quote value of the fills. */
  cost: number;
  fee: number;
  status: 'open' | 'filled' | 'canceled' | 'expired';
  readonly time: number;
  updateTime: number;
  readonly reduceOnly?: boolean;
}

export interface SimOrderInput {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: 'market' | 'limit';
  readonly amount: number;
  readonly price: number;
  /** Perps: refused unless it only reduces the position (Hyperliquid's `r` flag). */
  readonly reduceOnly?: boolean;
}

export type SimReject = {
  readonly reject: 'insufficient' | 'duplicate' | 'no_price' | 'too_small' | 'reduce_only';
  readonly text: string;
};

/** Fault switches for order requests (counted down per create request). */
export interface OrderFaults {
  /** Next n create requests: the order is (or is not) booked, then the response waits `delayMs`. */
  stalls: number;
  stallMs: number;
  /** true: the stalled order is booked before the delay (accepted); false: never booked. */
  stallAccepts: boolean;
  /** Next n orders fill only this fraction of their amount (market: rest expires; limit: rest stays open). */
  partials: number;
  partialFraction: number;
}

/**
 * A spot account on the simulated exchange: balances per asset, an order book of our own
 * orders, market fills at the replay's last price, resting limit orders filled when a later
 * price crosses them. Fees in the quote asset. Shared by the Binance and Hyperliquid endpoints.
 */
export class SimAccount {
  readonly balances = new Map<string, { free: number; locked: number }>();
  readonly orders: SimOrder[] = [];
  readonly faults: OrderFaults = {
    stalls: 0,
    stallMs: 0,
    stallAccepts: true,
    partials: 0,
    partialFraction: 1,
  };
  /** Create requests that reached the server (including duplicates that were refused). */
  createRequests = 0;
  private readonly byClient = new Map<string, SimOrder>();
  private nextId = 1_000_001;

  constructor(
    readonly exchange: ExchangeId,
    private readonly server: SimServer,
    balances: Readonly<Record<string, number>>,
    private readonly feeRate: number,
  ) {
    for (const [asset, v] of Object.entries(balances)) this.balances.set(asset, { free: v, locked: 0 });
    server.replay.onUpdate((u) => {
      if (u.series.exchange === exchange) this.onPrice(u.series.symbol, u.candle.close);
    });
  }

  byClientId(id: string): SimOrder | undefined {
    return this.byClient.get(id);
  }

  byId(id: number): SimOrder | undefined {
    return this.orders.find((o) => o.id === id);
  }

  openOrders(symbol?: string): SimOrder[] {
    return this.orders.filter((o) => o.status === 'open' && (!symbol || o.symbol === symbol));
  }

  balance(asset: string): { free: number; locked: number } {
    let b = this.balances.get(asset);
    if (!b) {
      b = { free: 0, locked: 0 };
      this.balances.set(asset, b);
    }
    return b;
  }

  /** Books an order; returns it, or why it was refused. */
  create(input: SimOrderInput): SimOrder | SimReject {
    if (input.clientOrderId && this.byClient.has(input.clientOrderId))
      return { reject: 'duplicate', text: 'Duplicate order sent.' };
    const last = this.server.lastPrice(this.exchange, input.symbol);
    if (last === undefined) return { reject: 'no_price', text: `no price yet for ${input.symbol}` };
    if (!(input.amount > 0)) return { reject: 'too_small', text: 'Order has zero size.' };
    const [base, quote] = assetsOf(input.symbol);
    const refPrice = input.type === 'limit' ? input.price : last;
    if (isPerp(input.symbol)) {
      // Perps: the base "balance" is the signed position (negative = short), margined 1× in quote.
      const pos = this.balance(base).free;
      if (input.reduceOnly === true) {
        const room = input.side === 'buy' ? -pos : pos;
        if (!(room > 0) || input.amount > room + 1e-12)
          return { reject: 'reduce_only', text: 'Reduce only order would increase position.' };
      } else if (this.balance(quote).free + 1e-12 < input.amount * refPrice * (1 + this.feeRate))
        return { reject: 'insufficient', text: 'insufficient margin' };
    } else {
      const need = input.side === 'buy' ? input.amount * refPrice * (1 + this.feeRate) : input.amount;
      const wallet = this.balance(input.side === 'buy' ? quote : base);
      if (wallet.free + 1e-12 < need) return { reject: 'insufficient', text: 'insufficient balance' };
    }
    const now = this.server.now;
    const order: SimOrder = {
      ...input,
      id: this.nextId++,
      filled: 0,
      cost: 0,
      fee: 0,
      status: 'open',
      time: now,
      updateTime: now,
    };
    this.orders.push(order);
    if (input.clientOrderId) this.byClient.set(input.clientOrderId, order);
    const fraction = this.faults.partials > 0 ? (this.faults.partials--, this.faults.partialFraction) : 1;
    const marketable =
      input.type === 'market' || (input.side === 'buy' ? last <= input.price : last >= input.price);
    const priceOk = input.price <= 0 || (input.side === 'buy' ? last <= input.price : last >= input.price);
    if (input.type === 'market' || marketable) {
      if (priceOk) this.fill(order, input.amount * fraction, input.type === 'market' ? last : input.price);
      if (input.type === 'market') order.status = order.filled >= order.amount - 1e-12 ? 'filled' : 'expired';
    }
    if (order.status === 'open') this.lock(order);
    return order;
  }

  cancel(order: SimOrder): boolean {
    if (order.status !== 'open') return false;
    this.unlock(order);
    order.status = 'canceled';
    order.updateTime = this.server.now;
    return true;
  }

  private onPrice(symbol: string, price: number): void {
    for (const o of this.openOrders(symbol)) {
      if (o.type !== 'limit') continue;
      if (o.side === 'buy' ? price > o.price : price < o.price) continue;
      this.unlock(o);
      this.fill(o, o.amount - o.filled, o.price);
      if (o.status === 'open') this.lock(o);
    }
  }

  private fill(o: SimOrder, qty: number, price: number): void {
    if (qty <= 0) return;
    const [base, quote] = assetsOf(o.symbol);
    const cost = qty * price;
    const fee = cost * this.feeRate;
    if (o.side === 'buy') {
      this.balance(quote).free -= cost + fee;
      this.balance(base).free += qty;
    } else {
      this.balance(base).free -= qty;
      this.balance(quote).free += cost - fee;
    }
    o.filled += qty;
    o.cost += cost;
    o.fee += fee;
    o.updateTime = this.server.now;
    if (o.filled >= o.amount - 1e-12) o.status = 'filled';
  }

  private lock(o: SimOrder): void {
    const [base, quote] = assetsOf(o.symbol);
    const rest = o.amount - o.filled;
    const w = this.balance(o.side === 'buy' ? quote : base);
    const v = o.side === 'buy' ? rest * o.price * (1 + this.feeRate) : rest;
    w.free -= v;
    w.locked += v;
  }

  private unlock(o: SimOrder): void {
    const [base, quote] = assetsOf(o.symbol);
    const rest = o.amount - o.filled;
    const w = this.balance(o.side === 'buy' ? quote : base);
    const v = o.side === 'buy' ? rest * o.price * (1 + this.feeRate) : rest;
    w.free += v;
    w.locked -= v;
  }

  /** Applies the stall fault to one create request: books it (or not), then waits. */
  async stalled<T>(book: () => T): Promise<{ result: T | undefined; stalled: boolean }> {
    if (this.faults.stalls <= 0) return { result: book(), stalled: false };
    this.faults.stalls--;
    const result = this.faults.stallAccepts ? book() : undefined;
    await new Promise((r) => setTimeout(r, this.faults.stallMs));
    return { result, stalled: true };
  }
}

/** BTC/USDT → [BTC, USDT]; BTC/USDC:USDC → [BTC, USDC]. */
/** A perpetual (ccxt `BASE/QUOTE:SETTLE`): positions may be short. */
export function isPerp(symbol: string): boolean {
  return symbol.includes(':');
}

export function assetsOf(symbol: string): [string, string] {
  const [base, rest = ''] = symbol.split('/');
  return [base, rest.split(':')[0]];
}

export interface SimAccountOptions {
  /** Starting balances per asset, e.g. { USDT: 10000 }. */
  readonly balances: Readonly<Record<string, number>>;
  /** Fee as a fraction of notional (default 0.001). */
  readonly feeRate?: number;
}

const n8 = (v: number) => v.toFixed(8);

/**
 * Binance spot order endpoints as ccxt calls them: POST/GET/DELETE /api/v3/order, GET
 * /api/v3/openOrders, GET /api/v3/account. Signed parameters arrive in the query (GET, DELETE)
 * or a url-encoded body (POST); the signature is not verified.
 */
export function installBinanceOrders(server: SimServer, opts: SimAccountOptions): SimAccount {
  const acct = new SimAccount('binance', server, opts.balances, opts.feeRate ?? 0.001);
  const symbolOf = (id: string | null | undefined): string | undefined =>
    server.replay.series().find((s) => s.exchange === 'binance' && binanceMarketId(s.symbol) === id)?.symbol;

  server.registerRoute('POST', '/api/v3/order', async (req) => {
    const p = params(req);
    const symbol = symbolOf(p.symbol);
    if (!symbol) return binanceError(-1121, 'Invalid symbol.');
    acct.createRequests++;
    const input: SimOrderInput = {
      clientOrderId: p.newClientOrderId ?? '',
      symbol,
      side: p.side === 'SELL' ? 'sell' : 'buy',
      type: p.type === 'LIMIT' ? 'limit' : 'market',
      amount: Number(p.quantity),
      price: p.type === 'LIMIT' ? Number(p.price) : 0,
    };
    const { result } = await acct.stalled(() => acct.create(input));
    if (result === undefined) return binanceError(-1007, 'Timeout waiting for response from backend server.');
    if ('reject' in result) return binanceReject(result);
    return json({
      ...binanceOrder(result, p.symbol ?? ''),
      transactTime: result.time,
      fills: fillsOf(result),
    });
  });

  server.registerRoute('GET', '/api/v3/order', (req) => {
    const p = params(req);
    const o = findOrder(acct, p);
    return o ? json(binanceOrder(o, p.symbol ?? '')) : binanceError(-2013, 'Order does not exist.');
  });

  server.registerRoute('DELETE', '/api/v3/order', (req) => {
    const p = params(req);
    const o = findOrder(acct, p);
    if (!o || !acct.cancel(o)) return binanceError(-2011, 'Unknown order sent.');
    return json(binanceOrder(o, p.symbol ?? ''));
  });

  server.registerRoute('GET', '/api/v3/openOrders', (req) => {
    const p = params(req);
    const symbol = p.symbol ? symbolOf(p.symbol) : undefined;
    return json(acct.openOrders(symbol).map((o) => binanceOrder(o, binanceMarketId(o.symbol))));
  });

  server.registerRoute('GET', '/api/v3/account', () =>
    json({
      makerCommission: 10,
      takerCommission: 10,
      buyerCommission: 0,
      sellerCommission: 0,
      canTrade: true,
      canWithdraw: true,
      canDeposit: true,
      updateTime: server.now,
      accountType: 'SPOT',
      balances: [...acct.balances].map(([asset, b]) => ({ asset, free: n8(b.free), locked: n8(b.locked) })),
      permissions: ['SPOT'],
    }),
  );
  return acct;
}

function params(req: SimRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = Object.fromEntries(req.query);
  if (req.body && typeof req.body === 'object')
    for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) out[k] = String(v);
  return out;
}

function findOrder(acct: SimAccount, p: Record<string, string | undefined>): SimOrder | undefined {
  if (p.origClientOrderId) return acct.byClientId(p.origClientOrderId);
  return p.orderId ? acct.byId(Number(p.orderId)) : undefined;
}

function binanceStatus(o: SimOrder): string {
  if (o.status === 'open') return o.filled > 0 ? 'PARTIALLY_FILLED' : 'NEW';
  return { filled: 'FILLED', canceled: 'CANCELED', expired: 'EXPIRED' }[o.status];
}

function binanceOrder(o: SimOrder, marketId: string): Record<string, unknown> {
  return {
    symbol: marketId,
    orderId: o.id,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: n8(o.price),
    origQty: n8(o.amount),
    executedQty: n8(o.filled),
    cummulativeQuoteQty: n8(o.cost),
    status: binanceStatus(o),
    timeInForce: o.type === 'market' ? 'GTC' : 'GTC',
    type: o.type === 'market' ? 'MARKET' : 'LIMIT',
    side: o.side === 'buy' ? 'BUY' : 'SELL',
    stopPrice: n8(0),
    icebergQty: n8(0),
    time: o.time,
    updateTime: o.updateTime,
    isWorking: true,
    workingTime: o.time,
    origQuoteOrderQty: n8(0),
    selfTradePreventionMode: 'NONE',
  };
}

function fillsOf(o: SimOrder): Array<Record<string, unknown>> {
  if (o.filled <= 0) return [];
  return [
    {
      price: n8(o.cost / o.filled),
      qty: n8(o.filled),
      commission: n8(o.fee),
      commissionAsset: assetsOf(o.symbol)[1],
      tradeId: o.id,
    },
  ];
}

function binanceError(code: number, msg: string, status = 400): SimResponse {
  return { status, body: { code, msg } };
}

function binanceReject(r: SimReject): SimResponse {
  switch (r.reject) {
    case 'insufficient':
      return binanceError(-2010, 'Account has insufficient balance for requested action.');
    case 'duplicate':
      return binanceError(-2010, 'Duplicate order sent.');
    case 'too_small':
      return binanceError(-1013, 'Filter failure: LOT_SIZE');
    default:
      return binanceError(-1013, 'Filter failure: PRICE_FILTER');
  }
}
