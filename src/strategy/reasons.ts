/**
 * Why a decision was or was not a trade. Every execution candle ends in exactly one of these,
 * and each is counted so a trader (and the backtest report) sees which rule removed what.
 */
export const DECISION_REASONS = [
  'trade_opened',
  'trade_closed_max_hold',
  'trade_closed_reversal',
  'warmup',
  'model_unavailable',
  'no_direction',
  'degenerate_quantiles',
  'low_confidence',
  'no_edge',
  'poor_rr',
  'vetoed_24h',
  'vetoed_1h',
  'vetoed_12h_regime',
  'vetoed_trend',
  'short_not_allowed',
  'position_open',
  'order_pending',
  'cooldown',
  'risk_halted',
  /** New entries paused by the operator (`quantgate pause`); exits keep working. */
  'paused',
  'max_positions',
  'max_notional',
  'order_rate',
  'size_too_small',
] as const;

export type DecisionReason = (typeof DECISION_REASONS)[number];

export type ReasonCounters = Record<DecisionReason, number>;

export function emptyCounters(): ReasonCounters {
  return Object.fromEntries(DECISION_REASONS.map((r) => [r, 0])) as ReasonCounters;
}
