/**
 * The Debut adapter inside `DebutReplica` (test/support/debut-core.ts), a port of Debut's core
 * (github.com/debut-js/Core @ 94b0717d14854b7b29413ba4e2b0f7554acb51d0, 5.0.8: src/modules/debut.ts,
 * src/modules/plugin-driver.ts, src/cli/tester/tester-transport.ts; the 4.0.12 placing behaviour
 * from the parent of 725e9e873b56c48305f6a30e264509cabac45ff7), run the way Debut's tester runs a
 * bot (src/cli/tester-cli.ts: start, run the ticks, closeAll, dispose), on real Binance candles.
 */
import { describe, expect, it } from 'vitest';
import type {
  Candle as DebutCandle,
  DebutOptions,
  ExecutedOrder,
  PendingOrder,
  PluginInterface,
} from '@debut/types';
import { parseConfig } from '../../src/config/index.ts';
import type { Candle, ClosedCandle, Direction, Signal, Timeframe } from '../../src/core/index.ts';
import { QuantgateError, silentLogger, timeframeMs } from '../../src/core/index.ts';
import { readCandles } from '../../src/exchange/index.ts';
import { createIncrementalFeatures } from '../../src/features/index.ts';
import type { OrderUpdate, PluginContext, PluginState, Veto } from '../../src/strategy/index.ts';
import { DecisionRecorder, ModelSet, QuantileStrategy } from '../../src/strategy/index.ts';
import { quantgateDebutPlugin } from '../../src/adapters/index.ts';
import type { DebutHostedStrategy, QuantgateDebutPlugin } from '../../src/adapters/index.ts';
import { DebutReplica, TesterTransport } from '../support/debut-core.ts';
import type { DebutReplicaOptions } from '../support/debut-core.ts';
import { FakeForecaster } from '../strategy/support.ts';
import { RiskManager } from '../../src/runtime/index.ts';

const FIX = new URL('../fixtures/candles', import.meta.url).pathname;
const SYMBOL = 'BTC/USDT';
const store = (tf: Timeframe): Candle[] => readCandles(FIX, 'binance', tf, SYMBOL)!.candles;
const toDebut = (c: Candle): DebutCandle => ({
  o: c.open,
  h: c.high,
  l: c.low,
  c: c.close,
  v: c.volume,
  time: c.timestamp,
});
const five = store('5m');

const config = parseConfig({
  exchange: { name: 'binance', symbols: [SYMBOL] },
  strategy: { timeframes: ['5m', '1h'], fusion: { trend: 'off' } },
  model: { window: 8 },
});
const baseContext = (): Omit<PluginContext, 'account'> => ({
  config,
  logger: silentLogger(),
  models: new ModelSet(silentLogger()),
  decisions: new DecisionRecorder(silentLogger()),
});

type Decide = (c: ClosedCandle, ctx: PluginContext) => Signal | null;

/** A plugin of the contract that records every call (what a host author would test with). */
class Recorder implements DebutHostedStrategy {
  readonly name = 'recorder';
  readonly calls: string[] = [];
  readonly candles: ClosedCandle[] = [];
  readonly warmed: ClosedCandle[] = [];
  readonly updates: OrderUpdate[] = [];
  ctx: PluginContext | undefined;
  restored: PluginState | undefined;
  constructor(
    readonly timeframes: Array<'5m' | '1h' | '12h' | '1d'> = ['5m'],
    private readonly decide: Decide = () => null,
    private readonly veto: (s: Signal) => Veto | null = () => null,
  ) {}
  async init(ctx: PluginContext): Promise<void> {
    this.calls.push('init:start');
    // Slower than a synchronous hook: Debut must wait for it (onStart) before the first candle.
    await new Promise((r) => setTimeout(r, 20));
    this.ctx = ctx;
    this.calls.push('init:done');
  }
  async onCandle(c: ClosedCandle): Promise<Signal | null> {
    this.calls.push(`candle:${c.timeframe}`);
    this.candles.push(c);
    return this.decide(c, this.ctx!);
  }
  async warm(c: ClosedCandle): Promise<void> {
    this.warmed.push(c);
  }
  onOrderUpdate(u: OrderUpdate): void {
    this.calls.push(`update:${u.kind}`);
    this.updates.push(u);
  }
  beforeOpen(s: Signal): Veto | null {
    this.calls.push('beforeOpen');
    return this.veto(s);
  }
  snapshot(): PluginState {
    return { candles: this.candles.length };
  }
  restore(state: PluginState): void {
    this.calls.push('restore');
    this.restored = state;
  }
  async dispose(): Promise<void> {
    this.calls.push('dispose');
  }
}

