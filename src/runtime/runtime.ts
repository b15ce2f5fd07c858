import type { ClosedCandle, Direction, ExchangeId, Signal, Timeframe } from '../core/types.ts';
import type { Clock } from '../core/clock.ts';
import { childLogger } from '../core/logger.ts';
import type { Logger } from '../core/logger.ts';
import { QuantgateError, describeError, isQuantgateError } from '../core/errors.ts';
import type { OrderResult } from '../exchange/index.ts';
import { seriesId } from '../exchange/index.ts';
import type { OrderExecutor } from './executor.ts';
import type { StateFile } from './state-file.ts';
import type { PendingIntent, PositionState, RuntimeState, TradeRecord } from './state.ts';
import { emptyState, equityOf } from './state.ts';
import { decisionClientId } from './client-ids.ts';
import { bookResult, chargeFunding } from './portfolio.ts';
import { expectedAtInstant, instantGroup } from './candle-batch.ts';
import { statusLine, statusOf } from './status.ts';
import type { RuntimeStatus } from './status.ts';
import type { QueuedCandle } from './candle-batch.ts';
import { checkPlugin } from '../strategy/index.ts';
import type { HostedPlugin, OrderUpdate, PluginContext, PluginState } from '../strategy/index.ts';
import type { RiskManager } from './risk-manager.ts';
import { accountViewOf } from './account-view.ts';
import { timeframeMs } from '../core/types.ts';

/**
 * The plugin as the runtime drives it: the one contract (`StrategyPlugin`) without the timeframe
 * metadata the composition root subscribes the streams with. Kept as a name for hosts and tests.
 */
export type RuntimePlugin = HostedPlugin;

export interface RuntimeOptions {
  readonly exchange: ExchangeId;
  readonly executionTimeframe: Timeframe;
  readonly plugin: HostedPlugin;
  /**
   * What the plugin's `init` gets besides the account (the runtime's own, read-only). Required when
   * the plugin has an `init`: the runtime calls it in `start`, before restoring the plugin's state.
   */
  readonly context?: Omit<PluginContext, 'account'>;
  readonly executor: OrderExecutor;
  readonly store: StateFile;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Quote balance of a fresh paper state (live: the exchange's balance from reconciliation). */
  readonly startingCash: number;
  readonly onTrade?: (t: TradeRecord) => void;
  /** Stream health for the status line. */
  readonly streamStatus?: () => string;
  readonly maxEquityPoints?: number;
  readonly maxTrades?: number;
  /** Limits every entry must pass (ACTIVE / REDUCING / HALTED); its state is saved with the runtime's. */
  readonly risk?: RiskManager;
  /**
   * Wall-clock ms the first candle of a close instant waits for the candles of the other series
   * that had the previous candle, so the plugin's `prepare` gets them together (0 = no wait).
   */
  readonly batchWaitMs?: number;
  /**
   * Runs after each queued candle is done (processed, skipped or failed), inside the queue: before
   * the next candle is processed. Errors are logged, never thrown.
   */
  readonly afterCandle?: (c: ClosedCandle, info: { readonly warmup: boolean }) => Promise<void> | void;
  /**
   * Raised once when a state write fails (the candle is skipped, memory goes back to what is on
   * disk) and once when writes work again. Default: the log line only.
   */
  readonly alert?: (a: RuntimeAlert) => void;
  /**
   * Whether `symbol`'s market can be shorted (perps: ccxt market type swap/future). Default: none
   * (spot), so a short signal is refused as `short_not_supported_on_spot`.
   */
  readonly canShort?: (symbol: string) => boolean;
  /**
   * Paper and backtest funding of perps, per 8 h on the position's notional at each funding instant
   * (00:00, 08:00, 16:00 UTC): longs pay and shorts receive a positive rate. 0 = none (spot, or
   * real orders, whose funding the exchange charges).
   */
  readonly fundingRatePer8h?: number;
}

export { FUNDING_INTERVAL_MS } from './portfolio.ts';

export interface RuntimeAlert {
  readonly severity: 'info' | 'warning' | 'critical';
  readonly code: 'state_write_failed' | 'state_write_recovered';
  readonly message: string;
}

/**
 * A state write (commit or in-flight save) failed. The runtime undoes the candle: its memory goes
 * back to the last state that reached the disk, so nothing it remembers was never saved.
 */
export class StateWriteFailed extends Error {
  constructor(
    readonly path: string,
    readonly reason: unknown,
  ) {
    super(`${path}: state write failed (${describeError(reason)})`);
    this.name = 'StateWriteFailed';
  }
}

export type { RuntimeStatus } from './status.ts';

/** What an operator's close did (`quantgate close`). */
export interface CloseOutcome {
  readonly symbol: string;
  /** sent: the market order went out (filled, or pending until the next candle in paper). */
  readonly result: 'sent' | 'no_position' | 'order_pending' | 'failed';
  readonly clientOrderId?: string;
  readonly state?: string;
}

/**
 * The thin built-in bot runtime: closed candles in (from the streams), the plugin decides, the
 * executor trades, state is saved after every candle. Candles are processed one at a time in
 * arrival order; a candle at or before the last processed one of its series is ignored, which
 * is what makes a restart resume exactly where it stopped.
 *
 * A candle is one transaction: what it changes is committed when it is done. Before an order is
 * sent, only the order is saved, on top of the state the candle started from (`inFlight`). After a
 * crash the candle is therefore processed again from the same state, so it decides the same
 * orders, and each one is looked up by its client id instead of sent again. (Committing the
 * half-processed candle made the second pass decide on a state the first pass had already
 * changed, e.g. check the stop of a position the same candle had just opened.)
 */
export class Runtime {
  private state: RuntimeState;
  private queue: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private readonly recentSignals: string[] = [];
  private freshSeries = new Set<string>();
  /** Open time of the last candle the plugin has seen per series, in this process (its memory is not persisted). */
  private readonly pluginSeen = new Map<string, number>();
  /** Intents decided on the candle being processed (saved as in flight until it is done). */
  private candleIntents: PendingIntent[] = [];
  /** Candles queued and not yet processed, in queue order (what `prepare` may group). */
  private readonly waiting: QueuedCandle[] = [];
  /** History candles processed since the last save (saved with the next decided candle or when the queue drains). */
  private unsaved = false;
  /** `series@openTime` of queued candles already handed to the plugin's `prepare`. */
  private readonly prepared = new Set<string>();
  /** Wakes a `prepareGroup` waiting for more candles of its instant. */
  private arrival: (() => void) | null = null;
  private stopped = false;
  /** Candles undone since start because their state write failed. */
  private writeFailures = 0;
  /** A write failure was alerted and no write has worked since. */
  private diskFailing = false;

