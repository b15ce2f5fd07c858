import { randomBytes } from 'node:crypto';
import {
  AuthenticationError,
  ExchangeNotAvailable,
  InsufficientFunds,
  InvalidOrder,
  NetworkError,
  OrderNotFound,
  PermissionDenied,
  RateLimitExceeded,
  RequestTimeout,
} from 'ccxt';
import type { Order } from 'ccxt';
import type { ExchangeId, Side } from '../core/types.ts';
import type { Logger } from '../core/logger.ts';
import type { SecretRedactor } from '../core/secrets.ts';
import { SECRET_ENV_VARS } from '../core/secrets.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import type { CcxtCredentials, CcxtExchange } from './ccxt-factory.ts';

/** What the strategy host asks the exchange to do. */
export interface OrderRequest {
  /** `0x` + 32 hex digits, valid on Binance and Hyperliquid; the idempotency key. */
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: 'market' | 'limit';
  /** Base units. */
  readonly amount: number;
  /** Limit price; for a market order the reference price (Hyperliquid needs it to bound slippage). */
  readonly price?: number;
  /**
   * Only reduce a position (the close of a long or a short): sent as `reduceOnly` on perps/futures,
   * so a close can never open the opposite position; ignored on spot, which has no positions.
   */
  readonly reduceOnly?: boolean;
}

export type OrderState = 'open' | 'filled' | 'partially_filled' | 'canceled' | 'rejected';

/** Why the exchange refused an order, in words a trader understands. */
export type RejectReason =
  | 'insufficient_funds'
  | 'invalid_order'
  | 'auth_failed'
  | 'rate_limited'
  | 'exchange_unavailable'
  | 'unknown_after_timeout'
  | 'exchange_error';

export interface OrderResult {
  readonly clientOrderId: string;
  readonly exchangeOrderId?: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: 'market' | 'limit';
  readonly state: OrderState;
  readonly amount: number;
  readonly filled: number;
  readonly remaining: number;
  /** Average fill price (undefined when nothing filled). */
  readonly averagePrice?: number;
  readonly fee?: number;
  readonly rejectReason?: RejectReason;
  readonly message?: string;
  /** True when the order's fate was learnt by querying its client id after a timeout. */
  readonly recovered: boolean;
}

export interface BalanceLine {
  readonly free: number;
  readonly used: number;
  readonly total: number;
}

export interface ReconcileReport {
  readonly openOrders: OrderResult[];
  readonly balances: Record<string, BalanceLine>;
  /** Human-readable differences between our stored state and the exchange (the exchange wins). */
  readonly differences: string[];
}

export interface CcxtBrokerOptions {
  readonly exchange: CcxtExchange;
  readonly exchangeId: ExchangeId;
  readonly logger: Logger;
  readonly redactor: SecretRedactor;
  /** How often the client id is queried after a timeout before giving up (default 5). */
  readonly queryAttempts?: number;
  /** Wait between those queries (ms, doubles each time; default 250). */
  readonly queryDelayMs?: number;
}

/** A fresh client order id: `0x` + 32 hex digits (128 bits). */
export function newClientOrderId(): string {
  return `0x${randomBytes(16).toString('hex')}`;
}

const CLIENT_ID = /^0x[0-9a-f]{32}$/;

/**
 * Real orders through ccxt on Binance spot or Hyperliquid. The one rule that matters: an order
 * whose request timed out may exist, so it is never sent again blindly — it is looked up by its
 * client order id first (Binance `origClientOrderId`, Hyperliquid `cloid`), and resubmitted
 * with the same id only when the exchange says it does not know it.
 */
export class CcxtBroker {
  private readonly ex: CcxtExchange;
  private readonly log: Logger;
  private readonly known = new Map<string, OrderResult>();
  private readonly requests = new Map<string, OrderRequest>();
  private readonly attempts: number;
  private readonly delayMs: number;

  constructor(private readonly opts: CcxtBrokerOptions) {
    this.ex = opts.exchange;
    this.log = opts.logger;
    this.attempts = opts.queryAttempts ?? 5;
    this.delayMs = opts.queryDelayMs ?? 250;
    if (opts.exchangeId === 'binance') this.ex.options.warnOnFetchOpenOrdersWithoutSymbol = false;
    if (opts.exchangeId === 'hyperliquid') this.ex.options.builderFee = false;
  }

