import type { Candle, ClosedCandle, ExchangeId, SeriesKey, Timeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import type { Clock } from '../core/clock.ts';
import { childLogger } from '../core/logger.ts';
import type { Logger } from '../core/logger.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import type { CcxtExchange } from './ccxt-factory.ts';
import { candleProblem, frameClassifier } from './stream-frames.ts';
import type { FrameVerdict } from './stream-frames.ts';
import { backoffDelay, cancellableSleep } from './backoff.ts';
import { seriesId } from './candle-buffers.ts';

export interface StreamSeries {
  readonly symbol: string;
  readonly timeframe: Timeframe;
}

export interface CandleStreamOptions {
  readonly exchange: ExchangeId;
  /** From createCcxtExchange. The stream installs a frame check on it and closes its sockets on stop. */
  readonly ccxt: CcxtExchange;
  readonly series: readonly StreamSeries[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Closed candles fetched by REST per series at start (0 = none). Default 500. */
  readonly warmupCandles?: number;
  /** After a candle's close time plus this, it is fetched by REST if the socket has not closed it. Default 5000. */
  readonly closeGraceMs?: number;
  readonly reconnect?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  /** How often (wall-clock ms) overdue candles are looked for. Default 1000. */
  readonly checkIntervalMs?: number;
  /** Failed REST warm-up attempts per series before `start()` gives up. Default 8. */
  readonly warmupAttempts?: number;
}

/** Where a delivered candle came from. */
export interface DeliveryInfo {
  readonly source: 'ws' | 'rest';
  readonly warmup: boolean;
}

export type CandleListener = (candle: ClosedCandle, info: DeliveryInfo) => void;

export interface StreamStats {
  /** Candles handed to listeners after warm-up (ws + rest). */
  delivered: number;
  deliveredWs: number;
  /** Delivered from REST after warm-up: gap backfills and overdue closes. */
  backfilled: number;
  warmup: number;
  duplicatesDropped: number;
  outOfOrder: number;
  malformed: number;
  /** New websocket connections after the first (reconnects, whatever caused them). */
  reconnects: number;
  /** Pending watches that rejected (connection errors, timeouts). */
  watchErrors: number;
  restErrors: number;
  listenerErrors: number;
  /** Open time of the newest delivered candle per series (`exchange|symbol|timeframe`). */
  lastCandleTime: Record<string, number>;
}

interface Pending {
  candle: Candle;
  /** The websocket client that sent its latest update: values are trusted only on the same one. */
  client: unknown;
}

interface SeriesState {
  readonly key: SeriesKey;
  readonly id: string;
  readonly tfMs: number;
  lastEmitted: number; // NaN until warm-up or the first delivery
  /** Newest open time REST has been asked about (closed candles only), NaN if never. */
  restCovered: number;
  pending: Pending | null;
  /** Candles closed on the socket while a backfill runs (or after a gap), delivered after it. */
  held: Candle[];
  backfilling: boolean;
  backfillAgain: boolean;
  lastCandleTime: number;
}

const WARN_EVERY = 100;
const WS_INFO: DeliveryInfo = Object.freeze({ source: 'ws', warmup: false });
const REST_INFO: DeliveryInfo = Object.freeze({ source: 'rest', warmup: false });
const WARMUP_INFO: DeliveryInfo = Object.freeze({ source: 'rest', warmup: true });

/**
 * Closed candles for many (symbol, timeframe) series of one exchange over one ccxt.pro
 * websocket, each delivered exactly once, in order, with the exchange's values:
 *
 * - every frame is checked before ccxt sees it: malformed ones and stale updates are counted and
 *   dropped; nothing in a frame can throw out of the stream;
 * - a candle is closed when the exchange says so (Binance `x`), when a later open time arrives on
 *   the same connection, or — fetched by REST — when its close time plus the grace has passed;
 * - after a reconnect, a gap in open times or an untrusted candle, the missing range is fetched
 *   by REST and merged, deduplicated by open time;
 * - watch errors reconnect with capped exponential backoff; REST errors retry the same way.
 */
export class CandleStream {
  private readonly opts: CandleStreamOptions;
  private readonly ex: CcxtExchange;
  private readonly log: Logger;
  private readonly states: SeriesState[] = [];
  private readonly byWire = new Map<string, SeriesState>();
  private readonly listeners = new Set<CandleListener>();
  private readonly classify: (m: unknown) => FrameVerdict;
  private readonly graceMs: number;
  private readonly initialDelay: number;
  private readonly maxDelay: number;
  private readonly statsData: StreamStats;
  private running = false;
  private currentClient: unknown = undefined;
  private framesSeen = 0;
  private checkTimer: NodeJS.Timeout | undefined;
  private readonly sleeps = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private readonly passThrough: (client: unknown, message: unknown) => void;

  constructor(opts: CandleStreamOptions) {
    if (opts.series.length === 0) {
      throw new QuantgateError(
        'CONFIG_INVALID',
        `exchange.symbols: no series to stream for ${opts.exchange}`,
      );
    }
    this.opts = opts;
    this.ex = opts.ccxt;
    this.log = childLogger(opts.logger, { component: 'candle-stream', exchange: opts.exchange });
    this.classify = frameClassifier(opts.exchange);
    this.graceMs = opts.closeGraceMs ?? 5_000;
    this.initialDelay = opts.reconnect?.initialDelayMs ?? 500;
    this.maxDelay = opts.reconnect?.maxDelayMs ?? 30_000;
    this.statsData = {
      delivered: 0,
      deliveredWs: 0,
      backfilled: 0,
      warmup: 0,
      duplicatesDropped: 0,
      outOfOrder: 0,
      malformed: 0,
      reconnects: 0,
      watchErrors: 0,
      restErrors: 0,
      listenerErrors: 0,
      lastCandleTime: {},
    };
    const seen = new Set<string>();
    for (const s of opts.series) {
      const key: SeriesKey = { exchange: opts.exchange, symbol: s.symbol, timeframe: s.timeframe };
      const id = seriesId(key);
      if (seen.has(id)) continue;
      seen.add(id);
      this.states.push({
        key,
        id,
        tfMs: timeframeMs(s.timeframe),
        lastEmitted: Number.NaN,
        restCovered: Number.NaN,
        pending: null,
        held: [],
        backfilling: false,
        backfillAgain: false,
        lastCandleTime: Number.NaN,
      });
    }
    // ccxt binds handleMessage when it creates a websocket client, so the check must be in
    // place before the first watch call.
    const original = this.ex.handleMessage.bind(this.ex) as (client: unknown, message: unknown) => void;
    this.passThrough = original;
    this.ex.handleMessage = (client: unknown, message: unknown) => this.onFrame(client, message);
  }

  onCandle(fn: CandleListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Loads markets, warms every series up by REST, then starts streaming in the background. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // ccxt keeps a failed loadMarkets() promise and hands the same rejection to every later call:
    // a retry must ask for a reload, or one 503 at start-up fails all attempts without a request.
    let reload = false;
    await this.retry(
      'loadMarkets',
      () => {
        const p = this.ex.loadMarkets(reload);
        reload = true;
        return p;
      },
      this.opts.warmupAttempts ?? 8,
    );
    for (const st of this.states) {
      if (!this.ex.markets || !(st.key.symbol in this.ex.markets)) {
        throw new QuantgateError(
          'CONFIG_INVALID',
          `exchange.symbols: ${st.key.symbol} is not a market on ${this.opts.exchange} (ccxt unified symbol expected, e.g. BTC/USDT or BTC/USDC:USDC)`,
        );
      }
      this.byWire.set(this.wireKeyOf(st), st);
    }
    const n = this.opts.warmupCandles ?? 500;
    if (n > 0) this.emitWarmup(await Promise.all(this.states.map((st) => this.fetchWarmup(st, n))));
    if (!this.running) return;
    this.loops = this.startLoops();
    this.checkTimer = setInterval(() => this.checkOverdue(), this.opts.checkIntervalMs ?? 1_000);
  }

  /** Stops loops and timers and closes the exchange's websockets. Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.checkTimer) clearInterval(this.checkTimer);
    for (const cancel of this.sleeps) cancel();
    try {
      await this.ex.close();
    } catch (e) {
      this.log.debug({ err: describeError(e) }, 'closing ccxt websockets failed');
    }
    await Promise.allSettled(this.loops);
  }

  stats(): StreamStats {
    const lastCandleTime: Record<string, number> = {};
    for (const st of this.states)
      if (!Number.isNaN(st.lastCandleTime)) lastCandleTime[st.id] = st.lastCandleTime;
    return { ...this.statsData, lastCandleTime };
  }

  /** One line for a status display. */
  statusLine(): string {
    const s = this.statsData;
    return (
      `${this.opts.exchange}: delivered ${s.delivered} (ws ${s.deliveredWs}, rest ${s.backfilled}), ` +
      `dup ${s.duplicatesDropped}, out-of-order ${s.outOfOrder}, malformed ${s.malformed}, ` +
      `reconnects ${s.reconnects}, rest errors ${s.restErrors}`
    );
  }

  /**
   * The frame check ccxt calls for every websocket message (public so a benchmark can drive the
   * processing path without sockets). Never throws.
   */
  onFrame(client: unknown, message: unknown): void {
    this.framesSeen++;
    try {
      if (client !== this.currentClient) {
        if (this.currentClient !== undefined) this.onNewConnection();
        this.currentClient = client;
      }
      const v = this.classify(message);
      if (v.kind === 'control') {
        this.passThrough(client, message);
        return;
      }
      if (v.kind === 'malformed') {
        this.countMalformed(v.reason);
        return;
      }
      const st = this.byWire.get(v.wireKey);
      if (!st) {
        this.countMalformed(`frame for a series not subscribed (${v.wireKey})`);
        return;
      }
      // Candle frames stop here. ccxt's own OHLCV cache would cost a third of the per-frame time
      // (and its update tracker grows while no watch is awaited); nothing reads it. The pending
      // watch call still owns subscribing, heartbeats and reporting a broken connection.
      this.onCandleUpdate(st, v.candle, v.final, client);
    } catch (e) {
      this.log.error({ err: describeError(e) }, 'frame handling failed; frame dropped');
    }
  }

  // ---- websocket side ----------------------------------------------------------------------

  /** Applies one socket update; returns false when the frame was dropped. */
  private onCandleUpdate(st: SeriesState, c: Candle, final: boolean | undefined, client: unknown): boolean {
    const t = c.timestamp;
    // Closed on the socket already (delivered, or held until a backfill ends).
    const settled =
      st.held.length > 0 ? Math.max(st.held[st.held.length - 1].timestamp, st.lastEmitted) : st.lastEmitted;
    if (t <= settled) {
      this.statsData.duplicatesDropped++;
      return false;
    }
    const p = st.pending;
    if (p && t < p.candle.timestamp) {
      this.countOutOfOrder(st, `update for ${t} after ${p.candle.timestamp}`);
      return false;
    }
    if (p && t === p.candle.timestamp) {
      // Within a candle volume only grows: a smaller one is an older update arriving late.
      if (c.volume < p.candle.volume) {
        this.countOutOfOrder(st, `volume went back from ${p.candle.volume} to ${c.volume} at ${t}`);
        return false;
      }
      p.candle = c;
      p.client = client;
    } else {
      if (p) this.closeFromSocket(st, p, p.client === client);
      st.pending = { candle: c, client };
    }
    if (final === true && st.pending) this.closeFromSocket(st, st.pending, true);
    return true;
  }

  private closeFromSocket(st: SeriesState, p: Pending, trusted: boolean): void {
    if (st.pending === p) st.pending = null;
    if (!trusted) {
      // Its last update came over an older connection: the final values may never have arrived.
      this.requestBackfill(st);
      return;
    }
    const c = p.candle;
    const known = knownUntil(st);
    const gap = Number.isFinite(known) && c.timestamp > known + st.tfMs;
    if (gap || st.backfilling) {
      st.held.push(c);
      this.requestBackfill(st);
      return;
    }
    this.emit(st, c, 'ws', false);
  }

  private onNewConnection(): void {
    this.statsData.reconnects++;
    this.log.info({ reconnects: this.statsData.reconnects }, 'websocket reconnected; backfilling by REST');
    for (const st of this.states) this.requestBackfill(st);
  }

  private startLoops(): Promise<void>[] {
    const all = this.states.map((st) => [st.key.symbol, st.key.timeframe] as [string, string]);
    if (this.opts.exchange === 'binance') {
      return [this.watchLoop('all', () => this.ex.watchOHLCVForSymbols(all))];
    }
    // Hyperliquid has no multi-series watch: one watcher per series, all on one connection.
    return this.states.map((st) =>
      this.watchLoop(st.id, () => this.ex.watchOHLCV(st.key.symbol, st.key.timeframe)),
    );
  }

  private async watchLoop(name: string, watch: () => Promise<unknown>): Promise<void> {
    let attempt = 0;
    let framesAtLastError = -1;
    while (this.running) {
      try {
        await watch();
        attempt = 0;
      } catch (e) {
        if (!this.running) break;
        // Candle frames never resolve the watch (see onFrame), so a connection that delivered
        // anything since the last failure counts as healthy: start the backoff afresh.
        if (this.framesSeen !== framesAtLastError) attempt = 0;
        framesAtLastError = this.framesSeen;
        this.statsData.watchErrors++;
        const delay = backoffDelay(attempt++, this.initialDelay, this.maxDelay);
        this.log.warn(
          { watcher: name, err: describeError(e), retryInMs: delay },
          'websocket watch failed; reconnecting',
        );
        // The socket is gone: whatever it had not closed yet must come from REST.
        for (const st of this.states) if (st.pending) st.pending.client = undefined;
        await this.sleep(delay);
      }
    }
  }

  // ---- REST side ---------------------------------------------------------------------------

  private async fetchWarmup(st: SeriesState, n: number): Promise<Candle[]> {
    const now = this.opts.clock.now();
    const since = Math.floor(now / st.tfMs) * st.tfMs - n * st.tfMs;
    const candles = await this.retry(
      `warm-up ${st.key.symbol} ${st.key.timeframe}`,
      () => this.fetchClosed(st, since, now),
      this.opts.warmupAttempts ?? 8,
    );
    st.restCovered = lastClosedOpen(now, st.tfMs);
    return candles.slice(-n);
  }

  /**
   * Delivers the warm-up of every series merged in close-time order (at one instant: the longer
   * timeframe first, then the configured series order — the backtest's replay order). After a
   * restart the candles missed while the process was down are decided from this warm-up, and a
   * series-by-series delivery (all of BTC's before ETH's) made the decisions see another
   * account than the uninterrupted run did, so quantities and cash differed.
   */
  private emitWarmup(perSeries: readonly Candle[][]): void {
    const all: Array<{ st: SeriesState; c: Candle; close: number; i: number }> = [];
    perSeries.forEach((candles, i) => {
      const st = this.states[i];
      for (const c of candles) all.push({ st, c, close: c.timestamp + st.tfMs, i });
    });
    all.sort((a, b) => a.close - b.close || b.st.tfMs - a.st.tfMs || a.i - b.i);
    for (const e of all) this.emit(e.st, e.c, 'rest', true);
  }

  private requestBackfill(st: SeriesState): void {
    if (!this.running) return;
    if (st.backfilling) {
      st.backfillAgain = true;
      return;
    }
    st.backfilling = true;
    void this.backfill(st);
  }

  private async backfill(st: SeriesState): Promise<void> {
    let attempt = 0;
    try {
      do {
        st.backfillAgain = false;
        const now = this.opts.clock.now();
        const from = Number.isNaN(st.lastEmitted) ? lastClosedOpen(now, st.tfMs) : st.lastEmitted + st.tfMs;
        let rest: Candle[];
        try {
          rest = from <= lastClosedOpen(now, st.tfMs) ? await this.fetchClosed(st, from, now) : [];
          attempt = 0;
        } catch (e) {
          this.statsData.restErrors++;
          const delay = backoffDelay(attempt++, this.initialDelay, this.maxDelay);
          this.log.warn(
            { series: st.id, err: describeError(e), retryInMs: delay },
            'REST backfill failed; retrying',
          );
          st.backfillAgain = true;
          await this.sleep(delay);
          continue;
        }
        const covered = lastClosedOpen(now, st.tfMs);
        if (!this.mergeAndEmit(st, rest, covered)) st.backfillAgain = true;
        st.restCovered = Math.max(Number.isNaN(st.restCovered) ? -Infinity : st.restCovered, covered);
      } while (st.backfillAgain && this.running);
    } finally {
      st.backfilling = false;
    }
    // Socket closes that arrived after the last REST answer and still wait.
    if (st.held.length > 0 && this.running && !this.mergeAndEmit(st, [], st.restCovered))
      this.requestBackfill(st);
  }

  /**
   * Delivers REST candles and held socket candles in open-time order, REST winning on equal
   * times. Stops before a hole that REST has not been asked about (up to `covered`), keeping the
   * rest held; returns false then, so the caller fetches again.
   */
  private mergeAndEmit(st: SeriesState, rest: Candle[], covered: number): boolean {
    const byTime = new Map<number, { c: Candle; source: 'ws' | 'rest' }>();
    for (const c of st.held) byTime.set(c.timestamp, { c, source: 'ws' });
    for (const c of rest) byTime.set(c.timestamp, { c, source: 'rest' });
    st.held = [];
    const times = [...byTime.keys()].sort((a, b) => a - b);
    for (let i = 0; i < times.length; i++) {
      const t = times[i];
      if (t <= st.lastEmitted) continue;
      const known = Math.max(Number.isNaN(st.lastEmitted) ? -Infinity : st.lastEmitted, covered);
      if (Number.isFinite(known) && t > known + st.tfMs) {
        for (const u of times.slice(i)) {
          const e = byTime.get(u);
          if (e && e.source === 'ws') st.held.push(e.c);
        }
        return false;
      }
      const e = byTime.get(t);
      if (e) this.emit(st, e.c, e.source, false);
    }
    return true;
  }

  /** Closed candles (close time ≤ now) with open time ≥ since, following pages. */
  private async fetchClosed(st: SeriesState, since: number, now: number): Promise<Candle[]> {
    const out: Candle[] = [];
    const lastOpen = lastClosedOpen(now, st.tfMs);
    let from = since;
    for (let page = 0; page < 1000 && from <= lastOpen; page++) {
      const rows = await this.ex.fetchOHLCV(st.key.symbol, st.key.timeframe, from, 1000, { until: now });
      let next = from;
      for (const r of rows) {
        const c: Candle = {
          timestamp: Number(r[0]),
          open: Number(r[1]),
          high: Number(r[2]),
          low: Number(r[3]),
          close: Number(r[4]),
          volume: Number(r[5]),
        };
        if (c.timestamp < from || c.timestamp > lastOpen) continue;
        const problem = candleProblem(c, st.tfMs);
        if (problem) {
          this.countMalformed(`REST candle ${st.id} ${c.timestamp}: ${problem}`);
          continue;
        }
        if (out.length > 0 && c.timestamp <= out[out.length - 1].timestamp) continue;
        out.push(c);
        next = c.timestamp + st.tfMs;
      }
      if (next === from) break; // nothing new: the exchange has no more (or a gap up to now)
      from = next;
    }
    return out;
  }

  private checkOverdue(): void {
    const now = this.opts.clock.now();
    for (const st of this.states) {
      if (st.backfilling) continue;
      const known = knownUntil(st);
      if (!Number.isFinite(known)) continue;
      const next = known + st.tfMs;
      if (next + st.tfMs + this.graceMs <= now) this.requestBackfill(st);
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  private emit(st: SeriesState, c: Candle, source: 'ws' | 'rest', warmup: boolean): void {
    st.lastEmitted = c.timestamp;
    if (st.pending && st.pending.candle.timestamp <= c.timestamp) st.pending = null;
    const s = this.statsData;
    st.lastCandleTime = c.timestamp;
    if (warmup) s.warmup++;
    else {
      s.delivered++;
      if (source === 'ws') s.deliveredWs++;
      else s.backfilled++;
    }
    // One object shape for every delivered candle keeps listeners monomorphic (hot path).
    const closed: ClosedCandle = {
      timestamp: c.timestamp,
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volume: c.volume,
      exchange: st.key.exchange,
      symbol: st.key.symbol,
      timeframe: st.key.timeframe,
    };
    const info = warmup ? WARMUP_INFO : source === 'ws' ? WS_INFO : REST_INFO;
    for (const fn of this.listeners) {
      try {
        fn(closed, info);
      } catch (e) {
        s.listenerErrors++;
        this.log.error({ series: st.id, t: c.timestamp, err: describeError(e) }, 'candle listener threw');
      }
    }
  }

  private wireKeyOf(st: SeriesState): string {
    const m = this.ex.market(st.key.symbol);
    if (this.opts.exchange === 'binance') return `${String(m.id)}|${st.key.timeframe}`;
    const coin = m.swap ? String((m as unknown as { baseName?: string }).baseName ?? m.base) : String(m.id);
    return `${coin}|${st.key.timeframe}`;
  }

  private countMalformed(reason: string): void {
    const n = ++this.statsData.malformed;
    if (n === 1 || n % WARN_EVERY === 0) this.log.warn({ malformed: n, reason }, 'malformed frame dropped');
  }

  private countOutOfOrder(st: SeriesState, reason: string): void {
    const n = ++this.statsData.outOfOrder;
    if (n === 1 || n % WARN_EVERY === 0)
      this.log.warn({ series: st.id, outOfOrder: n, reason }, 'out-of-order frame dropped');
  }

  private async sleep(ms: number): Promise<void> {
    const s = cancellableSleep(ms);
    this.sleeps.add(s.cancel);
    await s.promise;
    this.sleeps.delete(s.cancel);
  }

  private async retry<T>(what: string, fn: () => Promise<T>, attempts: number): Promise<T> {
    let last: unknown;
    for (let a = 0; a < attempts && this.running; a++) {
      try {
        return await fn();
      } catch (e) {
        last = e;
        this.statsData.restErrors++;
        const delay = backoffDelay(a, this.initialDelay, this.maxDelay);
        this.log.warn(
          { what, attempt: a + 1, err: describeError(e), retryInMs: delay },
          'REST call failed; retrying',
        );
        await this.sleep(delay);
      }
    }
    throw new QuantgateError(
      'NETWORK',
      `${this.opts.exchange}: ${what} failed after ${attempts} attempts: ${describeError(last)}`,
    );
  }
}

/** Newest open time up to which the series is settled: delivered, or asked of REST and found empty. */
function knownUntil(st: SeriesState): number {
  return Math.max(
    Number.isNaN(st.lastEmitted) ? -Infinity : st.lastEmitted,
    Number.isNaN(st.restCovered) ? -Infinity : st.restCovered,
  );
}

/** Open time of the newest candle whose close time is ≤ now. */
function lastClosedOpen(now: number, tfMs: number): number {
  return Math.floor(now / tfMs) * tfMs - tfMs;
}
