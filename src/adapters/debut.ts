import type {
  Candle as DebutCandle,
  DebutCore,
  ExecutedOrder,
  OrderType,
  PendingOrder,
  PluginCtx,
  PluginInterface,
} from '@debut/types';
import type { ClosedCandle, ExchangeId, Signal, Timeframe } from '../core/types.ts';
import type { Logger } from '../core/logger.ts';
import { describeError } from '../core/errors.ts';

/**
 * The part of a quantgate strategy plugin a host needs (a structural subset of the strategy's
 * plugin interface, so this adapter does not depend on its implementation).
 */
export interface HostedStrategy {
  readonly name: string;
  onCandle(c: ClosedCandle): Promise<Signal | null>;
  snapshot?(): unknown;
  restore?(state: unknown): void;
  dispose?(): Promise<void>;
}

export interface DebutAdapterOptions {
  readonly strategy: HostedStrategy;
  /** Which quantgate series Debut's candles are (Debut knows only its ticker). */
  readonly exchange: ExchangeId;
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly logger: Logger;
}

/** Exits quantgate computed for a position Debut opened (from the signal's quantiles). */
export interface DebutExit {
  readonly orderCid: number;
  readonly direction: 'long' | 'short';
  readonly takeProfit: number;
  readonly stopLoss: number;
}

export interface DebutAdapterApi {
  /** Signals the strategy produced, most recent last (bounded). */
  signals(): readonly Signal[];
  exits(): readonly DebutExit[];
}

interface DebutAdapterSnapshot extends Record<string, unknown> {
  strategy: unknown;
  exits: DebutExit[];
}

export type QuantgateDebutPlugin = PluginInterface & { readonly api: DebutAdapterApi };

// Debut declares OrderType as a `const enum`, which isolated modules cannot read at run time.
const BUY = 'BUY' as OrderType;
const SELL = 'SELL' as OrderType;
const MAX_SIGNALS = 1000;

/**
 * Runs a quantgate strategy inside Debut: each closed Debut candle becomes a `ClosedCandle`,
 * an `open` signal opens a Debut order in its direction (Debut sizes it with `opts.amount`),
 * ticks close it at the signal's take-profit or stop-loss, a `close` signal closes everything.
 * The strategy's state rides along in Debut's snapshot / hydrate hooks.
 */
export function quantgateDebutPlugin(opts: DebutAdapterOptions): QuantgateDebutPlugin {
  const { strategy, logger } = opts;
  const signals: Signal[] = [];
  let exits: DebutExit[] = [];
  let pending: Signal | undefined;
  const toClosed = (c: DebutCandle): ClosedCandle => ({
    exchange: opts.exchange,
    symbol: opts.symbol,
    timeframe: opts.timeframe,
    timestamp: c.time,
    open: c.o,
    high: c.h,
    low: c.l,
    close: c.c,
    volume: c.v,
  });
  const openOrders = (debut: DebutCore) => debut.orders.filter((o) => !o.close);

  return {
    name: `quantgate:${strategy.name}`,
    api: { signals: () => signals, exits: () => exits },

    async onCandle(this: PluginCtx, candle: DebutCandle): Promise<void> {
      let signal: Signal | null;
      try {
        signal = await strategy.onCandle(toClosed(candle));
      } catch (e) {
        logger.error(
          { err: describeError(e), symbol: opts.symbol },
          'debut adapter: strategy failed on a candle',
        );
        return;
      }
      if (!signal) return;
      signals.push(signal);
      if (signals.length > MAX_SIGNALS) signals.shift();
      logger.info({ signal }, 'debut adapter: signal');
      if (signal.action === 'close') {
        await this.debut.closeAll();
        exits = [];
        return;
      }
      if (openOrders(this.debut).length > 0) return;
      pending = signal;
      try {
        const order = await this.debut.createOrder(signal.direction === 'long' ? BUY : SELL);
        exits.push({
          orderCid: order.cid,
          direction: signal.direction,
          takeProfit: signal.takeProfit,
          stopLoss: signal.stopLoss,
        });
      } finally {
        pending = undefined;
      }
    },

    onBeforeOpen(this: PluginCtx, order: PendingOrder): boolean | void {
      // Debut asks before every open; only orders our signal asked for pass on this symbol.
      if (!pending) {
        logger.warn({ cid: order.cid }, 'debut adapter: vetoed an open that no quantgate signal asked for');
        return true;
      }
      return undefined;
    },

    async onTick(this: PluginCtx, tick: DebutCandle): Promise<void> {
      for (const order of openOrders(this.debut)) {
        const exit = exits.find((x) => x.orderCid === order.cid);
        if (!exit) continue;
        const price = tick.c;
        const hit =
          exit.direction === 'long'
            ? price >= exit.takeProfit || price <= exit.stopLoss
            : price <= exit.takeProfit || price >= exit.stopLoss;
        if (!hit) continue;
        exits = exits.filter((x) => x !== exit);
        await this.debut.closeOrder(order);
      }
    },

    async onClose(this: PluginCtx, _order: ExecutedOrder, closing: ExecutedOrder): Promise<void> {
      exits = exits.filter((x) => x.orderCid !== closing.cid);
    },

    onSnapshot(): Record<string, unknown> {
      const snap: DebutAdapterSnapshot = { strategy: strategy.snapshot?.(), exits };
      return snap;
    },

    onHydrate(data: Record<string, unknown>): void {
      const snap = data as Partial<DebutAdapterSnapshot>;
      if (snap.strategy !== undefined) strategy.restore?.(snap.strategy);
      exits = Array.isArray(snap.exits) ? snap.exits : [];
    },

    async onDispose(): Promise<void> {
      await strategy.dispose?.();
    },
  };
}
