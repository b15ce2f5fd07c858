import type { Candle as DebutCandle, DebutCore, ExecutedOrder, PendingOrder } from '@debut/types';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Signal } from '../core/types.ts';
import type { AccountView, OrderUpdate, StrategyPlugin } from '../strategy/index.ts';
import type { DebutBook } from './debut-account.ts';
import { BUY, SELL, closeProfit, directionOf, ownOrders, unitsOf } from './debut-account.ts';
import type { RiskManager } from '../runtime/index.ts';

/** Why the adapter did not act on a signal, or what became of an order (counted and kept). */
export type DebutOutcome =
  | 'opened'
  | 'closed'
  | 'position_open'
  | 'order_pending'
  | 'zero_size'
  | 'short_not_supported_on_spot'
  | 'risk_refused'
  | 'size_below_lot'
  | 'vetoed_by_plugin'
  | 'vetoed_by_debut_plugin'
  | 'not_opened'
  | 'place_failed'
  | 'close_vetoed'
  | 'strategy_failed'
  | 'incomplete_bucket';

export interface DebutEvent {
  /** Open time of the candle (or Debut's order time) it happened at. */
  readonly time: number;
  readonly outcome: DebutOutcome;
  readonly detail: string;
}

const KEEP = 1000;

/** What the adapter did, counted by outcome, the last `KEEP` kept. */
export class DebutEvents {
  readonly list: DebutEvent[] = [];
  readonly counts: Partial<Record<DebutOutcome, number>> = {};
  note(time: number, outcome: DebutOutcome, detail: string): void {
    this.counts[outcome] = (this.counts[outcome] ?? 0) + 1;
    this.list.push({ time, outcome, detail });
    if (this.list.length > KEEP) this.list.shift();
  }
}

export interface DebutOrdersOptions {
  readonly strategy: Pick<StrategyPlugin, 'beforeOpen' | 'onOrderUpdate'>;
  readonly symbol: string;
  readonly book: DebutBook;
  readonly account: AccountView;
  readonly events: DebutEvents;
  readonly logger: Logger;
  readonly risk?: Pick<RiskManager, 'checkEntry' | 'recordOrder'>;
}

/** The adapter's open attempt, alive for one `createOrder` call. */
interface Intent {
  readonly signal: Signal;
  readonly quantity: number;
  /** The adapter's onBeforeOpen was reached (no Debut plugin before it skipped the open). */
  asked: boolean;
  /** Why the adapter's onBeforeOpen skipped it itself. */
  refused?: string;
  /** Debut's client id of the pending order, once the adapter's onBeforeOpen saw it. */
  cid?: string;
  /** The adapter's onBeforeOpen let it through with quantgate's lots. */
  sized?: boolean;
}

/**
 * The order side of the adapter, on Debut's terms (debut-js/Core src/modules/debut.ts):
 * `createOrder` → every plugin's `onBeforeOpen` (the first truthy one skips: `createOrder` resolves
 * `undefined`) → the pending order joins `orders` → transport `placeOrder` (a failure re-throws,
 * or resolves `undefined` on Core 4.0.12 and older) → `onOpen`; `closeOrder` → `onBeforeClose`
 * (skip: `undefined`) → `placeOrder` → `onClose(order, closing)`.
 */
export class DebutOrders {
  private intent: Intent | undefined;
  private readonly closeReasons = new Map<string, string>();
  private readonly closeVetoed = new Set<string>();

  constructor(private readonly o: DebutOrdersOptions) {}

  /** An `open` signal; `now` is the decision candle's close time (the risk manager's clock). */
  async open(d: DebutCore, s: Signal, now: number): Promise<void> {
    const { book, events, risk } = this.o;
    const at = s.timestamp;
    if (ownOrders(d, book).length > 0) return events.note(at, 'position_open', 'an entry is open');
    if (book.placing || d.orders.some((x) => !('orderId' in x)))
      return events.note(at, 'order_pending', 'an order is pending');
    if (!(s.size > 0)) return events.note(at, 'zero_size', `size ${s.size}`);
    if (s.direction === 'short' && (d.opts.instrumentType ?? 'SPOT') === 'SPOT')
      return events.note(at, 'short_not_supported_on_spot', 'Debut instrumentType SPOT cannot short');
    let quantity = s.size;
    if (risk) {
      const verdict = risk.checkEntry({
        now,
        symbol: this.o.symbol,
        price: s.price,
        quantity,
        equity: this.o.account.equity(),
        // One symbol per Debut bot, flat here: nothing of this bot is open.
        openPositions: 0,
        symbolNotional: 0,
        totalNotional: 0,
      });
      if (!verdict.ok) return events.note(at, 'risk_refused', `${verdict.reason}: ${verdict.detail}`);
      quantity = verdict.quantity;
      risk.recordOrder(now);
    }
    const veto = this.o.strategy.beforeOpen?.(s, quantity) ?? null;
    if (veto) return events.note(at, 'vetoed_by_plugin', veto.reason);
    await this.place(d, { signal: s, quantity, asked: false }, now);
  }

