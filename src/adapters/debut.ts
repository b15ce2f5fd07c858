import type {
  Candle as DebutCandle,
  DebutCore,
  ExecutedOrder,
  PendingOrder,
  PluginCtx,
  PluginInterface,
} from '@debut/types';
import { QuantgateError, describeError } from '../core/errors.ts';
import type { Candle, ClosedCandle, ExchangeId, Signal, Timeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import type { Logger } from '../core/logger.ts';
import type {
  OrderUpdate,
  PluginContext,
  PluginState,
  RiskManager,
  StrategyPlugin,
} from '../strategy/index.ts';
import type { DebutBook, DebutEntry } from './debut-account.ts';
import {
  BUY,
  SELL,
  closeProfit,
  debutAccountView,
  directionOf,
  ownOrders,
  unitsOf,
} from './debut-account.ts';
import { CandleBuilder, planTimeframes, timeframeOfDebutInterval } from './debut-timeframes.ts';

/**
 * The part of the plugin contract (`StrategyPlugin`, src/strategy/plugin.ts) the Debut adapter
 * drives. `warm` (history without decisions) is used when the plugin has it.
 */
export type DebutHostedStrategy = Pick<
  StrategyPlugin,
  | 'name'
  | 'timeframes'
  | 'init'
  | 'onCandle'
  | 'onOrderUpdate'
  | 'beforeOpen'
  | 'snapshot'
  | 'restore'
  | 'dispose'
> & { warm?(candle: ClosedCandle): Promise<void> };

export interface DebutAdapterOptions {
  readonly strategy: DebutHostedStrategy;
  /** What the plugin's `init` gets besides the account (the adapter builds that from Debut's state). */
  readonly context: Omit<PluginContext, 'account'>;
  /** Which quantgate series Debut's ticker is (Debut knows only its ticker, e.g. BTCUSDT). */
  readonly exchange: ExchangeId;
  /** ccxt unified symbol, e.g. BTC/USDT. */
  readonly symbol: string;
  /**
   * Closed candles from the local store, any of the plugin's timeframes, that closed before Debut's
   * first candle: fed at Debut's `onStart` (to `warm`, else to `onCandle` with its signal ignored).
   * Candles of Debut's own interval also seed the longer candles being built, so the first 1h/12h/1d
   * candle made from Debut's stream is whole when they reach back to that candle's start.
   */
  readonly history?: readonly ClosedCandle[];
  /**
   * quantgate's risk manager (`risk.*`), as the built-in runtime uses it: marked with the account's
   * equity at each Debut candle's close, asked before each entry (it may refuse or cut the size).
   * It sees this bot only: Debut runs one symbol per bot, so `maxOpenPositions` and
   * `maxNotionalTotal` cannot count the other bots' positions.
   */
  readonly risk?: Pick<RiskManager, 'update' | 'checkEntry' | 'recordOrder'>;
  /** Default: `context.logger`. */
  readonly logger?: Logger;
}

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

export interface DebutAdapterApi {
  /** Signals the strategy produced, most recent last (bounded). */
  signals(): readonly Signal[];
  /** What the adapter did with them and with Debut's orders, most recent last (bounded). */
  events(): readonly DebutEvent[];
  counts(): Readonly<Partial<Record<DebutOutcome, number>>>;
  /** Take-profit/stop-loss of each open entry the adapter placed. */
  entries(): readonly DebutEntry[];
  /** Closed candles delivered to the strategy per timeframe (history included). */
  delivered(): Readonly<Partial<Record<Timeframe, number>>>;
}

export type QuantgateDebutPlugin = PluginInterface & { readonly api: DebutAdapterApi };

interface Snapshot extends Record<string, unknown> {
  strategy?: PluginState;
  entries: DebutEntry[];
  startBalance: number;
  realised: number;
  lastFed: Partial<Record<Timeframe, number>>;
}

/** The adapter's open attempt, alive for one `createOrder` call. */
interface Intent {
  readonly signal: Signal;
  readonly quantity: number;
  asked: boolean;
  refused?: string;
  cid?: string;
}

const KEEP = 1000;

function toClosed(
  c: Candle | DebutCandle,
  key: Pick<ClosedCandle, 'exchange' | 'symbol'>,
  timeframe: Timeframe,
): ClosedCandle {
  return 'time' in c
    ? { ...key, timeframe, timestamp: c.time, open: c.o, high: c.h, low: c.l, close: c.c, volume: c.v }
    : { ...key, timeframe, ...c };
}

const closeOf = (c: ClosedCandle): number => c.timestamp + timeframeMs(c.timeframe);

/**
 * Runs a quantgate strategy plugin inside a Debut bot (one bot = one ticker and one interval),
 * following Debut's core as its source defines it (debut-js/Core src/modules/debut.ts; the test
 * driver test/support/debut-core.ts is a port of it):
 * - Debut calls `onInit` synchronously at registration; the plugin's async `init` starts there and
 *   is awaited in `onStart` (Debut awaits that before its first tick), then `restore` runs with
 *   what `onHydrate` handed over, then the store history is fed.
 * - Each closed Debut candle `{o,h,l,c,v,time}` becomes a closed candle of Debut's interval; the
 *   plugin's longer timeframes are built from them causally (`CandleBuilder`) and delivered
 *   longest first at the same close.
 * - An `open` signal places `createOrder` with quantgate's quantity: Debut sizes the pending order
 *   from `opts.amount`, the adapter's `onBeforeOpen` replaces its lots by the signal's size (rounded
 *   by Debut's transport). `createOrder` resolving `undefined` (a Debut plugin vetoed; or, on Core
 *   4.0.12 and older, placing failed) or rejecting (placing failed) is logged and counted, never a
 *   crash. Ticks close the entry at the signal's take-profit or stop-loss; a `close` signal closes
 *   the adapter's entries; every fill goes to `onOrderUpdate`.
 * - Opens no quantgate signal asked for are vetoed: quantgate decides the entries of this bot.
 */
export function quantgateDebutPlugin(opts: DebutAdapterOptions): QuantgateDebutPlugin {
  const { strategy, exchange, symbol } = opts;
  const logger = opts.logger ?? opts.context.logger;
  const key = { exchange, symbol };
  const book: DebutBook = { startBalance: 0, realised: 0, entries: new Map(), placing: false };
  const signals: Signal[] = [];
  const events: DebutEvent[] = [];
  const counts: Partial<Record<DebutOutcome, number>> = {};
  const delivered: Partial<Record<Timeframe, number>> = {};
  let lastFed: Partial<Record<Timeframe, number>> = {};
  let debut: DebutCore | undefined;
  let base: Timeframe | undefined;
  let feedsBase = true;
  let builder: CandleBuilder | undefined;
  let ready: Promise<void> | undefined;
  let hydrated: Snapshot | undefined;
  let intent: Intent | undefined;
  const account = debutAccountView(() => debut, book, symbol);
  const closeReasons = new Map<string, string>();
  const closeVetoed = new Set<string>();
  let reportedIncomplete = 0;

  const note = (time: number, outcome: DebutOutcome, detail: string): void => {
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    events.push({ time, outcome, detail });
    if (events.length > KEEP) events.shift();
  };

  const update = (u: OrderUpdate): void => {
    try {
      strategy.onOrderUpdate?.(u);
    } catch (e) {
      logger.error({ err: describeError(e), symbol }, 'debut adapter: strategy onOrderUpdate failed');
    }
  };

  /** init (started in onInit), then restore, then history: once, whichever hook comes first. */
  const start = (): Promise<void> => {
    if (!ready)
      throw new QuantgateError('INTERNAL', 'debut adapter: used before Debut registered it (onInit)');
    return ready;
  };

  const deliver = async (c: ClosedCandle, decide: boolean): Promise<Signal | null> => {
    lastFed[c.timeframe] = c.timestamp;
    delivered[c.timeframe] = (delivered[c.timeframe] ?? 0) + 1;
    try {
      if (!decide && strategy.warm) {
        await strategy.warm(c);
        return null;
      }
      const s = await strategy.onCandle(c);
      return decide ? s : null;
    } catch (e) {
      note(c.timestamp, 'strategy_failed', describeError(e));
      logger.error(
        { err: describeError(e), symbol, timeframe: c.timeframe },
        'debut adapter: strategy failed on a candle',
      );
      return null;
    }
  };

  const feedHistory = async (): Promise<void> => {
    const wanted = new Set<Timeframe>(strategy.timeframes);
    const hist = [...(opts.history ?? [])]
      .filter((c) => c.symbol === symbol && c.exchange === exchange)
      .sort((a, b) => closeOf(a) - closeOf(b) || timeframeMs(b.timeframe) - timeframeMs(a.timeframe));
    for (const c of hist) {
      if (c.timestamp <= (lastFed[c.timeframe] ?? -Infinity)) continue;
      if (c.timeframe === base) {
        // Longer candles the history's own interval completes, unless the history held them too.
        for (const x of builder!.push(c)) {
          const built = toClosed(x.candle, key, x.timeframe);
          if (built.timestamp > (lastFed[x.timeframe] ?? -Infinity)) await deliver(built, false);
        }
        lastFed[base] = c.timestamp;
      }
      if (wanted.has(c.timeframe)) await deliver(c, false);
    }
  };

  /** `now`: close time of the decision candle (the risk manager's clock). */
  const openFor = async (d: DebutCore, s: Signal, now: number): Promise<void> => {
    const at = s.timestamp;
    if (ownOrders(d, book).length > 0) return note(at, 'position_open', 'an entry is open');
    if (book.placing || d.orders.some((o) => !('orderId' in o)))
      return note(at, 'order_pending', 'an order is pending');
    if (!(s.size > 0)) return note(at, 'zero_size', `size ${s.size}`);
    if (s.direction === 'short' && (d.opts.instrumentType ?? 'SPOT') === 'SPOT')
      return note(at, 'short_not_supported_on_spot', 'Debut instrumentType SPOT cannot short');
    let quantity = s.size;
    if (opts.risk) {
      const verdict = opts.risk.checkEntry({
        now,
        symbol,
        price: s.price,
        quantity,
        equity: account.equity(),
        // One symbol per Debut bot, flat here: nothing of this bot is open.
        openPositions: 0,
        symbolNotional: 0,
        totalNotional: 0,
      });
      if (!verdict.ok) return note(at, 'risk_refused', `${verdict.reason}: ${verdict.detail}`);
      quantity = verdict.quantity;
      opts.risk.recordOrder(now);
    }
    const veto = strategy.beforeOpen?.(s) ?? null;
    if (veto) return note(at, 'vetoed_by_plugin', veto.reason);
    const current: Intent = { signal: s, quantity, asked: false };
    intent = current;
    book.placing = true;
    try {
      const order = (await d.createOrder(s.direction === 'long' ? BUY : SELL)) as ExecutedOrder | undefined;
      if (order) return;
      // Debut resolves undefined when an onBeforeOpen hook skipped the open (src/modules/debut.ts).
      if (current.refused) note(at, 'size_below_lot', current.refused);
      else if (!current.asked)
        note(at, 'vetoed_by_debut_plugin', 'a Debut plugin before this one skipped the open');
      else
        note(
          at,
          'not_opened',
          'skipped by a later Debut plugin, or placing failed (Core <= 4.0.12 resolves undefined)',
        );
      logger.warn(
        { symbol, direction: s.direction, reason: current.refused },
        'debut adapter: Debut did not open the order',
      );
    } catch (e) {
      note(at, 'place_failed', describeError(e));
      logger.error(
        { err: describeError(e), symbol, direction: s.direction },
        'debut adapter: Debut failed to place the order',
      );
    } finally {
      intent = undefined;
      book.placing = false;
    }
  };

  const closeEntry = async (
    d: DebutCore,
    order: ExecutedOrder,
    reason: string,
    time: number,
  ): Promise<void> => {
    const cid = String(order.cid);
    closeReasons.set(cid, reason);
    let closed: ExecutedOrder | undefined;
    try {
      closed = (await d.closeOrder(order)) as ExecutedOrder | undefined;
    } catch (e) {
      closeReasons.delete(cid);
      note(time, 'place_failed', `close: ${describeError(e)}`);
      logger.error(
        { err: describeError(e), symbol, reason },
        'debut adapter: Debut failed to close the order',
      );
      return;
    }
    if (closed) return;
    // Debut resolves undefined when an onBeforeClose hook skipped the close: retried on later ticks.
    closeReasons.delete(cid);
    if (!closeVetoed.has(cid)) {
      closeVetoed.add(cid);
      note(time, 'close_vetoed', `${reason}: a Debut plugin skipped the close`);
      logger.warn(
        { symbol, reason },
        'debut adapter: a Debut plugin skipped closing the entry; retrying on later ticks',
      );
    }
  };

  const act = async (d: DebutCore, s: Signal, now: number): Promise<void> => {
    signals.push(s);
    if (signals.length > KEEP) signals.shift();
    logger.info({ signal: s }, 'debut adapter: signal');
    if (s.action === 'open') return openFor(d, s, now);
    for (const o of ownOrders(d, book)) await closeEntry(d, o, 'signal_close', s.timestamp);
  };

  const reportIncomplete = (): void => {
    if (!builder) return;
    const all = [...builder.incomplete.entries()].flatMap(([tf, ts]) => ts.map((t) => [tf, t] as const));
    for (const [tf, t] of all.slice(reportedIncomplete)) {
      note(
        t,
        'incomplete_bucket',
        `${tf} candle at ${new Date(t).toISOString()} dropped: a ${base} candle is missing`,
      );
      logger.warn(
        { symbol, timeframe: tf, at: t },
        'debut adapter: longer candle dropped (a Debut candle is missing)',
      );
    }
    reportedIncomplete = all.length;
  };

  const plugin: QuantgateDebutPlugin = {
    name: `quantgate:${strategy.name}`,
    api: {
      signals: () => signals,
      events: () => events,
      counts: () => counts,
      entries: () => [...book.entries.values()],
      delivered: () => delivered,
    },

    onInit(this: PluginCtx): void {
      debut = this.debut;
      base = timeframeOfDebutInterval(this.debut.opts.interval);
      const plan = planTimeframes(base, strategy.timeframes);
      feedsBase = plan.feedsBase;
      builder = new CandleBuilder(base, plan.built);
      book.startBalance = this.debut.opts.amount * (this.debut.opts.equityLevel ?? 1);
      const initDone = strategy.init?.({ ...opts.context, account }) ?? Promise.resolve();
      ready = initDone.then(async () => {
        if (hydrated) {
          if (hydrated.strategy !== undefined) strategy.restore?.(hydrated.strategy);
          book.startBalance = hydrated.startBalance;
          book.realised = hydrated.realised;
          for (const e of hydrated.entries) book.entries.set(e.cid, e);
          lastFed = { ...hydrated.lastFed };
        }
        await feedHistory();
      });
      // Awaited by onStart / onCandle; keep an early failure from being an unhandled rejection.
      ready.catch(() => undefined);
    },

    onHydrate(data: Record<string, unknown>): void {
      // Debut hydrates synchronously, maybe before init finished: applied once init is done.
      hydrated = data as Snapshot;
    },

    async onStart(): Promise<void> {
      await start();
    },

    async onLearn(): Promise<void> {
      await start();
    },

    async onCandle(this: PluginCtx, candle: DebutCandle): Promise<void> {
      await start();
      const d = this.debut;
      const c = toClosed(candle, key, base!);
      if (c.timestamp <= (lastFed[base!] ?? -Infinity)) return;
      // Marked at the candle's close, as the built-in runtime does: candle time, never wall time.
      opts.risk?.update(closeOf(c), account.equity());
      const longer = builder!.push(c).map((x) => toClosed(x.candle, key, x.timeframe));
      reportIncomplete();
      const due = [
        ...longer.filter((x) => x.timestamp > (lastFed[x.timeframe] ?? -Infinity)),
        ...(feedsBase ? [c] : []),
      ];
      if (!feedsBase) lastFed[base!] = c.timestamp;
      for (const x of due) {
        const s = await deliver(x, true);
        if (s) await act(d, s, closeOf(x));
      }
    },

    onBeforeOpen(order: PendingOrder): boolean | void {
      if (!intent) {
        logger.warn(
          { symbol, type: order.type },
          'debut adapter: vetoed an open no quantgate signal asked for',
        );
        return true;
      }
      const d = debut!;
      intent.asked = true;
      // quantgate sizes the order: Debut's lots (from opts.amount) give way to the signal's
      // quantity, rounded the way Debut's transport rounds lots for this instrument.
      const { lot = 1, id, minQuantity = 0, minNotional = 0 } = d.instrument;
      const lots = d.transport.prepareLots(intent.quantity / lot, id);
      const units = lots * lot;
      if (!(lots > 0) || units < minQuantity || units * order.price < minNotional) {
        intent.refused = `quantity ${intent.quantity} → ${lots} lots (min quantity ${minQuantity}, min notional ${minNotional})`;
        return true;
      }
      order.lots = lots;
      intent.cid = String(order.cid);
      return undefined;
    },

    async onOpen(order: ExecutedOrder): Promise<void> {
      if (!intent || String(order.cid) !== intent.cid) return;
      const s = intent.signal;
      book.entries.set(intent.cid, {
        cid: intent.cid,
        direction: directionOf(order.type),
        takeProfit: s.takeProfit,
        stopLoss: s.stopLoss,
        decidedAt: s.timestamp,
      });
      note(order.time, 'opened', `${s.direction} ${unitsOf(debut!, order.executedLots)} @ ${order.price}`);
      update({
        symbol,
        kind: 'entry',
        price: order.price,
        quantity: unitsOf(debut!, order.executedLots),
        timestamp: order.time,
      });
    },

    async onTick(this: PluginCtx, tick: DebutCandle): Promise<void> {
      const d = this.debut;
      for (const order of ownOrders(d, book)) {
        const e = book.entries.get(String(order.cid))!;
        // Debut fills market orders at the latest tick's close; a tick's high/low span the whole
        // forming candle (also before the entry), so only the close is a price seen after it.
        const p = tick.c;
        const long = e.direction === 'long';
        const stop = long ? p <= e.stopLoss : p >= e.stopLoss;
        const target = long ? p >= e.takeProfit : p <= e.takeProfit;
        if (stop || target) await closeEntry(d, order, stop ? 'stop_loss' : 'take_profit', tick.time);
      }
    },

    async onClose(this: PluginCtx, order: ExecutedOrder, closing: ExecutedOrder): Promise<void> {
      const d = this.debut;
      book.realised += closeProfit(d, order, closing);
      const cid = String(closing.cid);
      const entry = book.entries.get(cid);
      if (!entry) return;
      const reason = closeReasons.get(cid) ?? 'closed_by_debut';
      // A partial close (Debut's reduceOrder) leaves the order in `orders`: the entry stays.
      const partial = d.orders.some((o) => String(o.cid) === cid);
      if (!partial) {
        book.entries.delete(cid);
        closeReasons.delete(cid);
        closeVetoed.delete(cid);
      }
      note(order.time, 'closed', `${reason} ${unitsOf(d, order.executedLots)} @ ${order.price}`);
      update({
        symbol,
        kind: 'exit',
        price: order.price,
        quantity: unitsOf(d, order.executedLots),
        timestamp: order.time,
      });
    },

    onSnapshot(): Record<string, unknown> {
      const snap: Snapshot = {
        strategy: strategy.snapshot?.(),
        entries: [...book.entries.values()],
        startBalance: book.startBalance,
        realised: book.realised,
        lastFed: { ...lastFed },
      };
      return snap;
    },

    async onDispose(): Promise<void> {
      await strategy.dispose?.();
    },
  };
  return plugin;
}
