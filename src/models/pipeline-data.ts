import type { Config, FeaturesConfig } from '../config/index.ts';
import { DATA_QUALITY_DEFAULTS } from '../config/index.ts';
import { QuantgateError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Candle, DataFormat, ExchangeId, ModelTimeframe } from '../core/types.ts';
import type { DatasetSeries, FeatureMatrix, LabelParams } from '../features/index.ts';
import { largestMove, loadSeries } from '../exchange/index.ts';
import {
  computeFeatures,
  contextCandlesOf,
  contextPlanFor,
  featureWarmup,
  labelsFor,
} from '../features/index.ts';
import type { ContextSeriesKey, FeatureContextCandles } from '../features/index.ts';

/** Reads one series' candles, ascending by open time. */
export type CandleLoader = (a: {
  readonly dataDir: string;
  readonly exchange: ExchangeId;
  readonly timeframe: ModelTimeframe;
  readonly symbol: string;
  /** Candle file format (data.format); default auto. */
  readonly format?: DataFormat;
}) => Promise<Candle[]>;

export interface LoadSeriesOptions {
  readonly dataDir: string;
  readonly exchange: ExchangeId;
  readonly timeframe: ModelTimeframe;
  readonly symbols: readonly string[];
  readonly features: FeaturesConfig;
  readonly labels: LabelParams;
  /** Keep candles opening at or after `from` and before `to` (ms UTC). */
  readonly from?: number;
  readonly to?: number;
  readonly logger: Logger;
  /** retrain.dataQuality.maxAbsReturn for this timeframe: a larger one-candle move is warned about. */
  readonly maxAbsReturn?: number;
  readonly loader?: CandleLoader;
  readonly format?: DataFormat;
  /** Whole series' candles and features, reused by later calls (see SeriesCache). */
  readonly cache?: SeriesCache;
  /**
   * The configured symbol list (exchange.symbols) the market reference is resolved from when
   * features.marketContext.symbol is unset; default `symbols`. The reference's candles are read
   * from the store whether or not it is one of `symbols` (e.g. evaluating SOL alone).
   */
  readonly configuredSymbols?: readonly string[];
}

/**
 * A walk-forward trains dozens of models on growing prefixes of the same series. Features are
 * computed row by row from past candles only (the streaming kernel; the look-ahead tests check
 * it), so the rows of a prefix are the whole series' first rows: compute once, slice per training.
 * Labels look `horizon` candles ahead, so they are always recomputed on the prefix — a label near
 * the cut never sees a candle at or after `to`. Keyed by series and feature settings; meant for
 * one run over a store that does not change meanwhile.
 */
export type SeriesCache = Map<string, { readonly candles: Candle[]; readonly features: FeatureMatrix }>;

/** The first `n` rows of a feature matrix (a view, no copy). */
export function featurePrefix(m: FeatureMatrix, n: number): FeatureMatrix {
  if (n >= m.length) return m;
  return {
    ...m,
    rows: m.rows.subarray(0, n * m.names.length),
    length: n,
    firstValid: Math.min(m.firstValid, n),
  };
}

/** Candle fields must be finite and prices positive: a NaN would silently poison every indicator. */
/** retrain.dataQuality.maxAbsReturn resolved for one timeframe (a number, or per timeframe with defaults). */
export function maxAbsReturnFor(config: Config, tf: ModelTimeframe): number {
  const v = config.retrain.dataQuality.maxAbsReturn;
  return typeof v === 'number' ? v : (v[tf] ?? DATA_QUALITY_DEFAULTS.maxAbsReturn[tf]);
}

/** The retrain data-quality rule for single-candle outliers, as a warning for train and evaluate. */
function warnOutliers(o: LoadSeriesOptions, symbol: string, candles: readonly Candle[]): void {
  if (o.maxAbsReturn === undefined) return;
  const m = largestMove(candles);
  if (m.value > o.maxAbsReturn)
    o.logger.warn(
      {
        symbol,
        timeframe: o.timeframe,
        move: m.value,
        at: new Date(m.at).toISOString(),
        limit: o.maxAbsReturn,
      },
      `${symbol} ${o.timeframe}: a one-candle move of ${m.value.toFixed(3)} (|log ratio|) at ${new Date(m.at).toISOString()} > retrain.dataQuality.maxAbsReturn ${o.maxAbsReturn}: check the candle store`,
    );
}