  constructor(private readonly opts: RuntimeOptions) {
    this.log = childLogger(opts.logger, { component: 'runtime' });
    this.state = emptyState(opts.startingCash);
    checkPlugin(opts.plugin, 'runtime');
    if (opts.plugin.init && !opts.context)
      throw new QuantgateError(
        'PLUGIN_INVALID',
        `runtime: plugin ${JSON.stringify(opts.plugin.name)} has an init hook but the runtime was given no context for it`,
        { hook: 'init' },
      );
  }

  /**
   * Takes the state lock, loads the saved state and settles the pending orders of finished
   * candles; orders of a candle a crash interrupted (`inFlight`) are looked up when that candle is
   * processed again.
   */
  async start(restoreBackup = false): Promise<void> {
    this.opts.store.lock();
    try {
      const { plugin, context } = this.opts;
      if (plugin.init && context) await plugin.init({ ...context, account: accountViewOf(this) });
      await this.resume(restoreBackup);
    } catch (e) {
      // A start that fails (corrupt state, full disk) must not leave its lock behind.
      this.opts.store.unlock();
      throw e instanceof StateWriteFailed ? stateWriteError(e) : e;
    }
  }

  private async resume(restoreBackup: boolean): Promise<void> {
    const { store } = this.opts;
    const saved = restoreBackup ? store.restoreFromBackup() : store.read();
    if (saved) {
      this.state = saved;
      if (saved.plugin !== undefined) this.opts.plugin.restore?.(saved.plugin as PluginState);
      if (saved.executor !== undefined) this.opts.executor.restore?.(saved.executor);
      if (saved.risk) this.opts.risk?.restore(saved.risk as Parameters<RiskManager['restore']>[0]);
      this.log.info(
        {
          series: Object.keys(saved.lastProcessed).length,
          positions: Object.keys(saved.positions).length,
          state: store.path,
        },
        'resuming from saved state',
      );
    }
    for (const intent of [...this.state.pending]) {
      const r = await this.opts.executor.fetch(intent.clientOrderId, intent.symbol);
      // Accepted and still waiting for its fill (a paper order fills at the next candle's open).
      if (r && r.state === 'open' && r.filled === 0) continue;
      this.state.pending = this.state.pending.filter((p) => p !== intent);
      if (r && r.filled > 0) {
        this.log.warn(
          { clientOrderId: intent.clientOrderId },
          'an order sent before the restart was filled: applying it',
        );
        this.apply(intent, r, this.opts.clock.now());
      } else {
        // Canceled or rejected meanwhile: a final outcome the plugin hears of like any other.
        if (r) this.notify(intent, r, this.opts.clock.now());
        this.log.warn(
          { clientOrderId: intent.clientOrderId, found: r !== undefined },
          'an order in flight at the restart never filled',
        );
      }
    }
    const inFlight = this.state.inFlight ?? [];
    if (inFlight.length > 0)
      this.log.warn(
        { orders: inFlight.map((p) => `${p.series ?? p.symbol} ${p.kind} ${p.clientOrderId}`) },
        'a candle was being processed at the crash: it is processed again and its orders are looked up, not sent again',
      );
    this.save();
  }

