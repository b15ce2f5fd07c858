import type { Candle, ExchangeId, Timeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import { QuantgateError } from '../core/errors.ts';
import type { Clock } from '../core/clock.ts';
import type { SimSeriesInput } from './types.ts';

/** What the replay publishes: the current state of one candle of one series. */
export interface CandleUpdate {
  readonly series: ReplaySeries;
  readonly candle: Candle;
  /** Trades counted so far in this candle (monotonic within a candle, like the real `n`). */
  readonly trades: number;
  /** True for the last update of a candle, sent when its close time is reached. */
  readonly final: boolean;
}

export interface ReplaySeries {
  readonly exchange: ExchangeId;
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly tfMs: number;
  readonly candles: readonly Candle[];
}

export interface ReplayOptions {
  /** Simulated time to start at: candles opening before it are history, the one containing it is in progress. */
  readonly startTime: number;
  /** Updates per candle including the final one (≥ 2). */
  readonly updatesPerCandle?: number;
}

interface SeriesState {
  readonly s: ReplaySeries;
  /** Index of the candle containing `now`, or of the last candle before it (gap), or -1. */
  cur: number;
  /** Updates already published for candle `cur` (0 … updatesPerCandle). */
  phase: number;
}

type Listener = (u: CandleUpdate) => void;

/**
 * Replays candle series on a simulated clock. Time moves only through `advance()`: each call
 * moves to the next step of the finest timeframe and publishes, per series, the in-progress
 * update(s) of the current candle and — when a new candle opens — the final update of the old
 * one followed by the first update of the new one, so a client sees the old candle close.
 */
export class Replay {
  readonly clock: Clock;
  private nowMs: number;
  private readonly states: SeriesState[];
  private readonly byKey = new Map<string, SeriesState>();
  private readonly listeners = new Set<Listener>();
  private readonly upc: number;
  readonly stepMs: number;

  constructor(series: readonly SimSeriesInput[], opts: ReplayOptions) {
    if (series.length === 0) throw new QuantgateError('USAGE', 'simulator: at least one series is required');
    this.upc = Math.max(2, Math.floor(opts.updatesPerCandle ?? 3));
    this.nowMs = opts.startTime;
    this.states = series.map((input) => {
      const s: ReplaySeries = { ...input, tfMs: timeframeMs(input.timeframe) };
      validateSeries(s);
      const st: SeriesState = { s, cur: lastIndexAtOrBefore(s.candles, opts.startTime), phase: 0 };
      if (st.cur >= 0 && contains(s, st.cur, opts.startTime)) st.phase = 1;
      return st;
    });
    for (const st of this.states) this.byKey.set(key(st.s.exchange, st.s.symbol, st.s.timeframe), st);
    this.stepMs = Math.min(...this.states.map((st) => st.s.tfMs));
    if (opts.startTime % this.stepMs !== 0) {
      throw new QuantgateError(
        'USAGE',
        `simulator: startTime ${opts.startTime} is not aligned to ${this.stepMs} ms`,
      );
    }
    this.clock = { now: () => this.nowMs };
  }

  get now(): number {
    return this.nowMs;
  }

  series(): ReplaySeries[] {
    return this.states.map((st) => st.s);
  }

  find(exchange: ExchangeId, symbol: string, timeframe: Timeframe): ReplaySeries | undefined {
    return this.byKey.get(key(exchange, symbol, timeframe))?.s;
  }

  onUpdate(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** True while at least one series has a candle left to open. */
  get hasMore(): boolean {
    return this.states.some((st) => st.cur + 1 < st.s.candles.length);
  }

  /** Moves one step forward and publishes updates. Returns false when every series is exhausted. */
  advance(): boolean {
    if (!this.hasMore) return false;
    const t = this.nowMs + this.stepMs;
    const out: CandleUpdate[] = [];
    for (const st of this.states) this.stepSeries(st, t, out);
    this.nowMs = t;
    for (const u of out) for (const fn of this.listeners) fn(u);
    return true;
  }

  /**
   * Candles of a series with open time in [start, end] known at `now` (the current one with its
   * in-progress values), ascending. `limit` keeps the first n (fromEnd=false) or the last n.
   */
  query(s: ReplaySeries, start: number, end: number, limit: number, fromEnd: boolean): Candle[] {
    const st = this.byKey.get(key(s.exchange, s.symbol, s.timeframe));
    if (!st || st.cur < 0 || limit <= 0) return [];
    const hi = Math.min(st.cur, lastIndexAtOrBefore(s.candles, end));
    const lo = firstIndexAtOrAfter(s.candles, start);
    if (hi < lo) return [];
    const from = fromEnd ? Math.max(lo, hi - limit + 1) : lo;
    const to = fromEnd ? hi : Math.min(hi, lo + limit - 1);
    const out: Candle[] = [];
    for (let i = from; i <= to; i++) out.push(i === st.cur ? this.currentValues(st).candle : s.candles[i]);
    return out;
  }

  /** Close of the in-progress (or last) candle of the finest series of this symbol. */
  lastPrice(exchange: ExchangeId, symbol: string): number | undefined {
    let best: SeriesState | undefined;
    for (const st of this.states) {
      if (st.s.exchange !== exchange || st.s.symbol !== symbol || st.cur < 0) continue;
      if (!best || st.s.tfMs < best.s.tfMs) best = st;
    }
    return best ? this.currentValues(best).candle.close : undefined;
  }

  private stepSeries(st: SeriesState, t: number, out: CandleUpdate[]): void {
    const { s } = st;
    const next = st.cur + 1;
    const opensNow = next < s.candles.length && s.candles[next].timestamp <= t;
    if (opensNow) {
      if (st.cur >= 0 && st.phase > 0 && st.phase < this.upc) {
        while (st.phase < this.upc - 1) {
          st.phase++;
          out.push(this.currentValues(st));
        }
        st.phase = this.upc;
        out.push(this.currentValues(st));
      }
      // A source gap can make several candles open "at once": jump to the one containing t.
      st.cur = lastIndexAtOrBefore(s.candles, t);
      st.phase = contains(s, st.cur, t) ? 1 : 0;
      if (st.phase === 1) out.push(this.currentValues(st));
      return;
    }
    if (st.cur >= 0 && st.phase > 0 && contains(s, st.cur, t)) {
      if (st.phase < this.upc - 1) st.phase++;
      out.push(this.currentValues(st));
    } else if (st.cur >= 0 && st.phase > 0 && st.phase < this.upc) {
      // The candle's close time passed with no successor (source gap or end of data).
      st.phase = this.upc;
      out.push(this.currentValues(st));
    }
  }

  private currentValues(st: SeriesState): CandleUpdate {
    const c = st.s.candles[st.cur];
    const final = st.phase === 0 || st.phase >= this.upc;
    const candle = final ? c : partial(c, st.phase / this.upc);
    const trades = Math.max(1, Math.round(100 * (final ? 1 : st.phase / this.upc)));
    return { series: st.s, candle, trades, final };
  }
}

/** The state of candle c after a fraction f of its time: consistent OHLC, volume growing with f. */
function partial(c: Candle, f: number): Candle {
  const close = c.open + (c.close - c.open) * f;
  return {
    timestamp: c.timestamp,
    open: c.open,
    high: Math.max(c.open, close),
    low: Math.min(c.open, close),
    close,
    volume: c.volume * f,
  };
}

function key(exchange: string, symbol: string, timeframe: string): string {
  return `${exchange}|${symbol}|${timeframe}`;
}

function contains(s: ReplaySeries, i: number, t: number): boolean {
  return i >= 0 && s.candles[i].timestamp <= t && t < s.candles[i].timestamp + s.tfMs;
}

function validateSeries(s: ReplaySeries): void {
  for (let i = 0; i < s.candles.length; i++) {
    const c = s.candles[i];
    if (c.timestamp % s.tfMs !== 0 || (i > 0 && c.timestamp <= s.candles[i - 1].timestamp)) {
      throw new QuantgateError(
        'DATA_INVALID',
        `simulator: ${s.exchange} ${s.symbol} ${s.timeframe} candle ${i} (t=${c.timestamp}) is not aligned or not ascending`,
      );
    }
  }
}

export function lastIndexAtOrBefore(cs: readonly Candle[], t: number): number {
  let lo = 0;
  let hi = cs.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cs[mid].timestamp <= t) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

function firstIndexAtOrAfter(cs: readonly Candle[], t: number): number {
  let lo = 0;
  let hi = cs.length - 1;
  let ans = cs.length;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cs[mid].timestamp >= t) {
      ans = mid;
      hi = mid - 1;
    } else lo = mid + 1;
  }
  return ans;
}
