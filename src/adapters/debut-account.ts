import type { DebutCore, ExecutedOrder, OrderType, PendingOrder } from '@debut/types';
import type { Direction } from '../core/types.ts';
import type { AccountView, PositionInfo } from '../strategy/index.ts';

// `OrderType` is a `const enum` in @debut/types; isolated modules cannot read it at run time.
export const BUY = 'BUY' as OrderType;
export const SELL = 'SELL' as OrderType;

/** What the adapter remembers of an entry it placed (Debut's order knows nothing of quantgate). */
export interface DebutEntry {
  /** Debut's client id of the order, as a string (Debut makes hex strings; its types say number). */
  readonly cid: string;
  readonly direction: Direction;
  readonly takeProfit: number;
  readonly stopLoss: number;
  /** Open time of the candle the entry was decided on (quantgate's `PositionInfo.entryTime`). */
  readonly decidedAt: number;
}

/** The account state the adapter keeps beside Debut's (which has no balance of its own). */
export interface DebutBook {
  /** `opts.amount × equityLevel` when the plugin was registered: the capital Debut trades. */
  startBalance: number;
  /** Realised PnL of every order Debut closed since, commissions of both legs included. */
  realised: number;
  readonly entries: Map<string, DebutEntry>;
  /** True while the adapter's own `createOrder` call is under way. */
  placing: boolean;
}

export const isExecuted = (o: PendingOrder | ExecutedOrder): o is ExecutedOrder => 'orderId' in o;

export const directionOf = (type: OrderType): Direction => (type === SELL ? 'short' : 'long');

/** Quantity in base units of an order (Debut counts lots of `instrument.lot` units). */
export function unitsOf(debut: DebutCore, lots: number): number {
  return lots * (debut.instrument?.lot ?? 1);
}

/** Profit of an open order marked at `price`, its entry commission paid (plugin-utils' formula). */
export function openProfit(debut: DebutCore, o: ExecutedOrder, price: number): number {
  const sign = o.type === SELL ? -1 : 1;
  return (price - o.price) * unitsOf(debut, o.executedLots) * sign - o.commission.value;
}

/** Realised PnL of a close (`order`) of `closing`: price move over the closed lots, both commissions. */
export function closeProfit(debut: DebutCore, order: ExecutedOrder, closing: ExecutedOrder): number {
  const sign = closing.type === SELL ? -1 : 1;
  const share = closing.executedLots > 0 ? Math.min(1, order.executedLots / closing.executedLots) : 1;
  return (
    (order.price - closing.price) * unitsOf(debut, order.executedLots) * sign -
    order.commission.value -
    closing.commission.value * share
  );
}

/** Debut's executed orders the adapter opened (the plugin's position; other authors' are not). */
export function ownOrders(debut: DebutCore, book: DebutBook): ExecutedOrder[] {
  return debut.orders.filter(
    (o): o is ExecutedOrder => isExecuted(o) && !o.close && book.entries.has(String(o.cid)),
  );
}

/**
 * The plugin's read-only account, read from Debut's state at each call: equity is the start
 * balance plus realised PnL plus every open order marked at Debut's latest price (Debut itself
 * keeps no balance: its stats plugin starts from `opts.amount` the same way); the position is the
 * orders this adapter opened; an order is pending while Debut holds one without an `orderId`.
 */
export function debutAccountView(
  debut: () => DebutCore | undefined,
  book: DebutBook,
  symbol: string,
): AccountView {
  return {
    equity: () => {
      const d = debut();
      if (!d) return book.startBalance;
      const price = d.currentCandle?.c;
      let open = 0;
      for (const o of d.orders) if (isExecuted(o) && !o.close) open += openProfit(d, o, price ?? o.price);
      return book.startBalance + book.realised + open;
    },
    position: (s: string): PositionInfo | null => {
      const d = debut();
      if (!d || s !== symbol) return null;
      const own = ownOrders(d, book);
      if (own.length === 0) return null;
      const quantity = own.reduce((a, o) => a + unitsOf(d, o.executedLots), 0);
      const entryPrice = own.reduce((a, o) => a + o.price * unitsOf(d, o.executedLots), 0) / quantity;
      const first = book.entries.get(String(own[0].cid))!;
      return { direction: first.direction, quantity, entryPrice, entryTime: first.decidedAt };
    },
    hasPending: (s: string) => {
      const d = debut();
      return s === symbol && (book.placing || (d?.orders.some((o) => !isExecuted(o)) ?? false));
    },
  };
}
