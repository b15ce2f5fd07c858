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

/** A fill of one of the plugin's orders. */
export interface OrderUpdate {
  readonly symbol: string;
  readonly kind: 'entry' | 'exit';
  readonly price: number;
  readonly quantity: number;
  readonly timestamp: number;
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
  readonly reason: string;
}

/** Serialisable plugin state (JSON); `restore` after a restart continues where it stopped. */
export type PluginState = Readonly<Record<string, unknown>>;

/**
 * The host-agnostic strategy plugin. A host (the built-in runtime, the backtester, or an adapter
 * for another bot framework) feeds it closed candles of the declared timeframes in close-time
 * order and acts on the returned signals. `onCandle` is the one required decision point.
 */
export interface StrategyPlugin {
  readonly name: string;
  /** Timeframes the plugin needs candles of. */
  readonly timeframes: readonly ModelTimeframe[];
  /** Candles per timeframe needed before the first signal (feature warm-up + model window). */
  readonly warmup: Readonly<Partial<Record<ModelTimeframe, number>>>;
  init(ctx: PluginContext): Promise<void>;
  /** A closed candle; returns a signal to open or close a position, or null (the reason is recorded). */
  onCandle(candle: ClosedCandle): Promise<Signal | null>;
  /**
   * Optional batching hook: candles of one timeframe closing at the same instant (distinct
   * series), handed over before the host feeds each of them to `onCandle`. The plugin may do the
   * work of the whole group at once (one model call instead of one per symbol). A host that calls
   * it must then feed every one of these candles to `onCandle` (or `warm`) next for its series, in
   * its usual order; results are the same as without the call.
   */
  prepare?(candles: readonly ClosedCandle[]): Promise<void>;
  /** Fills of the plugin's orders (entries, take-profit, stop-loss, exits). */
  onOrderUpdate?(update: OrderUpdate): void;
  /** Last chance to veto an entry that passed the risk manager. */
  beforeOpen?(signal: Signal): Veto | null;
  snapshot(): PluginState;
  restore(state: PluginState): void;
  /** Frees tensors and timers. */
  dispose(): Promise<void>;
}
