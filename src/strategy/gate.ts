import type { StrategyConfig } from '../config/index.ts';
import type { Direction, Forecast } from '../core/types.ts';
import type { DecisionReason } from './reasons.ts';

export interface GateInput {
  readonly forecast: Forecast;
  readonly price: number;
  readonly direction: Direction;
}

export interface GateResult {
  readonly pass: boolean;
  /** Set when `pass` is false. */
  readonly reason: DecisionReason | null;
  readonly direction: Direction;
  readonly probability: number;
  readonly confidence: number;
  readonly riskReward: number;
  readonly takeProfit: number;
  readonly stopLoss: number;
}

/**
 * The quantile risk/reward gate. Quantiles are of the forward log return, so price levels are
 * price × exp(q). Long: upside = q90, downside = −q10; short mirrored. A band that does not straddle
 * zero on the losing side (downside ≤ 0) says the model sees no risk, which we do not believe: no trade.
 */
export function evaluateGate(input: GateInput, cfg: StrategyConfig): GateResult {
  const { forecast: f, price, direction } = input;
  const adj = cfg.confidenceAdjust;
  const upside = direction === 'long' ? f.q90 : -f.q10;
  const downside = direction === 'long' ? -f.q10 : f.q90;
  const probability = direction === 'long' ? f.pBuy : f.pSell;
  const tpRet =
    direction === 'long' ? f.q90 * cfg.exits.takeProfitMultiplier : f.q10 * cfg.exits.takeProfitMultiplier;
  const slRet =
    direction === 'long' ? f.q10 * cfg.exits.stopLossMultiplier : f.q90 * cfg.exits.stopLossMultiplier;
  const takeProfit = price * Math.exp(tpRet);
  const stopLoss = price * Math.exp(slRet);
  const base = { direction, probability, takeProfit, stopLoss };
  if (!(downside > 0) || !(upside > 0) || !Number.isFinite(upside) || !Number.isFinite(downside)) {
    return { ...base, pass: false, reason: 'degenerate_quantiles', confidence: probability, riskReward: 0 };
  }
  const riskReward = upside / downside;
  let confidence = probability;
  if (riskReward > adj.highRiskReward) confidence *= adj.highBoost;
  else if (riskReward > adj.neutralLow && riskReward < adj.neutralHigh) confidence *= adj.neutralPenalty;
  confidence = Math.min(1, confidence);
  let reason: DecisionReason | null = null;
  if (confidence < cfg.thresholds.confidence) reason = 'low_confidence';
  else if (riskReward < cfg.thresholds.minRiskReward) reason = 'poor_rr';
  return { ...base, pass: reason === null, reason, confidence, riskReward };
}

/** The direction a forecast leans to, or null when neither side beats HOLD-ish indecision. */
export function leaningDirection(f: Forecast): Direction | null {
  if (f.pBuy === f.pSell) return null;
  return f.pBuy > f.pSell ? 'long' : 'short';
}
