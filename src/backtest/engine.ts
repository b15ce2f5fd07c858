import type { ManualClock } from '../core/clock.ts';
import type { ClosedCandle, Signal, Timeframe } from '../core/types.ts';
import type { ReplayEvent } from './replay.ts';
import type { EquityPoint, TradeRecord } from './types.ts';

/** What the shared per-candle step reports back (decisions and fills, compared by the parity test). */
export interface StepOutcome {
  readonly signal: Signal | null;
  /** Broker fills caused by this candle (entries, TP/SL exits), in a host-neutral shape. */
  readonly fills: readonly FillRecord[];
}

export interface FillRecord {
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly quantity: number;
  readonly price: number;
  readonly fee: number;
  readonly timestamp: number;
  readonly reason: string;
}

/** The account the replay marks after each step (the paper broker's view). */
export interface AccountView {
  equity(): number;
  /** Notional of open positions at the latest marks. */
  exposure(): number;
  trades(): readonly TradeRecord[];
  fees(): number;
  funding(): number;
}

/**
 * What the replay drives. `step` is the per-candle function the live runtime calls too (plugin →
 * risk manager → broker); the backtest adds nothing between the candle and the decision.
 */
export interface ReplayTarget {
  step(candle: ClosedCandle): Promise<StepOutcome>;
  /** Feeds a warm-up candle (before the backtest range) into buffers/indicators without trading, as the live runtime's backfill does. */
  warm(candle: ClosedCandle): Promise<void>;
  readonly account: AccountView;
  gateCounters(): Readonly<Record<string, number>>;
}

export interface ReplayOptions {
  /** The timeframe whose close instants sample the equity curve. */
  readonly executionTimeframe: Timeframe;
  /** Called every `progressEvery` candles with (done, total). */
  readonly onProgress?: (done: number, total: number) => void;
  readonly progressEvery?: number;
  /** Called before each candle is stepped (walk-forward swaps models at retrain points here). */
  readonly beforeCandle?: (candle: ClosedCandle, closeTime: number) => void;
}

export interface ReplayOutput {
  readonly curve: EquityPoint[];
  readonly signals: Signal[];
  readonly fills: FillRecord[];
  readonly candles: number;
}

/**
 * Releases each candle at its close time: the clock is set to the close instant first, so
 * anything that reads the clock (cooldowns, daily loss limits, order rate) sees live-like time.
 * The equity curve is sampled once per execution-timeframe close instant, after every candle
 * closing at that instant was processed.
 */
export async function runReplay(
  events: readonly ReplayEvent[],
  target: ReplayTarget,
  clock: ManualClock,
  opts: ReplayOptions,
): Promise<ReplayOutput> {
  const curve: EquityPoint[] = [];
  const signals: Signal[] = [];
  const fills: FillRecord[] = [];
  const every = opts.progressEvery ?? 10_000;
  let sampleDue = false;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i];
    if (ev.closeTime > clock.now()) clock.set(ev.closeTime);
    opts.beforeCandle?.(ev.candle, ev.closeTime);
    const out = await target.step(ev.candle);
    if (out.signal) signals.push(out.signal);
    for (const f of out.fills) fills.push(f);
    if (ev.candle.timeframe === opts.executionTimeframe) sampleDue = true;
    const next = events[i + 1];
    if (sampleDue && (next === undefined || next.closeTime !== ev.closeTime)) {
      curve.push({ t: ev.closeTime, equity: target.account.equity(), exposure: target.account.exposure() });
      sampleDue = false;
    }
    if (opts.onProgress && (i + 1) % every === 0) opts.onProgress(i + 1, events.length);
  }
  opts.onProgress?.(events.length, events.length);
  return { curve, signals, fills, candles: events.length };
}

/** Feeds the warm-up events (closing at or before `from`) through `warm`; returns the index of the first event to replay. */
export async function feedWarmup(
  events: readonly ReplayEvent[],
  from: number,
  target: ReplayTarget,
  clock: ManualClock,
): Promise<number> {
  let i = 0;
  for (; i < events.length && events[i].closeTime <= from; i++) {
    clock.set(Math.max(clock.now(), events[i].closeTime));
    await target.warm(events[i].candle);
  }
  return i;
}