function checkFinite(symbol: string, candles: readonly Candle[]): void {
  candles.forEach((c, i) => {
    const bad = (['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const).find(
      (k) => !Number.isFinite(c[k]),
    );
    if (bad !== undefined)
      throw new QuantgateError(
        'DATA_INVALID',
        `${symbol}: candle #${i} (open time ${c.timestamp}) has ${bad} = ${c[bad]} (expected a finite number)`,
      );
    if (!(c.close > 0))
      throw new QuantgateError(
        'DATA_INVALID',
        `${symbol}: candle #${i} at ${new Date(c.timestamp).toISOString()} has close ${c.close} (expected a price > 0)`,
      );
  });
}

/**
 * Candles → features + labels per symbol, aligned row by row. Returns the feature warm-up too
 * (for "too little history" messages).
 */
export async function loadDatasetSeries(
  o: LoadSeriesOptions,
): Promise<{ series: DatasetSeries[]; warmup: number }> {
  const load = o.loader ?? defaultLoader;
  const series: DatasetSeries[] = [];
  const from = o.from ?? -Infinity;
  const to = o.to ?? Infinity;
  const loaded = new Map<string, Candle[]>();
  const read = async (symbol: string, timeframe: ModelTimeframe): Promise<Candle[]> => {
    const id = `${symbol}|${timeframe}`;
    let c = loaded.get(id);
    if (!c) {
      c = await load({ dataDir: o.dataDir, exchange: o.exchange, timeframe, symbol, format: o.format });
      loaded.set(id, c);
    }
    return c;
  };
  /** Context candles (market reference, higher timeframes) cut like the series itself. */
  const contextOf = async (symbol: string, whole: boolean): Promise<FeatureContextCandles | undefined> => {
    const plan = contextPlanFor(symbol, o.timeframe, o.features, o.configuredSymbols ?? o.symbols);
    const keys: ContextSeriesKey[] = [...(plan.market ? [plan.market] : []), ...plan.higher];
    const got = new Map<string, Candle[]>();
    for (const k of keys) {
      let c: Candle[];
      try {
        c = await read(k.symbol, k.timeframe as ModelTimeframe);
      } catch (e) {
        const key = k === plan.market ? 'marketContext.symbol' : 'higherTimeframes.timeframes';
        throw new QuantgateError(
          'CONFIG_INVALID',
          `features.${key}: cannot read the ${k.timeframe} candles of ${k.symbol} (${e instanceof Error ? e.message : String(e)})`,
        );
      }
      got.set(
        `${k.symbol}|${k.timeframe}`,
        whole ? c : c.filter((x) => x.timestamp >= from && x.timestamp < to),
      );
    }
    return contextCandlesOf(plan, (k) => got.get(`${k.symbol}|${k.timeframe}`), o.dataDir);
  };
  for (const symbol of o.symbols) {
    let candles: Candle[];
    let features: FeatureMatrix;
    const plan = contextPlanFor(symbol, o.timeframe, o.features, o.configuredSymbols ?? o.symbols);
    // A `from` cut changes every indicator's warm-up: no reuse then.
    const key = JSON.stringify([o.dataDir, o.exchange, o.format, o.timeframe, symbol, o.features, plan]);
    const hit = o.from === undefined ? o.cache?.get(key) : undefined;
    if (hit) {
      let n = 0;
      while (n < hit.candles.length && hit.candles[n].timestamp < to) n++;
      candles = hit.candles.slice(0, n);
      checkFinite(symbol, candles);
      features = featurePrefix(hit.features, n);
    } else {
      const all = await read(symbol, o.timeframe);
      if (o.cache && o.from === undefined) {
        // A bad candle only poisons rows from it on (causal features): checked on the prefix.
        // Context rows are causal too (only context candles that closed before the row).
        const whole = {
          candles: all,
          features: computeFeatures(all, o.timeframe, o.features, await contextOf(symbol, true)),
        };
        o.cache.set(key, whole);
        let n = 0;
        while (n < all.length && all[n].timestamp < to) n++;
        candles = all.slice(0, n);
        checkFinite(symbol, candles);
        features = featurePrefix(whole.features, n);
      } else {
        candles = all.filter((c) => c.timestamp >= from && c.timestamp < to);
        checkFinite(symbol, candles);
        features = computeFeatures(candles, o.timeframe, o.features, await contextOf(symbol, false));
      }
    }
    warnOutliers(o, symbol, candles);
    const labels = labelsFor(candles, o.labels, o.timeframe);
    o.logger.debug({ symbol, timeframe: o.timeframe, candles: candles.length }, 'series loaded');
    series.push({ symbol, timestamps: Float64Array.from(candles, (c) => c.timestamp), features, labels });
  }
  return { series, warmup: featureWarmup(o.timeframe, o.features) };
}

/** The CSV store (12h/24h resampled from the 1h and 4h files when the store has no file for them). */
const defaultLoader: CandleLoader = async ({ dataDir, exchange, timeframe, symbol, format }) =>
  loadSeries(dataDir, exchange, timeframe, symbol, { format }).candles;