function signal(c: ClosedCandle, direction: Direction, size: number, move = 0.004): Signal {
  const up = direction === 'long' ? 1 : -1;
  return {
    exchange: c.exchange,
    symbol: c.symbol,
    timestamp: c.timestamp,
    action: 'open',
    direction,
    confidence: 0.7,
    riskReward: 1,
    size,
    price: c.close,
    takeProfit: c.close * (1 + up * move),
    stopLoss: c.close * (1 - up * move),
    modelVersions: {},
    reason: 'test',
  };
}

/** Opens long every `every`-th 5m candle when flat (the account view says so). */
const periodic =
  (every: number, size = 0.0123456, direction: Direction = 'long'): Decide =>
  (c, ctx) =>
    c.timeframe === '5m' && !ctx.account.position(c.symbol) && Math.round(c.timestamp / 300_000) % every === 0
      ? signal(c, direction, size)
      : null;

/** What the other plugins of the bot saw (a plugin of Debut's own kind, registered beside ours). */
function spy(): PluginInterface & { opened: ExecutedOrder[]; closed: Array<[ExecutedOrder, ExecutedOrder]> } {
  const opened: ExecutedOrder[] = [];
  const closed: Array<[ExecutedOrder, ExecutedOrder]> = [];
  return {
    name: 'spy',
    opened,
    closed,
    async onOpen(o: ExecutedOrder) {
      opened.push(o);
    },
    async onClose(o: ExecutedOrder, closing: ExecutedOrder) {
      closed.push([o, closing]);
    },
  };
}

interface Bot {
  readonly bot: DebutReplica;
  readonly transport: TesterTransport;
  readonly plugin: QuantgateDebutPlugin;
  /** Debut's tester sequence (src/cli/tester-cli.ts). */
  run(candles: readonly Candle[]): Promise<void>;
}

function makeBot(
  strategy: DebutHostedStrategy,
  o: {
    before?: PluginInterface[];
    after?: PluginInterface[];
    debut?: Partial<DebutOptions>;
    ohlc?: boolean;
    replica?: DebutReplicaOptions;
    transport?: TesterTransport;
    history?: ClosedCandle[];
    risk?: RiskManager;
  } = {},
): Bot {
  const transport =
    o.transport ?? new TesterTransport({ ticker: 'BTCUSDT', broker: 'binance', ohlc: o.ohlc });
  const bot = new DebutReplica(
    transport,
    { broker: 'binance', ticker: 'BTCUSDT', currency: 'USDT', interval: '5min', amount: 1000, ...o.debut },
    o.replica,
  );
  const plugin = quantgateDebutPlugin({
    strategy,
    context: baseContext(),
    exchange: 'binance',
    symbol: SYMBOL,
    history: o.history,
    risk: o.risk,
  });
  bot.registerPlugins([...(o.before ?? []), plugin, ...(o.after ?? [])]);
  return {
    bot,
    transport,
    plugin,
    run: async (candles) => {
      transport.setTicks(candles.map(toDebut));
      await bot.start();
      await transport.run();
      await bot.closeAll();
      await bot.dispose();
    },
  };
}