  /** The plugin's entry ended without a fill: one update, nothing filled. */
  private failed(intent: Intent, status: 'canceled' | 'rejected', now: number, message: string): void {
    const s = intent.signal;
    this.update({
      symbol: this.o.symbol,
      kind: 'entry',
      status,
      direction: s.direction,
      price: 0,
      quantity: 0,
      timestamp: now,
      clientOrderId: intent.cid ?? `${this.o.symbol}:${s.timestamp}:open`,
      reason: 'open',
      message,
    });
  }

  /** `now`: the decision candle's close, the time the outcome of a failed entry is known. */
  private async place(d: DebutCore, intent: Intent, now: number): Promise<void> {
    const { book, events, logger, symbol } = this.o;
    const s = intent.signal;
    const at = s.timestamp;
    this.intent = intent;
    book.placing = true;
    try {
      const order = (await d.createOrder(s.direction === 'long' ? BUY : SELL)) as ExecutedOrder | undefined;
      if (order) return;
      if (intent.refused) {
        events.note(at, 'size_below_lot', intent.refused);
        this.failed(intent, 'rejected', now, intent.refused);
      } else if (!intent.asked) {
        const why = 'a Debut plugin before this one skipped the open';
        events.note(at, 'vetoed_by_debut_plugin', why);
        this.failed(intent, 'canceled', now, why);
      } else {
        const why = 'skipped by a later Debut plugin, or placing failed (Core <= 4.0.12 resolves undefined)';
        events.note(at, 'not_opened', why);
        this.failed(intent, 'canceled', now, why);
      }
      logger.warn(
        { symbol, direction: s.direction, reason: intent.refused },
        'debut adapter: Debut did not open the order',
      );
    } catch (e) {
      events.note(at, 'place_failed', describeError(e));
      this.failed(intent, 'rejected', now, describeError(e));
      logger.error(
        { err: describeError(e), symbol, direction: s.direction },
        'debut adapter: Debut failed to place the order',
      );
    } finally {
      this.intent = undefined;
      book.placing = false;
    }
  }

  /** A `close` signal: every entry the adapter opened. */
  async closeAll(d: DebutCore, reason: string, time: number): Promise<void> {
    for (const order of ownOrders(d, this.o.book)) await this.close(d, order, reason, time);
  }

  private async close(d: DebutCore, order: ExecutedOrder, reason: string, time: number): Promise<void> {
    const { events, logger, symbol } = this.o;
    const cid = String(order.cid);
    this.closeReasons.set(cid, reason);
    let closed: ExecutedOrder | undefined;
    try {
      closed = (await d.closeOrder(order)) as ExecutedOrder | undefined;
    } catch (e) {
      this.closeReasons.delete(cid);
      events.note(time, 'place_failed', `close: ${describeError(e)}`);
      logger.error(
        { err: describeError(e), symbol, reason },
        'debut adapter: Debut failed to close the order',
      );
      return;
    }
    if (closed) return;
    // An onBeforeClose hook skipped the close (Debut resolves undefined): retried on later ticks.
    this.closeReasons.delete(cid);
    if (!this.closeVetoed.has(cid)) {
      this.closeVetoed.add(cid);
      events.note(time, 'close_vetoed', `${reason}: a Debut plugin skipped the close`);
      logger.warn(
        { symbol, reason },
        'debut adapter: a Debut plugin skipped closing the entry; retrying on later ticks',
      );
    }
  }