  /** Queue a closed candle; `warmup` candles of a series with no saved state only build history. */
  onCandle(c: ClosedCandle, info: { readonly warmup: boolean } = { warmup: false }): Promise<void> {
    const entry = { c, warmup: info.warmup };
    this.waiting.push(entry);
    this.arrival?.();
    const run = this.queue.then(async () => {
      this.waiting.splice(this.waiting.indexOf(entry), 1);
      try {
        await this.process(c, info.warmup);
      } finally {
        await this.after(c, info);
      }
    });
    this.queue = run.catch((e: unknown) =>
      this.log.error(
        { err: describeError(e), series: seriesId(c), t: c.timestamp },
        'runtime: candle processing failed',
      ),
    );
    return run;
  }

  /** Resolves when every queued candle has been processed. */
  idle(): Promise<void> {
    return this.queue;
  }

  get snapshot(): Readonly<RuntimeState> {
    return this.state;
  }

  status(): RuntimeStatus {
    return statusOf(this.state, {
      lastSignals: [...this.recentSignals],
      modelVersions: this.opts.plugin.modelVersions?.() ?? {},
      stream: this.opts.streamStatus?.() ?? '',
      stateWriteFailures: this.writeFailures,
      risk: this.opts.risk ? { state: this.opts.risk.state, paused: this.opts.risk.paused } : undefined,
    });
  }

  // ---- operator commands (the control API); each runs in the candle queue, between candles ----

  /** Pauses new entries (saved with the risk state, so a restart stays paused). Exits keep working. */
  pauseEntries(): Promise<void> {
    return this.command(() => this.opts.risk?.pause());
  }

  /** Lifts a pause (and a halt): the risk manager's resume. */
  resumeEntries(): Promise<void> {
    return this.command(() => this.opts.risk?.resume());
  }

  /**
   * Market-closes `symbol` through the same path as a take-profit or stop exit: a persisted intent,
   * a client order id, the executor (paper fills at the next candle's open).
   */
  closePosition(symbol: string): Promise<CloseOutcome> {
    return this.command(async () => {
      const p = this.state.positions[symbol];
      if (!p) return { symbol, result: 'no_position' as const };
      if (this.hasPending(symbol)) return { symbol, result: 'order_pending' as const };
      const series = `${this.opts.exchange}|${symbol}|${this.opts.executionTimeframe}`;
      const before = this.state.decisions.executed;
      const errors = this.state.decisions.skipped.order_error ?? 0;
      this.candleIntents = [];
      await this.send(
        {
          symbol,
          side: p.direction === 'short' ? 'buy' : 'sell',
          amount: p.qty,
          kind: 'manual_close',
          // The last decided candle: a crash before the fill is settled when that series moves on.
          candleTime: this.state.lastProcessed[series] ?? this.opts.clock.now(),
          series,
        },
        this.opts.clock.now(),
      );
      this.candleIntents = [];
      const pending = this.state.pending.find((x) => x.symbol === symbol && x.kind === 'manual_close');
      const trade = this.state.trades.at(-1);
      const failed = (this.state.decisions.skipped.order_error ?? 0) > errors;
      const sent = !failed && (pending !== undefined || this.state.decisions.executed > before);
      return {
        symbol,
        result: sent ? ('sent' as const) : ('failed' as const),
        clientOrderId: pending?.clientOrderId ?? trade?.clientOrderId,
        state: pending ? 'open' : trade?.state,
      };
    });
  }

