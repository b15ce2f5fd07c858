import type { Direction } from '../core/types.ts';

/**
 * The trade's own exits, shared by the training labels and the strategy: one function computes the
 * take-profit and stop-loss of a trade entered at a candle's close, so what a class probability
 * means (this trade hits its take-profit first) and what the bot does can never drift apart.
 *
 * Distances are log returns: take-profit = m_tp · σ · √H, stop = m_sl · σ · √H, where σ is the RMS
 * of the last `volWindow` one-candle log returns up to and including the entry candle (causal) and
 * H the maximum hold in candles (the vertical barrier).
 */
export interface BarrierSpec {
  readonly takeProfitMultiplier: number;
  readonly stopLossMultiplier: number;
  /** Vertical barrier: candles after the entry candle a trade may stay open. */
  readonly horizon: number;
  /** Round-trip costs as a log return (taker fee both sides + slippage both sides). */
  readonly costs: number;
}

/** The barrier settings of triple-barrier labels (LabelParams.barrier): BarrierSpec without the horizon. */
export type TripleBarrierSettings = Omit<BarrierSpec, 'horizon'>;

export interface BarrierDistances {
  /** Log-return distance from entry to the take-profit (> 0). */
  readonly takeProfit: number;
  /** Log-return distance from entry to the stop (> 0). */
  readonly stopLoss: number;
}

export interface BarrierPrices {
  readonly takeProfit: number;
  readonly stopLoss: number;
}

/** RMS of the `window` one-candle log returns ending at `end` (closes[end − window] … closes[end]). */
export function realisedSigma(closes: ArrayLike<number>, end: number, window: number): number {
  let ss = 0;
  for (let j = end - window + 1; j <= end; j++) {
    const r = Math.log(closes[j] / closes[j - 1]);
    ss += r * r;
  }
  return Math.sqrt(ss / window);
}

export function barrierDistances(sigma: number, spec: BarrierSpec): BarrierDistances {
  const scale = sigma * Math.sqrt(spec.horizon);
  return { takeProfit: spec.takeProfitMultiplier * scale, stopLoss: spec.stopLossMultiplier * scale };
}

/** Price levels of a trade entered at `price`: long TP above and stop below, short mirrored. */
export function barrierPrices(price: number, direction: Direction, d: BarrierDistances): BarrierPrices {
  return direction === 'long'
    ? { takeProfit: price * Math.exp(d.takeProfit), stopLoss: price * Math.exp(-d.stopLoss) }
    : { takeProfit: price * Math.exp(-d.takeProfit), stopLoss: price * Math.exp(d.stopLoss) };
}

/** Round-trip costs as a log return: taker fee on entry and exit plus slippage both ways. */
export function roundTripCosts(takerFee: number, slippageBps: number): number {
  return 2 * takerFee + (2 * slippageBps) / 10_000;
}

export interface PathCandle {
  readonly high: number;
  readonly low: number;
}

export type BarrierOutcome =
  { readonly kind: 'win' | 'loss'; readonly at: number } | { readonly kind: 'timeout' };

/**
 * Walks the candles after the entry (as the runtime watches its TP/SL: a candle's high and low
 * against the levels, the stop assumed first when both are touched in one candle) up to the
 * vertical barrier.
 */
export function firstTouch(
  path: readonly PathCandle[],
  from: number,
  to: number,
  direction: Direction,
  levels: BarrierPrices,
): BarrierOutcome {
  for (let j = from; j <= to; j++) {
    const c = path[j];
    const stopped = direction === 'long' ? c.low <= levels.stopLoss : c.high >= levels.stopLoss;
    if (stopped) return { kind: 'loss', at: j };
    const target = direction === 'long' ? c.high >= levels.takeProfit : c.low <= levels.takeProfit;
    if (target) return { kind: 'win', at: j };
  }
  return { kind: 'timeout' };
}
