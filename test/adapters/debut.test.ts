import { describe, expect, it } from 'vitest';
import type {
  Candle as DebutCandle,
  DebutCore,
  ExecutedOrder,
  OrderType,
  PendingOrder,
  PluginCtx,
  PluginInterface,
} from '@debut/types';
import type { ClosedCandle, Signal } from '../../src/core/index.ts';
import { silentLogger } from '../../src/core/index.ts';
import { quantgateDebutPlugin } from '../../src/adapters/index.ts';
import type { HostedStrategy } from '../../src/adapters/index.ts';
import { fixtureCandles } from '../simulator/helpers.ts';

/** A deterministic strategy: long after two rising closes, exits ±0.5 % (stands in for the model plugin). */
class RisingStrategy implements HostedStrategy {
  readonly name = 'rising';
  seen: ClosedCandle[] = [];
  disposed = false;
  async onCandle(c: ClosedCandle): Promise<Signal | null> {
    this.seen.push(c);
    const n = this.seen.length;
    if (n < 3) return null;
    const [a, b] = [this.seen[n - 3].close, this.seen[n - 2].close];
    if (!(b > a && c.close > b)) return null;
    return {
      exchange: c.exchange,
      symbol: c.symbol,
      timestamp: c.timestamp,
      action: 'open',
      direction: 'long',
      confidence: 0.7,
      riskReward: 1.5,
      size: 0.01,
      price: c.close,
      takeProfit: c.close * 1.005,
      stopLoss: c.close * 0.995,
      modelVersions: { '5m': 'test' },
      reason: 'two rising closes',
    };
  }
  snapshot(): unknown {
    return { seen: this.seen.length };
  }
  restore(state: unknown): void {
    this.restored = state;
  }
  restored: unknown;
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/**
 * The smallest Debut host that keeps Debut's contract: plugins' skip hooks run before an open,
 * onOpen / onClose after, orders live in `orders` until closed.
 */
class FakeDebut {
  orders: Array<PendingOrder | ExecutedOrder> = [];
  closed: Array<{ open: ExecutedOrder; close: ExecutedOrder }> = [];
  private cid = 1;
  current: DebutCandle = { o: 0, h: 0, l: 0, c: 0, v: 0, time: 0 };
  constructor(private readonly plugin: PluginInterface) {}

  get core(): DebutCore {
    return {
      orders: this.orders,
      createOrder: (t: OrderType) => this.createOrder(t),
      closeOrder: (o: ExecutedOrder | PendingOrder) => this.closeOrder(o),
      closeAll: async () => Promise.all([...this.orders].map((o) => this.closeOrder(o))),
    } as unknown as DebutCore;
  }

  ctx(): PluginCtx {
    return { debut: this.core, findPlugin: () => this.plugin } as unknown as PluginCtx;
  }

  async createOrder(type: OrderType): Promise<ExecutedOrder> {
    const pending: PendingOrder = {
      cid: this.cid++,
      type,
      author: 'test',
      time: this.current.time,
      price: this.current.c,
      lots: 1,
    };
    if (this.plugin.onBeforeOpen?.call(this.ctx(), pending)) throw new Error('open vetoed');
    const order: ExecutedOrder = {
      ...pending,
      orderId: String(pending.cid),
      executedLots: 1,
      commission: { currency: 'USDT', value: 0 },
    };
    this.orders.push(order);
    await this.plugin.onOpen?.call(this.ctx(), order);
    return order;
  }

  async closeOrder(o: ExecutedOrder | PendingOrder): Promise<ExecutedOrder> {
    const open = o as ExecutedOrder;
    const close: ExecutedOrder = {
      ...open,
      cid: open.cid,
      close: true,
      price: this.current.c,
      openPrice: open.price,
      time: this.current.time,
    };
    this.orders = this.orders.filter((x) => x !== o);
    this.closed.push({ open, close });
    await this.plugin.onClose?.call(this.ctx(), close, open);
    return close;
  }

  /** One candle: a tick at its close, then the closed candle (Debut's order of events). */
  async feed(c: DebutCandle): Promise<void> {
    this.current = c;
    await this.plugin.onTick?.call(this.ctx(), c);
    await this.plugin.onCandle?.call(this.ctx(), c);
  }
}

describe('Debut adapter', () => {
  const candles = fixtureCandles('5m', 'BTCUSDT').slice(0, 120);
  const debutCandles: DebutCandle[] = candles.map((c) => ({
    o: c.open,
    h: c.high,
    l: c.low,
    c: c.close,
    v: c.volume,
    time: c.timestamp,
  }));

  it('turns Debut candles into closed candles, opens on signals, exits at the quantile TP/SL', async () => {
    const strategy = new RisingStrategy();
    const plugin = quantgateDebutPlugin({
      strategy,
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '5m',
      logger: silentLogger(),
    });
    const host = new FakeDebut(plugin);
    plugin.onInit?.call(host.ctx());
    for (const c of debutCandles) await host.feed(c);

    expect(strategy.seen).toHaveLength(debutCandles.length);
    expect(strategy.seen[5]).toEqual({
      ...candles[5],
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '5m',
    });
    expect(plugin.api.signals().length).toBeGreaterThan(0);
    expect(host.closed.length).toBeGreaterThan(0);
    for (const { open, close } of host.closed) {
      const sig = plugin.api.signals().find((s) => s.price === open.price)!;
      expect(sig).toBeDefined();
      // Each exit happened at a tick beyond the signal's take-profit or stop-loss.
      expect(close.price >= sig.takeProfit || close.price <= sig.stopLoss).toBe(true);
    }
    // Never more than one position at a time on the symbol.
    expect(host.orders.length).toBeLessThanOrEqual(1);
  });

  it('vetoes opens no signal asked for, and round-trips state through snapshot / hydrate', async () => {
    const strategy = new RisingStrategy();
    const plugin = quantgateDebutPlugin({
      strategy,
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '5m',
      logger: silentLogger(),
    });
    const host = new FakeDebut(plugin);
    await expect(host.createOrder('BUY' as OrderType)).rejects.toThrow('open vetoed');
    for (const c of debutCandles.slice(0, 30)) await host.feed(c);
    const snap = plugin.onSnapshot!.call(host.ctx());
    const again = new RisingStrategy();
    const plugin2 = quantgateDebutPlugin({
      strategy: again,
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '5m',
      logger: silentLogger(),
    });
    plugin2.onHydrate!.call(host.ctx(), JSON.parse(JSON.stringify(snap)) as Record<string, unknown>);
    expect(again.restored).toEqual({ seen: 30 });
    expect(plugin2.api.exits()).toEqual(plugin.api.exits());
    await plugin.onDispose!.call(host.ctx());
    expect(strategy.disposed).toBe(true);
  });
});