  /** Runs `fn` in the candle queue and saves the state after it. */
  private command<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const r = await fn();
      if (this.opts.risk) this.state.risk = this.opts.risk.snapshot();
      if (!this.stopped) this.save();
      return r;
    });
    this.queue = run.then(
      () => undefined,
      (e: unknown) => this.log.error({ err: describeError(e) }, 'runtime: operator command failed'),
    );
    return run;
  }

  logStatus(): void {
    this.log.info(statusLine(this.status()), 'status');
  }

  /**
   * Finishes queued candles, saves, frees the plugin's models, releases the lock — the lock is
   * released whatever fails. A final save that fails rejects with a one-line WRITE_FAILED error
   * (the state on disk is the last one committed: a restart resumes from there).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    let failure: unknown;
    try {
      await this.queue;
      this.save();
    } catch (e) {
      failure = e instanceof StateWriteFailed ? stateWriteError(e) : e;
    }
    try {
      await this.opts.plugin.dispose?.();
    } catch (e) {
      this.log.warn({ err: describeError(e) }, 'plugin dispose failed');
    } finally {
      this.opts.store.unlock();
    }
    if (failure !== undefined) throw failure;
  }

  // ---- internals ---------------------------------------------------------------------------

  private async process(c: ClosedCandle, warmup: boolean): Promise<void> {
    if (this.stopped) return;
    try {
      await this.processCandle(c, warmup);
    } catch (e) {
      if (!(e instanceof StateWriteFailed)) throw e;
      this.undo(c, e);
    }
  }

  /**
   * The candle's state could not be written: memory goes back to the last state on disk (orders
   * sent before the failure are there as in flight and are settled by the next candle of their
   * series), so no intent stays pending that never reached the executor. The candle is skipped;
   * the plugin has seen it. Trading resumes with the first candle whose state is written.
   */
  private undo(c: ClosedCandle, e: StateWriteFailed): void {
    const disk = this.opts.store.lastWritten();
    if (disk) {
      this.state = disk;
      if (disk.plugin !== undefined) this.opts.plugin.restore?.(disk.plugin as PluginState);
      if (disk.risk) this.opts.risk?.restore(disk.risk as Parameters<RiskManager['restore']>[0]);
    }
    this.unsaved = false;
    this.candleIntents = [];
    this.writeFailures++;
    this.log.error(
      { err: describeError(e.reason), state: e.path, series: seriesId(c), t: c.timestamp },
      'state write failed: candle skipped, memory back to the last saved state',
    );
    if (!this.diskFailing) {
      this.diskFailing = true;
      this.opts.alert?.({
        severity: 'critical',
        code: 'state_write_failed',
        message: `${e.message}: trading paused until the state can be written again (candles are skipped meanwhile)`,
      });
    }
  }

  private async processCandle(c: ClosedCandle, warmup: boolean): Promise<void> {
    const id = seriesId(c);
    const last = this.state.lastProcessed[id];
    if (last !== undefined && c.timestamp <= last) {
      // Already decided on before a restart: the plugin lost its in-memory history (features,
      // forecasts), so it re-reads these candles without deciding again.
      if (this.opts.plugin.warm && c.timestamp > (this.pluginSeen.get(id) ?? -Infinity))
        await this.feedHistory(c, id);
      return;
    }
    const history = warmup && (last === undefined || this.freshSeries.has(id));
    if (history) this.freshSeries.add(id);
    // A decided candle's orders are saved on top of the state it started from: that must be on disk.
    else if (this.unsaved) this.save();
    this.candleIntents = [];
    const exec = c.timeframe === this.opts.executionTimeframe;
    if (exec && !history) {
      // Orders decided on the previous candle fill at this candle's open (paper), or are settled now (live).
      this.opts.executor.onCandle?.(c);
      await this.settle(c.symbol, c.timestamp);
    }
    // Orders of an earlier candle left in flight (a skipped candle whose state write failed): what
    // the exchange did with them is known before this candle decides anything.
    if (!history) await this.settleInFlight(id, c.timestamp - 1, c.timestamp);
    if (exec) this.state.lastPrices[c.symbol] = c.close;
    if (exec && !history) this.chargeFunding(c);
    if (exec && !history) await this.checkExits(c);
    // Equity is marked at the candle's close time: the risk state machine sees candle time, never wall time.
    if (exec && !history)
      this.opts.risk?.update(c.timestamp + timeframeMs(c.timeframe), equityOf(this.state));
    let signal: Signal | null = null;
    if (history) await this.feedHistory(c, id);
    else {
      this.pluginSeen.set(id, c.timestamp);
      await this.prepareGroup(c, id);
      try {
        signal = await this.opts.plugin.onCandle(c);
      } catch (e) {
        this.count('plugin_error');
        this.log.error({ err: describeError(e), series: id }, 'plugin failed on a candle; no decision');
      }
    }
    if (!history) {
      this.state.decisions.candles++;
      if (signal) await this.onSignal(signal, c);
      if (exec) this.pushEquity(c);
      await this.settleInFlight(id, c.timestamp, c.timestamp);
    }
    this.candleIntents = [];
    this.state.lastProcessed[id] = c.timestamp;
    this.state.plugin = this.opts.plugin.snapshot?.();
    if (this.opts.risk) this.state.risk = this.opts.risk.snapshot();
    // History of a series with no saved state is fetched again after a crash: while more is queued
    // there is nothing to lose, and an fsync per warm-up candle (20 symbols × 4 timeframes × 500)
    // made start-up take minutes on a real disk.
    if (history && this.waiting.length > 0) this.unsaved = true;
    else this.save();
  }

  /**
   * Hands the plugin `c` with every queued candle closing with it (same timeframe and open time)
   * that will be decided next for its series, so it can batch its model calls for the instant.
   */
  private async prepareGroup(c: ClosedCandle, id: string): Promise<void> {
    if (!this.opts.plugin.prepare || this.prepared.delete(`${id}@${c.timestamp}`)) return;
    let group = this.groupOf(c, id);
    const expected = this.expectedAt(c);
    const wait = this.opts.batchWaitMs ?? 0;
    if (group.length < expected && wait > 0) {
      // Streams deliver each symbol's candle in its own message: wait (bounded) for the rest.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), wait)));
      try {
        while (group.length < expected && !this.stopped) {
          const more = new Promise<'more'>((r) => (this.arrival = () => r('more')));
          if ((await Promise.race([more, timeout])) === 'timeout') break;
          group = this.groupOf(c, id);
        }
      } finally {
        this.arrival = null;
        clearTimeout(timer);
      }
    }
    for (const w of group) if (w !== c) this.prepared.add(`${seriesId(w)}@${w.timestamp}`);
    try {
      await this.opts.plugin.prepare(group);
    } catch (e) {
      // The plugin answers each candle on its own then.
      this.log.warn({ err: describeError(e), series: id, candles: group.length }, 'plugin prepare failed');
    }
  }

  private async after(c: ClosedCandle, info: { readonly warmup: boolean }): Promise<void> {
    try {
      await this.opts.afterCandle?.(c, info);
    } catch (e) {
      this.log.warn({ err: describeError(e), series: seriesId(c) }, 'afterCandle hook failed');
    }
  }

  /** `c` and every queued candle of its instant that will be decided next for its series. */
  private groupOf(c: ClosedCandle, id: string): ClosedCandle[] {
    return instantGroup(c, id, this.waiting, this.state.lastProcessed, this.freshSeries);
  }

  /** Series of `c`'s timeframe whose previous candle was processed: each should close at `c`'s instant too. */
  private expectedAt(c: ClosedCandle): number {
    return expectedAtInstant(c, this.state.lastProcessed);
  }

  private async feedHistory(c: ClosedCandle, id: string): Promise<void> {
    this.pluginSeen.set(id, c.timestamp);
    try {
      if (this.opts.plugin.warm) await this.opts.plugin.warm(c);
      else await this.opts.plugin.onCandle(c);
    } catch (e) {
      this.log.warn({ err: describeError(e), series: id }, 'plugin failed on a history candle');
    }
  }

  /** Applies pending orders of `symbol` that have filled (or were refused) since they were sent. */
  private async settle(symbol: string, at: number): Promise<void> {
    for (const intent of this.state.pending.filter((p) => p.symbol === symbol)) {
      const r = await this.opts.executor.fetch(intent.clientOrderId, intent.symbol);
      if (!r || (r.state === 'open' && r.filled === 0)) continue;
      this.state.pending = this.state.pending.filter((p) => p !== intent);
      this.apply(intent, r, at);
    }
  }

  private hasPending(symbol: string): boolean {
    return this.state.pending.some((p) => p.symbol === symbol);
  }

  private async checkExits(c: ClosedCandle): Promise<void> {
    const p = this.state.positions[c.symbol];
    if (!p || this.hasPending(c.symbol)) return;
    // Mirrored for shorts (stop above, target below). Both touched in one candle: assume the stop
    // came first (pessimistic).
    const long = p.direction === 'long';
    const stopHit = long ? c.low <= p.stopLoss : c.high >= p.stopLoss;
    const targetHit = long ? c.high >= p.takeProfit : c.low <= p.takeProfit;
    const kind = stopHit ? 'stop_loss' : targetHit ? 'take_profit' : undefined;
    if (kind)
      await this.send(
        {
          symbol: c.symbol,
          side: closingSide(p),
          amount: p.qty,
          kind,
          candleTime: c.timestamp,
          series: seriesId(c),
          direction: p.direction,
        },
        closeTime(c),
      );
  }

  private chargeFunding(c: ClosedCandle): void {
    chargeFunding(this.state, c, this.opts.fundingRatePer8h ?? 0);
  }

  private async onSignal(sig: Signal, c: ClosedCandle): Promise<void> {
    this.state.decisions.signals++;
    const text = `${new Date(sig.timestamp).toISOString()} ${sig.symbol} ${sig.action} ${sig.direction} conf ${sig.confidence.toFixed(2)} rr ${sig.riskReward.toFixed(2)}: ${sig.reason}`;
    this.recentSignals.push(text);
    if (this.recentSignals.length > 5) this.recentSignals.shift();
    const p = this.state.positions[sig.symbol];
    if (this.hasPending(sig.symbol)) return this.count('order_pending');
    if (sig.action === 'close') {
      if (p)
        await this.send(
          {
            symbol: sig.symbol,
            side: closingSide(p),
            amount: p.qty,
            kind: 'signal_close',
            candleTime: c.timestamp,
            series: seriesId(c),
            direction: p.direction,
          },
          closeTime(c),
        );
      else this.count('no_position_to_close');
      return;
    }
    // The market decides, not a flag: spot cannot short whatever strategy.sizing.allowShort says.
    if (sig.direction === 'short' && !(this.opts.canShort?.(sig.symbol) ?? false))
      return this.count('short_not_supported_on_spot');
    if (p) return this.count('position_open');
    if (!(sig.size > 0)) return this.count('zero_size');
    let amount = sig.size;
    const risk = this.opts.risk;
    if (risk) {
      const notional = (sym: string) => {
        const q = this.state.positions[sym];
        return q ? q.qty * (this.state.lastPrices[sym] ?? q.entryPrice) : 0;
      };
      const now = c.timestamp + timeframeMs(c.timeframe);
      const verdict = risk.checkEntry({
        now,
        symbol: sig.symbol,
        price: sig.price,
        quantity: sig.size,
        equity: equityOf(this.state),
        openPositions: Object.keys(this.state.positions).length,
        symbolNotional: notional(sig.symbol),
        totalNotional: Object.keys(this.state.positions).reduce((a, k) => a + notional(k), 0),
      });
      if (!verdict.ok) {
        // Per candle, like every decision: debug; the reason is counted and summarised at info.
        this.log.debug(
          { symbol: sig.symbol, reason: verdict.reason, detail: verdict.detail },
          'entry refused by risk manager',
        );
        return this.count(verdict.reason);
      }
      amount = verdict.quantity;
    }
    // After the risk check, before the order: the plugin's last word (a veto is counted as a reason).
    const veto = this.beforeOpen(sig, amount);
    if (veto !== null) return this.count(veto);
    risk?.recordOrder(closeTime(c));
    await this.send(
      {
        symbol: sig.symbol,
        side: sig.direction === 'short' ? 'sell' : 'buy',
        direction: sig.direction,
        amount,
        kind: 'open',
        candleTime: c.timestamp,
        series: seriesId(c),
        takeProfit: sig.takeProfit,
        stopLoss: sig.stopLoss,
        ...(sig.pWin !== undefined ? { pWin: sig.pWin } : {}),
        ...(sig.expectedEdgeBps !== undefined ? { expectedEdgeBps: sig.expectedEdgeBps } : {}),
      },
      closeTime(c),
    );
  }

  /** The plugin's `beforeOpen`: null to go ahead, else the reason to count (a failing hook refuses). */
  private beforeOpen(sig: Signal, quantity: number): string | null {
    const { plugin } = this.opts;
    if (!plugin.beforeOpen) return null;
    try {
      const veto = plugin.beforeOpen(sig, quantity);
      if (veto === null) return null;
      this.log.debug(
        { symbol: sig.symbol, reason: veto.reason, detail: veto.detail },
        'entry vetoed by the plugin',
      );
      return `veto:${veto.reason}`;
    } catch (e) {
      this.log.error(
        { err: describeError(e), symbol: sig.symbol },
        'plugin beforeOpen failed; entry refused',
      );
      return 'plugin_error';
    }
  }

  /**
   * Tells the plugin an order reached its final state (`at`: candle time the outcome became
   * known). A failing hook is logged: the fill is the account's whatever the plugin does with it.
   */
  private notify(i: PendingIntent, r: OrderResult, at: number, direction?: Direction): void {
    const { plugin } = this.opts;
    if (!plugin.onOrderUpdate) return;
    const filled = r.filled > 0 && r.averagePrice !== undefined;
    const update: OrderUpdate = {
      symbol: i.symbol,
      kind: i.kind === 'open' ? 'entry' : 'exit',
      status: filled ? 'filled' : r.state === 'canceled' ? 'canceled' : 'rejected',
      direction:
        direction ?? i.direction ?? (i.kind === 'open' ? (i.side === 'buy' ? 'long' : 'short') : 'long'),
      price: filled ? r.averagePrice! : 0,
      quantity: filled ? r.filled : 0,
      timestamp: at,
      clientOrderId: i.clientOrderId,
      reason: i.kind,
      ...(r.message !== undefined ? { message: r.message } : {}),
    };
    try {
      plugin.onOrderUpdate(update);
    } catch (e) {
      this.log.warn({ err: describeError(e), clientOrderId: i.clientOrderId }, 'plugin onOrderUpdate failed');
    }
  }

  private async send(i: Omit<PendingIntent, 'clientOrderId'>, at: number): Promise<void> {
    const clientOrderId = decisionClientId([this.opts.exchange, i.symbol, i.kind, i.candleTime]);
    if (
      this.state.trades.some((t) => t.clientOrderId === clientOrderId) ||
      this.state.pending.some((p) => p.clientOrderId === clientOrderId)
    )
      return;
    const intent: PendingIntent = { ...i, clientOrderId };
    // Decided again after a crash in this candle: the order may have reached the exchange.
    const before = this.takeInFlight(clientOrderId);
    // Persist the intent before the request: a crash in between is resolved at the restart.
    this.state.pending.push(intent);
    this.candleIntents.push(intent);
    try {
      this.opts.store.writeInFlight(this.candleIntents, this.opts.clock.now());
    } catch (e) {
      // Not sent: the undo takes the intent out of memory again.
      throw new StateWriteFailed(this.opts.store.path, e);
    }
    let r: OrderResult;
    try {
      const known = before ? await this.opts.executor.fetch(clientOrderId, i.symbol) : undefined;
      if (known)
        this.log.warn(
          { clientOrderId },
          'order sent before the restart: taking its result, not sending again',
        );
      r =
        known ??
        (await this.opts.executor.submit({
          clientOrderId,
          symbol: i.symbol,
          side: i.side,
          type: 'market',
          amount: i.amount,
          price: this.state.lastPrices[i.symbol],
          // A close only ever reduces its position (perps: never flips it).
          reduceOnly: i.kind !== 'open',
        }));
    } catch (e) {
      // Nothing is known about the order: keep the intent pending so the next start asks.
      this.log.error({ err: describeError(e), clientOrderId }, 'order submission failed');
      this.count('order_error');
      return;
    }
    // Accepted, not yet filled: stays pending and is settled on a later candle.
    if (r.state === 'open' && r.filled === 0) return;
    this.state.pending = this.state.pending.filter((p) => p.clientOrderId !== clientOrderId);
    this.apply(intent, r, at);
  }

  private takeInFlight(clientOrderId: string): PendingIntent | undefined {
    const list = this.state.inFlight ?? [];
    const found = list.find((p) => p.clientOrderId === clientOrderId);
    if (found) this.state.inFlight = list.filter((p) => p !== found);
    return found;
  }

  /**
   * Orders sent before a crash on this candle (or an earlier one of this series) that the
   * candle's new processing did not decide again: the exchange's word settles them.
   */
  private async settleInFlight(series: string, t: number, at: number): Promise<void> {
    const left = (this.state.inFlight ?? []).filter((p) => p.series === series && p.candleTime <= t);
    for (const intent of left) {
      const r = await this.opts.executor.fetch(intent.clientOrderId, intent.symbol);
      this.state.inFlight = (this.state.inFlight ?? []).filter((p) => p !== intent);
      if (!r) {
        this.log.warn(
          { clientOrderId: intent.clientOrderId },
          'an order in flight at the crash never reached the exchange',
        );
        continue;
      }
      this.log.warn(
        { clientOrderId: intent.clientOrderId, state: r.state },
        'an order sent before the crash was not decided again after the restart: applying what the exchange says',
      );
      if (r.state === 'open' && r.filled === 0) this.state.pending.push(intent);
      else this.apply(intent, r, at);
    }
  }

  /** Books an order's final result (`at`: candle time it became known) and tells the plugin. */
  private apply(i: PendingIntent, r: OrderResult, at: number): void {
    const direction = i.direction ?? this.state.positions[i.symbol]?.direction;
    this.book(i, r);
    this.notify(i, r, at, direction);
  }

  /** The portfolio books the result; the runtime counts a refusal and records the trade. */
  private book(i: PendingIntent, r: OrderResult): void {
    const { trade, refused } = bookResult(this.state, i, r, {
      feeRate: this.opts.executor.feeRate,
      executionTimeframe: this.opts.executionTimeframe,
      funded: (this.opts.fundingRatePer8h ?? 0) !== 0,
    });
    if (refused) this.count(refused);
    this.record(trade);
  }

  private record(t: TradeRecord): void {
    this.state.trades.push(t);
    const max = this.opts.maxTrades ?? 10_000;
    if (this.state.trades.length > max) this.state.trades.splice(0, this.state.trades.length - max);
    this.log.info({ trade: t }, 'trade');
    this.opts.onTrade?.(t);
  }

  private pushEquity(c: ClosedCandle): void {
    const curve = this.state.equityCurve;
    const t = c.timestamp;
    if (curve.length > 0 && curve[curve.length - 1][0] === t)
      curve[curve.length - 1][1] = equityOf(this.state);
    else curve.push([t, equityOf(this.state)]);
    const max = this.opts.maxEquityPoints ?? 20_000;
    if (curve.length > max) curve.splice(0, curve.length - max);
  }

  private count(reason: string): void {
    const k = this.state.decisions.skipped;
    k[reason] = (k[reason] ?? 0) + 1;
  }

  private save(): void {
    this.unsaved = false;
    this.state.savedAt = this.opts.clock.now();
    if (this.opts.executor.snapshot) this.state.executor = this.opts.executor.snapshot();
    try {
      this.opts.store.write(this.state);
    } catch (e) {
      throw new StateWriteFailed(this.opts.store.path, e);
    }
    if (this.diskFailing) {
      this.diskFailing = false;
      this.log.warn({ state: this.opts.store.path, skipped: this.writeFailures }, 'state writes work again');
      this.opts.alert?.({
        severity: 'info',
        code: 'state_write_recovered',
        message: `${this.opts.store.path}: state writes work again; trading resumed`,
      });
    }
  }
}

/** A candle's close time (ms): when what it decided goes out. */
function closeTime(c: ClosedCandle): number {
  return c.timestamp + timeframeMs(c.timeframe);
}

/** The side of the order that closes `p`. */
function closingSide(p: PositionState): 'buy' | 'sell' {
  return p.direction === 'short' ? 'buy' : 'sell';
}

/** The one-line error of a state write that failed outside a candle (start, stop). */
function stateWriteError(e: StateWriteFailed): QuantgateError {
  if (isQuantgateError(e.reason)) return e.reason;
  const code = (e.reason as NodeJS.ErrnoException | undefined)?.code;
  return new QuantgateError(
    'WRITE_FAILED',
    `${e.path}: could not write the runtime state (${code ?? describeError(e.reason)}); the last saved state is kept`,
    { file: e.path, cause: code },
  );
}
