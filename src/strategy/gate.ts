import type { StrategyConfig } from '../config/index.ts';
import type { Direction, Forecast } from '../core/types.ts';
import { barrierDistances, barrierPrices } from '../features/index.ts';
import type { BarrierSpec } from '../features/index.ts';
import type { DecisionReason } from './reasons.ts';

export interface GateInput {
  readonly forecast: Forecast;
  readonly price: number;
  readonly direction: Direction;
  /**
   * Causal volatility of the execution series at this candle (RMS of its last `volWindow`
   * one-candle log returns): the scale of the trade's take-profit and stop, as in the labels.
   */
  readonly sigma: number;
}

export interface GateResult {
  readonly pass: boolean;
  /** Set when `pass` is false. */
  readonly reason: DecisionReason | null;
  readonly direction: Direction;
  /** Calibrated probability that this trade hits its take-profit first (P(BUY) long, P(SELL) short). */
  readonly probability: number;
  /** `probability` after the optional R/R adjustments (strategy.confidenceAdjust). */
  readonly confidence: number;
  /** Quantile reward/risk: q90 / −q10 for a long, mirrored for a short. */
  readonly riskReward: number;
  /** Expected net return of the trade after costs, in basis points of its notional. */
  readonly edgeBps: number;
  /** Log-return distances of the take-profit and the stop, and their prices. */
  readonly takeProfitDistance: number;
  readonly stopLossDistance: number;
  readonly takeProfit: number;
  readonly stopLoss: number;
}

/**
 * Expected net log return of a trade that wins `takeProfit` with probability p and otherwise loses
 * `stopLoss`, minus round-trip costs. A timeout (neither barrier by the maximum hold) is counted as
 * a full stop: conservative, since the class head cannot tell a timeout from a stop, and a gate
 * that overstates its edge is worse than one that understates it.
 */
export function expectedEdge(p: number, takeProfit: number, stopLoss: number, costs: number): number {
  return p * takeProfit - (1 - p) * stopLoss - costs;
}

/**
 * Kelly fraction of equity for a bet paying +b with probability p and −a otherwise, where b and a
 * are the take-profit and stop net of costs: f* = p/a − (1 − p)/b. ≤ 0 means no bet.
 */
export function kellyFraction(p: number, takeProfit: number, stopLoss: number, costs: number): number {
  const b = takeProfit - costs;
  const a = stopLoss + costs;
  if (!(b > 0) || !(a > 0)) return 0;
  return p / a - (1 - p) / b;
}

/**
 * The expected-value gate, in trader units. The trade's take-profit and stop come from the same
 * barrier function as the training labels; the calibrated class probability is the probability
 * that this very trade wins. Trade only when the expected net return after costs is at least
 * `thresholds.minEdgeBps`, the (optionally adjusted) probability at least `thresholds.confidence`,
 * and the quantiles' reward/risk at least `thresholds.minRiskReward`.
 */
export function evaluateGate(input: GateInput, cfg: StrategyConfig, barrier: BarrierSpec): GateResult {
  const { forecast: f, price, direction, sigma } = input;
  const adj = cfg.confidenceAdjust;
  const d = barrierDistances(sigma, barrier);
  const levels = barrierPrices(price, direction, d);
  const probability = direction === 'long' ? f.pBuy : f.pSell;
  const upside = direction === 'long' ? f.q90 : -f.q10;
  const downside = direction === 'long' ? -f.q10 : f.q90;
  const edgeBps = expectedEdge(probability, d.takeProfit, d.stopLoss, barrier.costs) * 10_000;
  const base = {
    direction,
    probability,
    edgeBps,
    takeProfitDistance: d.takeProfit,
    stopLossDistance: d.stopLoss,
    ...levels,
  };
  if (!(downside > 0) || !(upside > 0) || !Number.isFinite(upside) || !Number.isFinite(downside)) {
    return { ...base, pass: false, reason: 'degenerate_quantiles', confidence: probability, riskReward: 0 };
  }
  const riskReward = upside / downside;
  let confidence = probability;
  if (riskReward > adj.highRiskReward) confidence *= adj.highBoost;
  else if (riskReward > adj.neutralLow && riskReward < adj.neutralHigh) confidence *= adj.neutralPenalty;
  confidence = Math.min(1, confidence);
  let reason: DecisionReason | null = null;
  if (!(d.takeProfit > 0) || !Number.isFinite(edgeBps)) reason = 'no_edge';
  else if (confidence < cfg.thresholds.confidence) reason = 'low_confidence';
  else if (edgeBps < cfg.thresholds.minEdgeBps) reason = 'no_edge';
  else if (riskReward < cfg.thresholds.minRiskReward) reason = 'poor_rr';
  return { ...base, pass: reason === null, reason, confidence, riskReward };
}

/** The direction a forecast leans to, or null when neither side beats HOLD-ish indecision. */
export function leaningDirection(f: Forecast): Direction | null {
  if (f.pBuy === f.pSell) return null;
  return f.pBuy > f.pSell ? 'long' : 'short';
}
