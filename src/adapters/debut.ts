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
import { checkPlugin } from '../strategy/index.ts';
import type { PluginContext, PluginState, StrategyPlugin } from '../strategy/index.ts';
import type { DebutBook, DebutEntry } from './debut-account.ts';
import { debutAccountView } from './debut-account.ts';
import { DebutEvents, DebutOrders } from './debut-orders.ts';
import type { DebutEvent, DebutOutcome } from './debut-orders.ts';
import { CandleBuilder, planTimeframes, timeframeOfDebutInterval } from './debut-timeframes.ts';
import type { RiskManager } from '../runtime/index.ts';

export type { DebutEvent, DebutOutcome } from './debut-orders.ts';

/**
 * The part of the plugin contract (`StrategyPlugin`, src/strategy/plugin.ts) the Debut adapter
 * drives (it calls each of these the plugin has; not `prepare`: one symbol per bot, nothing to batch).
 */
export type DebutHostedStrategy = Pick<
  StrategyPlugin,
  | 'name'
  | 'timeframes'
  | 'init'
  | 'warm'
  | 'onCandle'
  | 'onOrderUpdate'
  | 'beforeOpen'
  | 'snapshot'
  | 'restore'
  | 'dispose'
>;

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
  const { exchange, symbol } = opts;
  // Unknown or malformed hooks are refused here (PLUGIN_INVALID), not silently never called.
  const strategy = checkPlugin(opts.strategy, 'debut adapter');
  const logger = opts.logger ?? opts.context.logger;
  const key = { exchange, symbol };
  const book: DebutBook = { startBalance: 0, realised: 0, entries: new Map(), placing: false };
  const signals: Signal[] = [];
  const events = new DebutEvents();
  const delivered: Partial<Record<Timeframe, number>> = {};
  let lastFed: Partial<Record<Timeframe, number>> = {};
  let debut: DebutCore | undefined;
  let base: Timeframe | undefined;
  let feedsBase = true;
  let builder: CandleBuilder | undefined;
  let ready: Promise<void> | undefined;
  let hydrated: Snapshot | undefined;
  let reportedIncomplete = 0;
  const account = debutAccountView(() => debut, book, symbol);
  const orders = new DebutOrders({ strategy, symbol, book, account, events, logger, risk: opts.risk });
  const note = events.note.bind(events);

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

  const act = async (d: DebutCore, s: Signal, now: number): Promise<void> => {
    signals.push(s);
    if (signals.length > KEEP) signals.shift();
    logger.info({ signal: s }, 'debut adapter: signal');
    if (s.action === 'open') return orders.open(d, s, now);
    await orders.closeAll(d, 'signal_close', s.timestamp);
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
      events: () => events.list,
      counts: () => events.counts,
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
      if (!d.learning) opts.risk?.update(closeOf(c), account.equity());
      const longer = builder!.push(c).map((x) => toClosed(x.candle, key, x.timeframe));
      reportIncomplete();
      const due = [
        ...longer.filter((x) => x.timestamp > (lastFed[x.timeframe] ?? -Infinity)),
        ...(feedsBase ? [c] : []),
      ];
      if (!feedsBase) lastFed[base!] = c.timestamp;
      // Debut's learn() replays history with `learning` set (its orders are virtual): quantgate
      // takes it as warm-up and decides nothing on it.
      const decide = !d.learning;
      for (const x of due) {
        const s = await deliver(x, decide);
        if (s) await act(d, s, closeOf(x));
      }
    },

    onBeforeOpen(order: PendingOrder): boolean | void {
      return orders.beforeOpen(debut!, order);
    },

    async onOpen(order: ExecutedOrder): Promise<void> {
      orders.opened(debut!, order);
    },

    async onTick(this: PluginCtx, tick: DebutCandle): Promise<void> {
      await orders.tick(this.debut, tick);
    },

    async onClose(this: PluginCtx, order: ExecutedOrder, closing: ExecutedOrder): Promise<void> {
      orders.closed(this.debut, order, closing);
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
