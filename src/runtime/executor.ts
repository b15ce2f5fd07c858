import type { ClosedCandle } from '../core/types.ts';
import type { OrderRequest, OrderResult } from '../exchange/index.ts';

/** What the runtime needs from a broker: the real CcxtBroker or a paper one. */
export interface OrderExecutor {
  readonly kind: 'paper' | 'live';
  /** Idempotent per client order id. */
  submit(req: OrderRequest): Promise<OrderResult>;
  /** The order by client id, undefined when the broker has never seen it. */
  fetch(clientOrderId: string, symbol: string): Promise<OrderResult | undefined>;
  /** Fee rate assumed when a fill reports none (Hyperliquid reports fees with fills only). */
  readonly feeRate: number;
  /** A closed execution candle (paper fills queued market orders at its open). */
  onCandle?(c: ClosedCandle): void;
  /** Executor state saved with the runtime's (paper orders waiting for their fill). */
  snapshot?(): unknown;
  restore?(state: unknown): void;
}

/** The real-order broker as the runtime's executor. */
export function liveExecutor(
  broker: {
    submit(req: OrderRequest): Promise<OrderResult>;
    fetch(id: string, symbol: string): Promise<OrderResult | undefined>;
  },
  feeRate: number,
): OrderExecutor {
  return {
    kind: 'live',
    feeRate,
    submit: (req) => broker.submit(req),
    fetch: (id, symbol) => broker.fetch(id, symbol),
  };
}