  /** Submits once per client order id; a repeated call returns what the first one learnt. */
  async submit(req: OrderRequest): Promise<OrderResult> {
    if (!CLIENT_ID.test(req.clientOrderId))
      throw new QuantgateError(
        'INTERNAL',
        `ccxt-broker: clientOrderId ${req.clientOrderId} is not 0x + 32 lower-case hex digits`,
      );
    this.requests.set(req.clientOrderId, req);
    const done = this.known.get(req.clientOrderId);
    if (done && done.rejectReason !== 'unknown_after_timeout') return done;
    // Resubmission happens only after the exchange said "no such order"; bounded.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const o = await this.create(req);
        const r = this.toResult(req, o, false);
        // Hyperliquid answers `resting` / `filled` without a status: ask once when it matters.
        if (o.status === undefined && r.state !== 'filled')
          return this.remember((await this.fetch(req.clientOrderId, req.symbol)) ?? r);
        return this.remember(r);
      } catch (e) {
        if (!(e instanceof NetworkError) || e instanceof RateLimitExceeded)
          return this.remember(this.rejected(req, e));
        this.log.warn(
          { clientOrderId: req.clientOrderId, symbol: req.symbol, err: this.clean(e) },
          'order request failed in flight; looking it up by client id before anything else',
        );
        const found = await this.lookup(req);
        if (found === 'unknown') return this.remember(this.unknown(req));
        if (found) return this.remember(this.toResult(req, found, true));
        this.log.warn(
          { clientOrderId: req.clientOrderId },
          'exchange does not know the order: resubmitting it',
        );
      }
    }
    return this.remember(this.unknown(req));
  }

  /** Cancels by client id; an order already gone is reported as it is, not as an error. */
  async cancel(clientOrderId: string, symbol: string): Promise<OrderResult | undefined> {
    try {
      await this.ex.cancelOrder('', symbol, { clientOrderId });
    } catch (e) {
      if (!(e instanceof OrderNotFound) && !(e instanceof InvalidOrder)) throw this.wrap(e, 'cancelOrder');
    }
    return this.fetch(clientOrderId, symbol);
  }

  /** The exchange's view of one of our orders, or undefined when it does not know it. */
  async fetch(clientOrderId: string, symbol: string): Promise<OrderResult | undefined> {
    const req = this.requests.get(clientOrderId);
    try {
      const o = await this.ex.fetchOrder(clientOrderId, symbol, { clientOrderId });
      return this.toResult(
        req ?? { clientOrderId, symbol, side: o.side as Side, type: 'limit', amount: o.amount ?? 0 },
        o,
        req !== undefined && this.known.get(clientOrderId)?.recovered === true,
      );
    } catch (e) {
      if (e instanceof OrderNotFound) return undefined;
      throw this.wrap(e, 'fetchOrder');
    }
  }

  async openOrders(symbols: readonly string[]): Promise<OrderResult[]> {
    const out: OrderResult[] = [];
    const lists =
      this.opts.exchangeId === 'binance'
        ? await Promise.all(
            symbols.map((s) => this.call('fetchOpenOrders', () => this.ex.fetchOpenOrders(s))),
          )
        : [await this.call('fetchOpenOrders', () => this.ex.fetchOpenOrders())];
    for (const list of lists)
      for (const o of list) {
        if (o.symbol === undefined || !symbols.includes(o.symbol)) continue;
        const id = o.clientOrderId ?? '';
        out.push(
          this.toResult(
            {
              clientOrderId: id,
              symbol: o.symbol,
              side: o.side as Side,
              type: 'limit',
              amount: o.amount ?? 0,
            },
            o,
            false,
          ),
        );
      }
    return out;
  }

  async balances(): Promise<Record<string, BalanceLine>> {
    const b = await this.call('fetchBalance', () =>
      this.ex.fetchBalance(this.opts.exchangeId === 'hyperliquid' ? { type: 'spot' } : {}),
    );
    const out: Record<string, BalanceLine> = {};
    const totals = b.total as unknown as Record<string, number | undefined>;
    const free = b.free as unknown as Record<string, number | undefined>;
    const used = b.used as unknown as Record<string, number | undefined>;
    for (const [asset, total] of Object.entries(totals ?? {})) {
      if (total === undefined) continue;
      out[asset] = { total, free: free?.[asset] ?? total, used: used?.[asset] ?? 0 };
    }
    return out;
  }

  /**
   * Start-up reconciliation: the exchange's open orders and balances replace ours; every
   * difference is logged and returned.
   */
  async reconcile(
    local: { openOrderIds: readonly string[]; balances: Readonly<Record<string, number>> },
    symbols: readonly string[],
  ): Promise<ReconcileReport> {
    const [open, balances] = await Promise.all([this.openOrders(symbols), this.balances()]);
    const differences: string[] = [];
    const remote = new Set(open.map((o) => o.clientOrderId));
    for (const id of local.openOrderIds)
      if (!remote.has(id)) differences.push(`order ${id}: open in our state, not open on the exchange`);
    for (const o of open)
      if (!local.openOrderIds.includes(o.clientOrderId))
        differences.push(
          `order ${o.clientOrderId || o.exchangeOrderId}: open on the exchange, unknown to our state`,
        );
    // Only assets our state tracks (a fresh start tracks none).
    const assets = new Set(Object.keys(local.balances));
    for (const a of assets) {
      const ours = local.balances[a] ?? 0;
      const theirs = balances[a]?.total ?? 0;
      if (Math.abs(ours - theirs) > 1e-9 * Math.max(1, Math.abs(theirs)))
        differences.push(`balance ${a}: ours ${ours}, exchange ${theirs}`);
    }
    for (const d of differences) this.log.warn({ difference: d }, 'reconciliation: the exchange wins');
    for (const o of open) this.known.set(o.clientOrderId, o);
    return { openOrders: open, balances, differences };
  }

  // ---- internals ---------------------------------------------------------------------------

  private async create(req: OrderRequest): Promise<Order> {
    // Binance turns a market order with a price into a quote-amount order: send base quantity only.
    const price = req.type === 'market' && this.opts.exchangeId === 'binance' ? undefined : req.price;
    const market = (this.ex.markets as Record<string, { swap?: boolean; future?: boolean } | undefined>)?.[
      req.symbol
    ];
    const derivative = market?.swap === true || market?.future === true;
    return this.ex.createOrder(req.symbol, req.type, req.side, req.amount, price, {
      clientOrderId: req.clientOrderId,
      ...(req.reduceOnly === true && derivative ? { reduceOnly: true } : {}),
    });
  }

  /** The order by client id; 'unknown' when the exchange cannot be asked; null when it has no such order. */
  private async lookup(req: OrderRequest): Promise<Order | null | 'unknown'> {
    let wait = this.delayMs;
    for (let i = 0; i < this.attempts; i++) {
      try {
        // ccxt turns this into Binance `origClientOrderId` / Hyperliquid `oid: <cloid>`.
        return await this.ex.fetchOrder(req.clientOrderId, req.symbol, { clientOrderId: req.clientOrderId });
      } catch (e) {
        if (e instanceof OrderNotFound) return null;
        this.log.warn(
          { clientOrderId: req.clientOrderId, err: this.clean(e) },
          'order lookup failed; retrying',
        );
        await new Promise((r) => setTimeout(r, wait));
        wait *= 2;
      }
    }
    return 'unknown';
  }

  private toResult(req: OrderRequest, o: Order, recovered: boolean): OrderResult {
    // Our request's size; Hyperliquid's `filled.totalSz` (parsed as amount) is only the filled part.
    const amount = req.amount;
    const filled = o.filled ?? 0;
    const remaining = Math.max(0, amount - filled);
    const complete = filled > 0 && remaining <= amount * 1e-9;
    let state: OrderState;
    if (o.status === 'rejected') state = 'rejected';
    else if (complete) state = 'filled';
    else if (o.status === 'open') state = filled > 0 ? 'partially_filled' : 'open';
    else state = filled > 0 ? 'partially_filled' : 'canceled';
    const avg = o.average ?? (filled > 0 && o.cost ? o.cost / filled : undefined);
    return {
      clientOrderId: req.clientOrderId,
      exchangeOrderId: o.id || undefined,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      state,
      amount,
      filled,
      remaining,
      averagePrice: filled > 0 ? avg : undefined,
      fee: o.fee?.cost,
      recovered,
    };
  }

  private rejected(req: OrderRequest, e: unknown): OrderResult {
    const reason = rejectReasonOf(e);
    const message = this.clean(e);
    this.log.warn(
      { clientOrderId: req.clientOrderId, symbol: req.symbol, reason, message },
      'order rejected',
    );
    return { ...base(req), state: 'rejected', rejectReason: reason, message, recovered: false };
  }

  private unknown(req: OrderRequest): OrderResult {
    const message =
      'the order request timed out and the exchange could not be asked about it; it is NOT resubmitted — check the exchange';
    this.log.error({ clientOrderId: req.clientOrderId, symbol: req.symbol }, message);
    return {
      ...base(req),
      state: 'rejected',
      rejectReason: 'unknown_after_timeout',
      message,
      recovered: false,
    };
  }

  private remember(r: OrderResult): OrderResult {
    this.known.set(r.clientOrderId, r);
    return r;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.wrap(e, what);
    }
  }

  private wrap(e: unknown, what: string): QuantgateError {
    if (e instanceof AuthenticationError || e instanceof PermissionDenied)
      return new QuantgateError(
        'SECRETS_MISSING',
        `${this.opts.exchangeId} ${what}: the exchange refused the API credentials (${this.clean(e)}); check ${credentialNames(this.opts.exchangeId)}`,
      );
    const code = e instanceof NetworkError ? 'NETWORK' : 'EXCHANGE';
    return new QuantgateError(code, `${this.opts.exchangeId} ${what} failed: ${this.clean(e)}`);
  }

  /** Error text without secrets and without ccxt's echo of the request body. */
  private clean(e: unknown): string {
    return this.opts.redactor.redact(describeError(e)).slice(0, 300);
  }
}

