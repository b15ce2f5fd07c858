import type { ClosedCandle } from '../core/types.ts';
import type { OrderRequest, OrderResult } from '../exchange/index.ts';
import type { OrderExecutor } from './executor.ts';

const MAX_RESULTS = 2_000;

interface PaperExecutorState {
  readonly results: Array<[string, OrderResult]>;
  readonly waiting: OrderRequest[];
}

/**
 * Paper fills for the runtime without keys. A market order is accepted when the decision is made
 * (on a closed candle, whose close is already history) and fills at the NEXT candle's open of its
 * symbol, moved against us by `slippageBps`, with the taker fee. Take-profit and stop-loss are
 * client-side (the runtime sees the candle touch a level and sends a market order), so they fill
 * at the next open too — the same thing happens with real orders, which is the point.
 */
export class PaperExecutor implements OrderExecutor {
  readonly kind = 'paper' as const;
  private results = new Map<string, OrderResult>();
  private waiting: OrderRequest[] = [];

  constructor(
    readonly feeRate: number,
    private readonly slippageBps: number,
  ) {}

  async submit(req: OrderRequest): Promise<OrderResult> {
    const done = this.results.get(req.clientOrderId);
    if (done) return done;
    const base = {
      clientOrderId: req.clientOrderId,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      amount: req.amount,
      recovered: false,
    };
    const r: OrderResult =
      req.amount > 0
        ? { ...base, state: 'open', filled: 0, remaining: req.amount }
        : {
            ...base,
            state: 'rejected',
            filled: 0,
            remaining: req.amount,
            rejectReason: 'invalid_order',
            message: `amount must be > 0, got ${req.amount}`,
          };
    this.remember(r);
    if (r.state === 'open') this.waiting.push(req);
    return r;
  }

  onCandle(c: ClosedCandle): void {
    const mine = this.waiting.filter((o) => o.symbol === c.symbol);
    if (mine.length === 0) return;
    this.waiting = this.waiting.filter((o) => o.symbol !== c.symbol);
    for (const o of mine) {
      const slip = (this.slippageBps / 10_000) * (o.side === 'buy' ? 1 : -1);
      const price = c.open * (1 + slip);
      const prev = this.results.get(o.clientOrderId)!;
      this.remember({
        ...prev,
        state: 'filled',
        filled: o.amount,
        remaining: 0,
        averagePrice: price,
        fee: o.amount * price * this.feeRate,
      });
    }
  }

  /** Results are kept for idempotent resubmission after a restart; the oldest are dropped so memory stays flat. */
  private remember(r: OrderResult): void {
    this.results.delete(r.clientOrderId);
    this.results.set(r.clientOrderId, r);
    if (this.results.size > MAX_RESULTS) this.results.delete(this.results.keys().next().value as string);
  }

  async fetch(clientOrderId: string): Promise<OrderResult | undefined> {
    return this.results.get(clientOrderId);
  }

  snapshot(): PaperExecutorState {
    return { results: [...this.results], waiting: [...this.waiting] };
  }

  restore(state: unknown): void {
    const s = state as Partial<PaperExecutorState>;
    this.results = new Map(s.results ?? []);
    this.waiting = [...(s.waiting ?? [])];
  }
}
