import type { OrderRequest, OrderResult } from '../exchange/index.ts';
import type { OrderExecutor } from './executor.ts';

/**
 * Paper fills for the live runtime without keys: a market order fills completely at the latest
 * price the runtime has seen, moved against us by `slippageBps`, with the taker fee. Kept
 * deliberately small; the strategy's PaperBroker (next-open fills) is the backtest's model.
 */
export class PaperExecutor implements OrderExecutor {
  readonly kind = 'paper' as const;
  private readonly orders = new Map<string, OrderResult>();

  constructor(
    private readonly lastPrice: (symbol: string) => number | undefined,
    readonly feeRate: number,
    private readonly slippageBps: number,
  ) {}

  async submit(req: OrderRequest): Promise<OrderResult> {
    const done = this.orders.get(req.clientOrderId);
    if (done) return done;
    const last = this.lastPrice(req.symbol);
    const base = {
      clientOrderId: req.clientOrderId,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      amount: req.amount,
      recovered: false,
    };
    if (last === undefined || !(req.amount > 0)) {
      const r: OrderResult = {
        ...base,
        state: 'rejected',
        filled: 0,
        remaining: req.amount,
        rejectReason: 'invalid_order',
        message: `no price yet for ${req.symbol}`,
      };
      this.orders.set(req.clientOrderId, r);
      return r;
    }
    const slip = (this.slippageBps / 10_000) * (req.side === 'buy' ? 1 : -1);
    const price = last * (1 + slip);
    const r: OrderResult = {
      ...base,
      state: 'filled',
      filled: req.amount,
      remaining: 0,
      averagePrice: price,
      fee: req.amount * price * this.feeRate,
    };
    this.orders.set(req.clientOrderId, r);
    return r;
  }

  async fetch(clientOrderId: string): Promise<OrderResult | undefined> {
    return this.orders.get(clientOrderId);
  }
}
