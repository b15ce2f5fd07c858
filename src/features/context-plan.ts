import { QuantgateError } from '../core/errors.ts';
import type { Candle, ModelTimeframe, Timeframe } from '../core/types.ts';
import type { FeaturesConfig } from '../config/index.ts';
import type { FeatureContextCandles } from './context.ts';
import { featureSettingsFor, featureSpec } from './spec.ts';

/** One context series a feature stream reads: which symbol, which timeframe. */
export interface ContextSeriesKey {
  readonly symbol: string;
  readonly timeframe: Timeframe;
}

/** The context series of one (symbol, timeframe) stream, in its column order. */
export interface ContextPlan {
  readonly market: ContextSeriesKey | null;
  readonly higher: readonly ContextSeriesKey[];
}

/**
 * The market reference of timeframe `tf`: features.marketContext.symbol (after the timeframe's
 * overrides), else the first BTC symbol among `symbols` (the configured list: BTC/USDT on Binance
 * spot, BTC/USDC:USDC on Hyperliquid perps); null when the group is off. Throws CONFIG_INVALID
 * naming the key when there is none.
 */
export function marketReferenceFor(
  tf: Timeframe,
  cfg: FeaturesConfig,
  symbols: readonly string[],
): string | null {
  const m = featureSettingsFor(tf, cfg).marketContext;
  if (!m.enabled) return null;
  if (m.symbol !== undefined) return m.symbol;
  const btc = symbols.find((s) => s.startsWith('BTC/'));
  if (btc === undefined)
    throw new QuantgateError(
      'CONFIG_INVALID',
      `features.marketContext.symbol: no BTC symbol among the configured symbols [${symbols.join(', ')}] to use as the market reference; set it`,
    );
  return btc;
}

/** Which context series the `tf` features of `symbol` read (`symbols`: the configured list). */
export function contextPlanFor(
  symbol: string,
  tf: Timeframe,
  cfg: FeaturesConfig,
  symbols: readonly string[],
): ContextPlan {
  const spec = featureSpec(tf, cfg);
  const ref = spec.market ? marketReferenceFor(tf, cfg, symbols) : null;
  return {
    market: ref === null ? null : { symbol: ref, timeframe: tf },
    higher: spec.higher.map((h) => ({ symbol, timeframe: h.timeframe })),
  };
}

/**
 * Checks that every context series the plan reads is one the host delivers (live, backtest): the
 * reference among the streamed symbols, each higher timeframe among the streamed timeframes.
 */
export function assertContextStreamed(
  plan: ContextPlan,
  symbols: readonly string[],
  timeframes: readonly ModelTimeframe[],
): void {
  if (plan.market && !symbols.includes(plan.market.symbol))
    throw new QuantgateError(
      'CONFIG_INVALID',
      `features.marketContext.symbol: the market reference ${plan.market.symbol} is not streamed (exchange.symbols [${symbols.join(', ')}]); add it or choose another`,
    );
  for (const h of plan.higher)
    if (!(timeframes as readonly string[]).includes(h.timeframe))
      throw new QuantgateError(
        'CONFIG_INVALID',
        `features.higherTimeframes.timeframes: ${h.timeframe} is not streamed (strategy.timeframes [${timeframes.join(', ')}]); add it or remove it`,
      );
}

/**
 * The context candles of a batch computation, from `load` (returns a series' candles or
 * undefined when it has none); throws CONFIG_INVALID naming the key when a series is missing.
 */
export function contextCandlesOf(
  plan: ContextPlan,
  load: (key: ContextSeriesKey) => readonly Candle[] | undefined,
  where: string,
): FeatureContextCandles | undefined {
  if (!plan.market && plan.higher.length === 0) return undefined;
  let market: readonly Candle[] | undefined;
  if (plan.market) {
    market = load(plan.market);
    if (!market)
      throw new QuantgateError(
        'CONFIG_INVALID',
        `features.marketContext.symbol: no ${plan.market.timeframe} candles of the market reference ${plan.market.symbol} in ${where}`,
      );
  }
  const higher: Record<string, readonly Candle[]> = {};
  for (const h of plan.higher) {
    const c = load(h);
    if (!c)
      throw new QuantgateError(
        'CONFIG_INVALID',
        `features.higherTimeframes.timeframes: no ${h.timeframe} candles of ${h.symbol} in ${where}`,
      );
    higher[h.timeframe] = c;
  }
  return { market, higher };
}
