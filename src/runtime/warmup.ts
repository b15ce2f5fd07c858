import type { Logger } from '../core/logger.ts';

export interface WarmupChoice {
  /** Candles per series to fetch at start-up (live) or to replay before `from` (backtest). */
  readonly candles: number;
  /** The most the strategy declares for one of its timeframes. */
  readonly declared: number;
  /** `exchange.warmupCandles` was below what the strategy declares and was raised. */
  readonly raised: boolean;
}

/**
 * `exchange.warmupCandles`, raised to the largest warm-up the strategy declares for its timeframes
 * (features + model window). Fewer candles would make the first decisions `warmup` ones — on 1h
 * that is days without trading — so the number the strategy needs is fetched, with a warning that
 * names both numbers.
 */
export function warmupCandlesFor(
  configured: number,
  declared: Readonly<Partial<Record<string, number>>>,
  log?: Logger,
): WarmupChoice {
  const need = Math.max(0, ...Object.values(declared).filter((n): n is number => Number.isFinite(n)));
  const raised = need > configured;
  if (raised)
    log?.warn(
      { configured, needed: need, perTimeframe: declared },
      `exchange.warmupCandles ${configured} is below the ${need} candles the strategy needs before its first decision; fetching ${need}`,
    );
  return { candles: Math.max(configured, need), declared: need, raised };
}