function base(req: OrderRequest): Omit<OrderResult, 'state' | 'recovered'> {
  return {
    clientOrderId: req.clientOrderId,
    symbol: req.symbol,
    side: req.side,
    type: req.type,
    amount: req.amount,
    filled: 0,
    remaining: req.amount,
  };
}

export function rejectReasonOf(e: unknown): RejectReason {
  if (e instanceof InsufficientFunds) return 'insufficient_funds';
  if (e instanceof InvalidOrder) return 'invalid_order';
  if (e instanceof AuthenticationError || e instanceof PermissionDenied) return 'auth_failed';
  if (e instanceof RateLimitExceeded) return 'rate_limited';
  if (e instanceof ExchangeNotAvailable || e instanceof RequestTimeout) return 'exchange_unavailable';
  return 'exchange_error';
}

function credentialNames(ex: ExchangeId): string {
  return Object.values(SECRET_ENV_VARS[ex]).join(' and ');
}

/**
 * Keys for real orders from the environment. Missing ones → SECRETS_MISSING naming exactly the
 * variables to set (never their values).
 */
export function credentialsFromEnv(ex: ExchangeId, env: NodeJS.ProcessEnv = process.env): CcxtCredentials {
  const names: Record<string, string> = SECRET_ENV_VARS[ex];
  const missing = Object.values(names).filter((n) => !env[n]);
  if (missing.length > 0)
    throw new QuantgateError(
      'SECRETS_MISSING',
      `--live on ${ex} needs API credentials in the environment: set ${missing.join(' and ')} (paper mode needs none)`,
    );
  return ex === 'binance'
    ? { apiKey: env[names.apiKey], secret: env[names.secret] }
    : { walletAddress: env[names.walletAddress], privateKey: env[names.privateKey] };
}

/** ccxt's private REST base must point at the same server as the public one (simulator). */
export function pointPrivateApi(ex: CcxtExchange, exchangeId: ExchangeId, rest: string): void {
  const urls = ex.urls as unknown as { api: Record<string, unknown> };
  urls.api.private = rest;
  // Margin pair lists live on /sapi, which a local server does not serve.
  ex.options.fetchMargins = false;
  if (exchangeId === 'hyperliquid') urls.api.public = rest;
}
