import type { Side } from '../core/types.ts';

/** Take-profit / stop-loss prices attached to an entry; placed as one-cancels-other exits when it fills. */
export interface Bracket {
  readonly takeProfit: number;
  readonly stopLoss: number;
}

/** An order as the strategy host asks for it. `stop` is a stop-market order triggered at `price`. */
export interface BrokerOrderRequest {
  /** `0x` + 32 hex digits; the idempotency key (same id twice → the same order). */
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: 'market' | 'limit' | 'stop';
  /** Base units, > 0. */
  readonly amount: number;
  /** Limit price, or the trigger of a stop order. */
  readonly price?: number;
  /** Only ever reduces the position (exits). */
  readonly reduceOnly?: boolean;
  readonly bracket?: Bracket;
}

export type BrokerOrderState = 'open' | 'filled' | 'canceled' | 'rejected';

export interface BrokerOrder extends BrokerOrderRequest {
  readonly state: BrokerOrderState;
  /** Time (ms, candle time) the order was accepted. */
  readonly createdAt: number;
  readonly filled: number;
  readonly averagePrice?: number;
  /** Quote currency. */
  readonly fee: number;
  /** Client id of the entry whose bracket created this exit. */
  readonly parentId?: string;
  readonly rejectReason?: string;
}

export interface BrokerFill {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly amount: number;
  readonly price: number;
  readonly fee: number;
  readonly liquidity: 'maker' | 'taker';
  /** Open time of the candle during which it filled. */
  readonly timestamp: number;
}

/** Signed base amount (negative = short), average entry price and PnL in quote currency. */
export interface BrokerPosition {
  readonly symbol: string;
  readonly amount: number;
  readonly entryPrice: number;
  /** Closed PnL net of all fees paid on this symbol. */
  readonly realisedPnl: number;
  /** Mark-to-last-close PnL of the open amount. */
  readonly unrealisedPnl: number;
}

export interface Balance {
  readonly free: number;
  readonly used: number;
  readonly total: number;
}

export type Unsubscribe = () => void;

/** What a strategy host trades through: the paper broker or a real exchange. */
export interface Broker {
  submit(req: BrokerOrderRequest): Promise<BrokerOrder>;
  /** The order after cancelling; undefined when the id is unknown. Filled orders stay filled. */
  cancel(clientOrderId: string): Promise<BrokerOrder | undefined>;
  openOrders(symbol?: string): Promise<BrokerOrder[]>;
  positions(): Promise<BrokerPosition[]>;
  balances(): Promise<Record<string, Balance>>;
  onFill(listener: (fill: BrokerFill) => void): Unsubscribe;
  onOrderUpdate(listener: (order: BrokerOrder) => void): Unsubscribe;
}
