import type { Config } from '../config/index.ts';
import type { Logger } from '../core/logger.ts';
import type { ClosedCandle, Direction, ModelTimeframe, Signal } from '../core/types.ts';
import type { DecisionRecorder } from './decisions.ts';
import type { ModelSet } from './model-set.ts';

/** An open position as the host's account sees it. */
export interface PositionInfo {
  readonly direction: Direction;
  readonly quantity: number;
  readonly entryPrice: number;
  /** Open time of the candle at which the entry was decided. */
  readonly entryTime: number;
}

/** The host's account, read-only: what the plugin needs to size and manage trades. */
export interface AccountView {
  equity(): number;
  position(symbol: string): PositionInfo | null;
  /** True while an order for `symbol` is sent but not settled. */
  hasPending(symbol: string): boolean;
}

/** What became of one of the plugin's orders. */
export type OrderStatus = 'filled' | 'canceled' | 'rejected';

/**
 * One of the plugin's orders reached a final state: filled (fully or partly: `quantity` is what
 * filled), canceled, or rejected (both with `quantity` 0 and `price` 0). One update per order.
 */
export interface OrderUpdate {
  readonly symbol: string;
  /** entry: the order opened a position; exit: it closed one (take-profit, stop, close signal, operator). */
  readonly kind: 'entry' | 'exit';
  readonly status: OrderStatus;
  /** The position the order opens or closes. */
  readonly direction: Direction;
  /** Average fill price (0 when nothing filled). */
  readonly price: number;
  /** Filled quantity in base units (0 when nothing filled). */
  readonly quantity: number;
  /**
   * Candle time at which the host learnt the outcome, in ms: the open time of the execution candle
   * at whose open a paper order fills (and when a queued order is settled), or the close time of the
   * decision candle when the order filled at once. Never wall time in a backtest.
   */
  readonly timestamp: number;
  /** The host's client order id (stable per decision). */
  readonly clientOrderId: string;
  /** Why the host sent it: open, take_profit, stop_loss, signal_close, manual_close. */
  readonly reason: string;
  /** The venue's or the host's words for a cancel or a reject. */
  readonly message?: string;
}

/** What a host gives the plugin at `init`. */
export interface PluginContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly models: ModelSet;
  readonly account: AccountView;
  readonly decisions: DecisionRecorder;
}

export interface Veto {
  /** A short stable code (`[a-z0-9_]+`); the host counts the veto as `veto:<reason>`. */
  readonly reason: string;
  /** Free text for the log. */
  readonly detail?: string;
}

/** Serialisable plugin state (JSON); `restore` after a restart continues where it stopped. */
export type PluginState = Readonly<Record<string, unknown>>;

/**
 * The hooks of the plugin contract, declared once (what hosts call and what `checkPlugin`
 * accepts). Every hook but `onCandle` is optional; the documented default is what a host does when
 * the plugin leaves it out.
 *
 * The order a host calls them in (the contract test kit in `src/contract` checks it):
 * 1. `init` once, before anything else (after the host's account exists, before `restore`).
 * 2. `restore` at most once, right after `init`, with what `snapshot` returned before a restart.
 * 3. Per closed candle of the plugin's timeframes, in close-time order (one series' candles in
 *    open-time order): `warm` for history (warm-up, or candles already decided before a restart),
 *    else `prepare` (optional, a group of same-instant candles, before the first `onCandle` of the
 *    group) and `onCandle`. Orders decided on an earlier candle are settled first: their
 *    `onOrderUpdate` comes before the `onCandle` of the candle at which the host learns the outcome.
 * 4. For an `open` signal: the host's own checks (position, spot shorts, size), the risk manager,
 *    then `beforeOpen`, then the order. `onOrderUpdate` follows once per order when it fills, is
 *    canceled or is rejected (possibly during the same candle, possibly at a later one).
 * 5. `snapshot` whenever the host persists its state (the built-in runtime: after every candle).
 * 6. `dispose` last, once.
 */
export const PLUGIN_HOOKS = [
  'init',
  'restore',
  'warm',
  'prepare',
  'onCandle',
  'beforeOpen',
  'onOrderUpdate',
  'snapshot',
  'modelVersions',
  'dispose',
] as const;

export type PluginHook = (typeof PLUGIN_HOOKS)[number];

/** Data members of the contract (not hooks). */
export const PLUGIN_FIELDS = ['name', 'timeframes', 'warmup'] as const;

/**
 * The host-agnostic strategy plugin: the ONLY plugin contract. A host (the built-in runtime, the
 * backtester, or an adapter for another bot framework) feeds it closed candles of the declared
 * timeframes in close-time order and acts on the returned signals. `onCandle` is the one required
 * decision point; every other hook is optional with the safe default written beside it.
 */
export interface StrategyPlugin {
  readonly name: string;
  /** Timeframes the plugin needs candles of. */
  readonly timeframes: readonly ModelTimeframe[];
  /** Candles per timeframe needed before the first signal (feature warm-up + model window). */
  readonly warmup: Readonly<Partial<Record<ModelTimeframe, number>>>;
  /** Load models, check the config. Default: nothing to set up. */
  init?(ctx: PluginContext): Promise<void>;
  /** A closed candle; returns a signal to open or close a position, or null (the reason is recorded). */
  onCandle(candle: ClosedCandle): Promise<Signal | null>;
  /**
   * History only: warm-up candles, and, after a restart, the candles already decided on — for
   * in-memory state the snapshot does not hold (features, forecasts). Updates state, decides
   * nothing. Default: the host calls `onCandle` and ignores its signal.
   */
  warm?(candle: ClosedCandle): Promise<void>;
  /**
   * Batching hook: candles of one timeframe closing at the same instant (distinct series), handed
   * over before the host feeds each of them to `onCandle`. The plugin may do the work of the whole
   * group at once (one model call instead of one per symbol). A host that calls it must then feed
   * every one of these candles to `onCandle` (or `warm`) next for its series, in its usual order;
   * results are the same as without the call. Default: each candle on its own.
   */
  prepare?(candles: readonly ClosedCandle[]): Promise<void>;
  /**
   * Every final outcome of the plugin's orders: fills (entries, take-profit, stop-loss, exits),
   * cancels and rejects. Default: ignored.
   */
  onOrderUpdate?(update: OrderUpdate): void;
  /**
   * Last chance to veto an entry that passed the host's checks and the risk manager, with the
   * quantity the order will have (the risk manager may have cut the signal's size). Default: no veto.
   */
  beforeOpen?(signal: Signal, quantity: number): Veto | null;
  /** Serialisable state for a restart. Default: nothing is saved (and `restore` is never called). */
  snapshot?(): PluginState;
  /** The state `snapshot` returned before a restart. Default: ignored. */
  restore?(state: PluginState): void;
  /** Model version per timeframe, for the status line. Default: none shown. */
  modelVersions?(): Record<string, string>;
  /** Frees tensors and timers. Default: nothing to free. */
  dispose?(): Promise<void>;
}

/**
 * What a host that is handed its candles needs of a plugin: everything but the timeframes and
 * warm-up, which the composition root reads to subscribe the streams (the built-in runtime and the
 * backtest through it take this).
 */
export type HostedPlugin = Pick<StrategyPlugin, 'name' | PluginHook>;