  /**
   * Debut's onBeforeOpen. Opens no quantgate signal asked for are skipped. For the adapter's own,
   * quantgate sizes the order: Debut's lots (from `opts.amount`) give way to the signal's quantity,
   * rounded the way Debut's transport rounds lots for the instrument. Debut passes the very pending
   * order it then places, so setting its lots is how a plugin sizes an order.
   */
  beforeOpen(d: DebutCore, order: PendingOrder): boolean | void {
    const intent = this.intent;
    if (!intent) {
      this.o.logger.warn(
        { symbol: this.o.symbol, type: order.type },
        'debut adapter: vetoed an open no quantgate signal asked for',
      );
      return true;
    }
    intent.asked = true;
    intent.cid = String(order.cid);
    const { lot = 1, id, minQuantity = 0, minNotional = 0 } = d.instrument;
    const lots = d.transport.prepareLots(intent.quantity / lot, id);
    const units = lots * lot;
    if (!(lots > 0) || units < minQuantity || units * order.price < minNotional) {
      intent.refused = `quantity ${intent.quantity} → ${lots} lots (min quantity ${minQuantity}, min notional ${minNotional})`;
      return true;
    }
    order.lots = lots;
    intent.sized = true;
    return undefined;
  }

  /** Debut's onOpen: the adapter's entry filled. */
  opened(d: DebutCore, order: ExecutedOrder): void {
    const intent = this.intent;
    if (!intent?.sized || String(order.cid) !== intent.cid) return;
    const s = intent.signal;
    this.o.book.entries.set(intent.cid, {
      cid: intent.cid,
      direction: directionOf(order.type),
      takeProfit: s.takeProfit,
      stopLoss: s.stopLoss,
      decidedAt: s.timestamp,
    });
    const quantity = unitsOf(d, order.executedLots);
    this.o.events.note(order.time, 'opened', `${s.direction} ${quantity} @ ${order.price}`);
    this.update({
      symbol: this.o.symbol,
      kind: 'entry',
      status: 'filled',
      direction: directionOf(order.type),
      price: order.price,
      quantity,
      timestamp: order.time,
      clientOrderId: String(order.cid),
      reason: 'open',
    });
  }

  /**
   * Debut's onTick: take-profit / stop-loss at the tick's price (Debut fills market orders at the
   * latest tick's close; a tick's high/low span the whole forming candle, also before the entry).
   */
  async tick(d: DebutCore, tick: DebutCandle): Promise<void> {
    for (const order of ownOrders(d, this.o.book)) {
      const e = this.o.book.entries.get(String(order.cid))!;
      const p = tick.c;
      const long = e.direction === 'long';
      const stop = long ? p <= e.stopLoss : p >= e.stopLoss;
      const target = long ? p >= e.takeProfit : p <= e.takeProfit;
      if (stop || target) await this.close(d, order, stop ? 'stop_loss' : 'take_profit', tick.time);
    }
  }

  /** Debut's onClose (any author's close): realised PnL, and the plugin's exit if it was its entry. */
  closed(d: DebutCore, order: ExecutedOrder, closing: ExecutedOrder): void {
    const { book } = this.o;
    book.realised += closeProfit(d, order, closing);
    const cid = String(closing.cid);
    const entry = book.entries.get(cid);
    if (!entry) return;
    const reason = this.closeReasons.get(cid) ?? 'closed_by_debut';
    // A partial close (Debut's reduceOrder) leaves the order in `orders`: the entry stays.
    if (!d.orders.some((x) => String(x.cid) === cid)) {
      book.entries.delete(cid);
      this.closeReasons.delete(cid);
      this.closeVetoed.delete(cid);
    }
    const quantity = unitsOf(d, order.executedLots);
    this.o.events.note(order.time, 'closed', `${reason} ${quantity} @ ${order.price}`);
    this.update({
      symbol: this.o.symbol,
      kind: 'exit',
      status: 'filled',
      direction: entry.direction,
      price: order.price,
      quantity,
      timestamp: order.time,
      clientOrderId: String(order.cid),
      reason,
    });
  }

  private update(u: OrderUpdate): void {
    try {
      this.o.strategy.onOrderUpdate?.(u);
    } catch (e) {
      this.o.logger.error(
        { err: describeError(e), symbol: this.o.symbol },
        'debut adapter: strategy onOrderUpdate failed',
      );
    }
  }
}
