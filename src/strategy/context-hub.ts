import type { Config } from '../config/index.ts';
import type { Candle, ModelTimeframe } from '../core/types.ts';
import { assertContextStreamed, ContextSeries, contextPlanFor, featureSpec } from '../features/index.ts';
import type { ContextSummarySpec, FeatureContextSources } from '../features/index.ts';

/**
 * The context series the strategy's feature streams read (the market reference per timeframe,
 * each symbol's higher timeframes), fed with every candle the host delivers. All are created up
 * front for the configured symbols, so a reference candle that arrives before any other symbol's
 * first candle is not lost; their rows are read strictly before each row's close time, so the
 * order in which same-instant candles arrive changes nothing.
 */
export class ContextHub {
  private readonly byKey = new Map<string, ContextSeries>();
  /** Series fed by the candles of `symbol|timeframe`. */
  private readonly bySeries = new Map<string, ContextSeries[]>();

  constructor(private readonly config: Config) {
    const symbols = config.exchange.symbols;
    const timeframes = config.strategy.timeframes;
    for (const tf of timeframes) {
      if (
        featureSpec(tf, config.features).market === null &&
        featureSpec(tf, config.features).higher.length === 0
      )
        continue;
      // Live and backtests can only read series the host streams: refuse the config otherwise.
      assertContextStreamed(contextPlanFor(symbols[0], tf, config.features, symbols), symbols, timeframes);
      for (const s of symbols) this.sourcesFor(s, tf);
    }
  }

  private series(symbol: string, spec: ContextSummarySpec, role: string): ContextSeries {
    const key = `${role}|${symbol}|${spec.timeframe}|${spec.returnLags.join(',')}|${spec.volatilityWindow}`;
    let s = this.byKey.get(key);
    if (!s) {
      s = new ContextSeries(spec);
      this.byKey.set(key, s);
      const feed = `${symbol}|${spec.timeframe}`;
      const list = this.bySeries.get(feed) ?? [];
      list.push(s);
      this.bySeries.set(feed, list);
    }
    return s;
  }

  /** The context a `tf` feature stream of `symbol` reads (created if new). */
  sourcesFor(symbol: string, tf: ModelTimeframe): FeatureContextSources {
    const spec = featureSpec(tf, this.config.features);
    const plan = contextPlanFor(symbol, tf, this.config.features, this.config.exchange.symbols);
    return {
      market: spec.market && plan.market ? this.series(plan.market.symbol, spec.market, 'mkt') : undefined,
      higher: spec.higher.map((h) => this.series(symbol, h, 'htf')),
    };
  }

  /** Feeds a delivered candle to every context series of its (symbol, timeframe); repeats are ignored. */
  observe(c: Candle & { readonly symbol: string; readonly timeframe: string }): void {
    const list = this.bySeries.get(`${c.symbol}|${c.timeframe}`);
    if (list) for (const s of list) s.push(c);
  }

  clear(): void {
    for (const s of this.byKey.values()) s.reset();
  }
}