describe('Debut adapter in a replica of Debut’s core', () => {
  it('init is awaited before the first candle, candles arrive as Debut closes them, dispose comes last', async () => {
    const rec = new Recorder(['5m'], periodic(7));
    const { run, plugin } = makeBot(rec);
    // Debut calls onInit at registration, synchronously: init has started, not finished.
    expect(rec.calls).toEqual(['init:start']);
    await run(five.slice(0, 100));
    expect(rec.calls.slice(0, 2)).toEqual(['init:start', 'init:done']);
    // Debut closes a candle when the next one's first tick arrives: the last one never closes.
    expect(rec.candles).toHaveLength(99);
    expect(rec.candles[10]).toEqual({ ...five[10], exchange: 'binance', symbol: SYMBOL, timeframe: '5m' });
    // The tester's closeAll closes the open entry (an exit update) before dispose, which is last.
    expect(rec.calls.at(-1)).toBe('dispose');
    expect(rec.calls.filter((c) => c === 'dispose')).toHaveLength(1);
    expect(plugin.api.counts().opened).toBeGreaterThan(0);
    expect(rec.updates.filter((u) => u.kind === 'entry')).toHaveLength(plugin.api.counts().opened!);
    expect(rec.updates.filter((u) => u.kind === 'exit')).toHaveLength(plugin.api.counts().opened!);
  });

  it('builds 1h and 1d candles from Debut’s 5m candles, each delivered once closed, as the store has them', async () => {
    const rec = new Recorder(['5m', '1h', '1d']);
    const { run } = makeBot(rec);
    const slice = five.slice(0, 2 * 288 + 100);
    await run(slice);
    const got = (tf: Timeframe) => rec.candles.filter((c) => c.timeframe === tf);
    const lastClose = slice.at(-2)!.timestamp + 300_000; // the last candle Debut closed
    for (const tf of ['1h', '1d'] as const) {
      const ms = timeframeMs(tf);
      const expected = store(tf).filter(
        (c) => c.timestamp >= slice[0].timestamp && c.timestamp + ms <= lastClose,
      );
      expect(expected.length).toBeGreaterThan(0);
      const built = got(tf);
      expect(built.map((c) => c.timestamp)).toEqual(expected.map((c) => c.timestamp));
      // Different downloads of the same Binance trades: prices equal, volumes to their rounding.
      built.forEach((c, i) => {
        expect([c.open, c.high, c.low, c.close]).toEqual([
          expected[i].open,
          expected[i].high,
          expected[i].low,
          expected[i].close,
        ]);
        expect(c.volume).toBeCloseTo(expected[i].volume, 3);
      });
    }
    // Causal: each longer candle comes right before the 5m candle that closes its bucket, never earlier.
    rec.candles.forEach((c, i) => {
      if (c.timeframe === '5m') return;
      const next = rec.candles.slice(i + 1).find((x) => x.timeframe === '5m')!;
      expect(next.timestamp + 300_000).toBe(c.timestamp + timeframeMs(c.timeframe));
    });
    // The first 1h bucket is whole only if Debut's stream starts at its open.
    expect(got('1h')[0].timestamp).toBe(Math.ceil(slice[0].timestamp / 3_600_000) * 3_600_000);
  });

  it('drops a longer candle whose bucket misses a Debut candle, and says so', async () => {
    const rec = new Recorder(['5m', '1h']);
    const { run, plugin } = makeBot(rec);
    const start = five.findIndex((c) => c.timestamp % 3_600_000 === 0);
    const slice = five.slice(start, start + 36);
    const gap = slice.filter((_, i) => i !== 15); // 15 = inside the second hour
    await run(gap);
    expect(rec.candles.filter((c) => c.timeframe === '1h').map((c) => c.timestamp)).toEqual([
      slice[0].timestamp,
    ]);
    expect(plugin.api.counts().incomplete_bucket).toBe(1);
    expect(plugin.api.events().find((e) => e.outcome === 'incomplete_bucket')!.time).toBe(
      slice[12].timestamp,
    );
  });

  it('sizes the order with quantgate’s quantity, not Debut’s amount', async () => {
    const rec = new Recorder(['5m'], periodic(9, 0.0123456));
    const seen = spy();
    const { run, plugin } = makeBot(rec, { after: [seen], debut: { amount: 5000 } });
    await run(five.slice(0, 200));
    expect(seen.opened.length).toBe(plugin.api.counts().opened);
    expect(seen.opened.length).toBeGreaterThan(0);
    for (const o of seen.opened) {
      // Debut alone would buy 5000 / price ≈ 0.14 BTC; the binance tester rounds lots to 4 places.
      expect(o.lots).toBe(0.0123);
      expect(o.executedLots).toBe(0.0123);
    }
    expect(rec.updates.filter((u) => u.kind === 'entry').every((u) => u.quantity === 0.0123)).toBe(true);
  });

  it('keeps quantgate’s risk manager: it caps the size and refuses when halted', async () => {
    const cfg = { ...config.risk, maxNotionalPerSymbol: 200 };
    const risk = new RiskManager(cfg, silentLogger(), 1000, five[0].timestamp);
    const seen = spy();
    const a = makeBot(new Recorder(['5m'], periodic(9, 0.05)), { after: [seen], risk });
    await a.run(five.slice(0, 100));
    expect(seen.opened.length).toBeGreaterThan(0);
    for (const o of seen.opened) {
      // 0.05 BTC ≈ 1800 USDT asked; the cap leaves 200 USDT at the signal's price.
      const s = a.plugin.api.signals().find((x) => x.timestamp + 300_000 === o.time)!;
      expect(o.executedLots).toBe(Math.round((200 / s.price + Number.EPSILON) * 1e4) / 1e4);
    }
    const halted = new RiskManager(config.risk, silentLogger(), 1000, five[0].timestamp);
    halted.halt();
    const b = makeBot(new Recorder(['5m'], periodic(9, 0.01)), { risk: halted });
    await b.run(five.slice(0, 100));
    expect(b.plugin.api.counts().opened).toBeUndefined();
    expect(b.plugin.api.counts().risk_refused).toBeGreaterThan(0);
    expect(b.plugin.api.events().find((e) => e.outcome === 'risk_refused')!.detail).toMatch(/^risk_halted/);
  });

  it('survives createOrder resolving undefined when a Debut plugin before it vetoes (no TypeError)', async () => {
    const rec = new Recorder(['5m'], periodic(5));
    const session: PluginInterface = { name: 'session', onBeforeOpen: () => true };
    const { run, plugin, bot } = makeBot(rec, { before: [session] });
    await run(five.slice(0, 60));
    expect(rec.candles).toHaveLength(59);
    expect(plugin.api.counts().vetoed_by_debut_plugin).toBeGreaterThan(0);
    expect(plugin.api.counts().opened).toBeUndefined();
    expect(bot.orders).toHaveLength(0);
    // Each skipped entry is one `canceled` update: nothing filled, the host's words in `message`.
    expect(rec.updates).toHaveLength(plugin.api.counts().vetoed_by_debut_plugin!);
    for (const u of rec.updates) {
      expect(u).toMatchObject({ kind: 'entry', status: 'canceled', price: 0, quantity: 0, reason: 'open' });
      expect(u.message).toMatch(/skipped the open/);
    }
  });

  it('survives a veto by a Debut plugin after it, and a failed placing, in both Core versions', async () => {
    const late: PluginInterface = { name: 'late', onBeforeOpen: () => true };
    const a = makeBot(new Recorder(['5m'], periodic(5)), { after: [late] });
    await a.run(five.slice(0, 60));
    expect(a.plugin.api.counts().not_opened).toBeGreaterThan(0);

    class Failing extends TesterTransport {
      override async placeOrder(order: PendingOrder, opts: DebutOptions): Promise<ExecutedOrder> {
        if (!order.close) throw new Error('insufficient balance');
        return super.placeOrder(order, opts);
      }
    }
    for (const placeFailure of ['reject', 'resolve-undefined'] as const) {
      const rec = new Recorder(['5m'], periodic(5));
      const b = makeBot(rec, {
        transport: new Failing({ ticker: 'BTCUSDT', broker: 'binance' }),
        replica: { placeFailure },
      });
      await b.run(five.slice(0, 60));
      const outcome = placeFailure === 'reject' ? 'place_failed' : 'not_opened';
      expect(b.plugin.api.counts()[outcome]).toBeGreaterThan(0);
      // Core 5.x rejects: the plugin hears `rejected` with the transport's words; Core 4.0.12's
      // undefined cannot be told from a later plugin's skip: `canceled`.
      const status = placeFailure === 'reject' ? 'rejected' : 'canceled';
      expect(rec.updates.length).toBe(b.plugin.api.counts()[outcome]);
      expect(rec.updates.every((u) => u.status === status && u.quantity === 0)).toBe(true);
      if (status === 'rejected') expect(rec.updates[0].message).toBe('insufficient balance');
      // The update names Debut's client id of the pending order the adapter saw.
      expect(new Set(rec.updates.map((u) => u.clientOrderId)).size).toBe(rec.updates.length);
      expect(b.bot.warnings[0]).toMatch(/Order not opened insufficient balance/);
      // Debut removed the pending order: the account is neither pending nor holding.
      expect(rec.ctx!.account.hasPending(SYMBOL)).toBe(false);
      expect(rec.ctx!.account.position(SYMBOL)).toBeNull();
      expect(rec.candles).toHaveLength(59);
    }
  });

  it('gives the plugin an account built from Debut’s orders and balance', async () => {
    const views: Array<{
      pos: ReturnType<PluginContext['account']['position']>;
      equity: number;
      pending: boolean;
    }> = [];
    const rec = new Recorder(['5m'], (c, ctx) => {
      views.push({
        pos: ctx.account.position(SYMBOL),
        equity: ctx.account.equity(),
        pending: ctx.account.hasPending(SYMBOL),
      });
      return periodic(11, 0.02)(c, ctx);
    });
    let pendingWhilePlacing: boolean | undefined;
    class Watching extends TesterTransport {
      override async placeOrder(order: PendingOrder, opts: DebutOptions): Promise<ExecutedOrder> {
        if (!order.close) pendingWhilePlacing = rec.ctx!.account.hasPending(SYMBOL);
        return super.placeOrder(order, opts);
      }
    }
    const seen = spy();
    const { run } = makeBot(rec, {
      after: [seen],
      transport: new Watching({ ticker: 'BTCUSDT', broker: 'binance' }),
    });
    await run(five.slice(0, 300));
    expect(pendingWhilePlacing).toBe(true);
    const first = seen.opened[0];
    const held = views.find((v) => v.pos !== null)!;
    expect(held.pos).toEqual({
      direction: 'long',
      quantity: 0.02,
      entryPrice: first.price,
      entryTime: rec.updates[0].timestamp - 300_000,
    });
    // Equity starts at Debut's amount and moves by the closed trades' PnL (commissions included).
    expect(views[0].equity).toBe(1000);
    const realised = seen.closed
      .slice(0, -1)
      .reduce(
        (a, [o, c]) => a + (o.price - c.price) * o.executedLots - o.commission.value - c.commission.value,
        0,
      );
    const flatAfter = views.filter((v) => v.pos === null).at(-1)!;
    expect(flatAfter.equity).toBeCloseTo(1000 + realised, 9);
  });

  it('exits at the take-profit or stop on Debut’s ticks, and a close signal closes the entry', async () => {
    let closeAt = -1;
    const opens: Signal[] = [];
    const rec = new Recorder(['5m'], (c, ctx) => {
      const pos = ctx.account.position(SYMBOL);
      if (pos && c.timestamp >= closeAt) return { ...signal(c, pos.direction, 0), action: 'close' };
      if (!pos && Math.round(c.timestamp / 300_000) % 13 === 0) {
        closeAt = c.timestamp + 3 * 300_000;
        const s = signal(c, 'long', 0.01, 0.0015);
        opens.push(s);
        return s;
      }
      return null;
    });
    const seen = spy();
    const { run, plugin } = makeBot(rec, { after: [seen], ohlc: true });
    await run(five.slice(0, 400));
    const reasons = plugin.api
      .events()
      .filter((e) => e.outcome === 'closed')
      .map((e) => e.detail.split(' ')[0]);
    expect(new Set(reasons)).toEqual(new Set(['take_profit', 'stop_loss', 'signal_close']));
    expect(reasons).toHaveLength(seen.closed.length);
    seen.closed.forEach(([close, open], i) => {
      // The entry filled at the first tick after the decision candle: Debut's market price then.
      const s = opens.find((x) => x.timestamp + 300_000 === open.time)!;
      expect(open.price).toBe(five.find((c) => c.timestamp === open.time)!.open);
      if (reasons[i] === 'take_profit') expect(close.price).toBeGreaterThanOrEqual(s.takeProfit);
      if (reasons[i] === 'stop_loss') expect(close.price).toBeLessThanOrEqual(s.stopLoss);
      if (reasons[i] === 'signal_close') {
        expect(close.price).toBeLessThan(s.takeProfit);
        expect(close.price).toBeGreaterThan(s.stopLoss);
      }
      expect(close.close).toBe(true);
      expect(close.openPrice).toBe(open.price);
    });
    expect(rec.updates.filter((u) => u.kind === 'exit')).toHaveLength(seen.closed.length);
  });

  it('retries an exit a Debut plugin skipped (closeOrder resolved undefined)', async () => {
    let block = true;
    const guard: PluginInterface = { name: 'guard', onBeforeClose: () => block };
    const rec = new Recorder(['5m'], periodic(3, 0.01));
    const { bot, transport, plugin } = makeBot(rec, { before: [guard], ohlc: true });
    transport.setTicks(five.slice(0, 80).map(toDebut));
    await bot.start();
    await transport.run();
    expect(plugin.api.counts().close_vetoed).toBe(1);
    expect(plugin.api.counts().closed).toBeUndefined();
    block = false;
    await bot.dispose();
    expect(plugin.api.counts().closed).toBe(1);
    expect(rec.calls.at(-1)).toBe('dispose');
  });

  it('vetoes opens no quantgate signal asked for', async () => {
    const { bot, transport, plugin } = makeBot(new Recorder());
    transport.setTicks(five.slice(0, 3).map(toDebut));
    await bot.start();
    await transport.run();
    expect(await bot.createOrder('BUY' as never)).toBeUndefined();
    expect(bot.orders).toHaveLength(0);
    expect(plugin.api.counts().opened).toBeUndefined();
  });

  it('round-trips through Debut’s snapshot: restore after init, the entry still managed', async () => {
    const rec = new Recorder(['5m'], periodic(4, 0.01));
    const a = makeBot(rec);
    a.transport.setTicks(five.slice(0, 50).map(toDebut));
    await a.bot.start();
    await a.transport.run();
    const snap = JSON.parse(JSON.stringify(a.bot.getSnapshot()));
    expect(snap.orders).toHaveLength(1);

    const again = new Recorder(['5m']);
    const b = makeBot(again);
    b.bot.hydrateSnapshot(snap);
    b.transport.setTicks(five.slice(49, 120).map(toDebut));
    await b.bot.start();
    expect(again.calls.slice(0, 3)).toEqual(['init:start', 'init:done', 'restore']);
    expect(again.restored).toEqual({ candles: 49 });
    expect(b.plugin.api.entries()).toEqual(a.plugin.api.entries());
    await b.transport.run();
    await b.bot.dispose();
    // The hydrated order is the plugin's position: it was closed (TP/SL or Debut's closeAll) as its exit.
    expect(again.updates.filter((u) => u.kind === 'exit')).toHaveLength(1);
    expect(b.bot.orders).toHaveLength(0);
  });

  it('feeds store history before Debut’s first candle, without gaps or repeats', async () => {
    const rec = new Recorder(['5m', '1h']);
    const t0 = five[300].timestamp; // Debut starts here (not on an hour)
    const tag =
      (tf: Timeframe) =>
      (c: Candle): ClosedCandle => ({ ...c, exchange: 'binance', symbol: SYMBOL, timeframe: tf });
    const history = [
      ...store('1h')
        .filter((c) => c.timestamp + 3_600_000 <= t0 && c.timestamp >= t0 - 48 * 3_600_000)
        .map(tag('1h')),
      ...five.filter((c) => c.timestamp < t0 && c.timestamp >= t0 - 3 * 3_600_000).map(tag('5m')),
    ];
    const { run } = makeBot(rec, { history });
    await run(five.slice(300, 420));
    const hours = [...rec.warmed, ...rec.candles].filter((c) => c.timeframe === '1h').map((c) => c.timestamp);
    expect(rec.warmed.length).toBeGreaterThan(48);
    for (let i = 1; i < hours.length; i++) expect(hours[i] - hours[i - 1]).toBe(3_600_000);
    const fives = [...rec.warmed, ...rec.candles].filter((c) => c.timeframe === '5m').map((c) => c.timestamp);
    for (let i = 1; i < fives.length; i++) expect(fives[i] - fives[i - 1]).toBe(300_000);
  });

  it('takes Debut’s learn() history as warm-up: no decisions, no virtual orders', async () => {
    const rec = new Recorder(['5m', '1h'], periodic(3));
    const { bot, transport, plugin } = makeBot(rec, {
      replica: { history: () => five.slice(0, 200).map(toDebut) },
    });
    transport.setTicks(five.slice(200, 260).map(toDebut)); // the tester needs them for getInstrument
    await bot.learn(1);
    expect(rec.warmed.filter((c) => c.timeframe === '5m')).toHaveLength(199);
    expect(rec.warmed.some((c) => c.timeframe === '1h')).toBe(true);
    expect(rec.candles).toHaveLength(0);
    expect(bot.orders).toHaveLength(0);
    await bot.start();
    await transport.run();
    await bot.dispose();
    // Learn's last candle never closed (no next tick came then): Debut's first live tick closes it.
    expect(rec.candles[0].timestamp).toBe(five[199].timestamp);
    expect(plugin.api.counts().opened).toBeGreaterThan(0);
  });

  it('refuses a Debut interval it cannot feed the plugin from', () => {
    expect(() => makeBot(new Recorder(['5m']), { debut: { interval: '1h' } })).toThrow(QuantgateError);
    expect(() => makeBot(new Recorder(['5m']), { debut: { interval: '3min' } })).toThrow(
      /no quantgate timeframe/,
    );
  });

  it('runs quantgate’s own strategy: one decision per 5m candle, its sizes on Debut’s orders', async () => {
    const names = (tf: Timeframe) => createIncrementalFeatures(tf, config.features).names;
    const model = (tf: Timeframe) =>
      new FakeForecaster(`fake-${tf}`, tf, names(tf), 8, ({ features }) => {
        const last = features[features.length - names(tf).length];
        const p = Math.min(0.9, 0.55 + Math.abs(last) * 200);
        return last > 0
          ? { pBuy: p, pSell: (1 - p) / 2, pHold: (1 - p) / 2, q10: -0.004, q50: 0.001, q90: 0.008 }
          : { pBuy: (1 - p) / 2, pSell: p, pHold: (1 - p) / 2, q10: -0.008, q50: -0.001, q90: 0.004 };
      });
    const strategy = new QuantileStrategy(config);
    const decisions = new DecisionRecorder(silentLogger());
    const seen = spy();
    const transport = new TesterTransport({ ticker: 'BTCUSDT', broker: 'binance' });
    const bot = new DebutReplica(transport, {
      broker: 'binance',
      ticker: 'BTCUSDT',
      currency: 'USDT',
      interval: '5min',
      amount: 10_000,
    });
    const plugin = quantgateDebutPlugin({
      strategy,
      context: {
        config,
        logger: silentLogger(),
        models: new ModelSet(silentLogger(), { '5m': model('5m'), '1h': model('1h') }),
        decisions,
      },
      exchange: 'binance',
      symbol: SYMBOL,
    });
    bot.registerPlugins([plugin, seen]);
    const slice = five.slice(0, 1500);
    transport.setTicks(slice.map(toDebut));
    await bot.start();
    await transport.run();
    await bot.closeAll();
    await bot.dispose();
    const total = Object.values(decisions.counts()).reduce((a, b) => a + b, 0);
    expect(total).toBe(slice.length - 1);
    expect(plugin.api.delivered()['1h']).toBeGreaterThan(100);
    const opens = plugin.api.signals().filter((s) => s.action === 'open');
    expect(opens.length).toBeGreaterThan(0);
    expect(seen.opened.length).toBe(plugin.api.counts().opened);
    seen.opened.forEach((o) => {
      const s = opens.find((x) => x.timestamp + 300_000 === o.time)!;
      expect(o.executedLots).toBe(Math.round((s.size + Number.EPSILON) * 1e4) / 1e4);
    });
  });
});
