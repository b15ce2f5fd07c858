import { QuantgateError } from '../core/errors.ts';
import { timeframeMs } from '../core/types.ts';
import type { Timeframe } from '../core/types.ts';
import type { FeaturesConfig } from '../config/index.ts';

/**
 * Residual influence of the state before the warm-up on EMA-type indicators (RSI, MACD, ATR): after
 * `warmup` candles an arbitrary starting state has shrunk to below this fraction. With it the
 * features of a row computed from only `warmup` candles of history differ from those computed from
 * the full history by < 1e-6 in normalised units (measured in test/features/warmup.test.ts).
 */
export const WARMUP_DECAY_TOLERANCE = 1e-7;

const DAY_MS = 86_400_000;

/** Everything the feature kernel needs, resolved once from (timeframe, config). */
export interface FeatureSpec {
  readonly timeframe: Timeframe;
  readonly tfMs: number;
  readonly returnLags: readonly number[];
  readonly volatilityWindow: number;
  readonly rsiPeriod: number;
  readonly macd: { readonly fast: number; readonly slow: number; readonly signal: number };
  readonly bollinger: { readonly period: number; readonly stdDev: number };
  readonly atrPeriod: number;
  readonly volumeWindow: number;
  /** Time of day is constant on 1d candles, so it is only emitted below one day. */
  readonly timeOfDay: boolean;
  readonly dayOfWeek: boolean;
  /** HAR realised-volatility spans in candles (distinct, ascending); empty when the group is off. */
  readonly harWindows: readonly number[];
  /** Range-estimator window in candles; 0 when the group is off. */
  readonly rangeWindow: number;
  /** Momentum lookbacks in candles (distinct); empty when the trend group is off. */
  readonly momentumLags: readonly number[];
  /** Donchian channel length in candles; 0 when the trend group is off. */
  readonly donchian: number;
  /** Market context (the reference symbol's summaries, same timeframe); null when off. */
  readonly market: ContextSummarySpec | null;
  /** Higher-timeframe context, ascending by timeframe (only those longer than this one); empty when off. */
  readonly higher: readonly ContextSummarySpec[];
  readonly names: readonly string[];
  readonly warmup: number;
}

/**
 * What one context series contributes to a row: log returns over `returnLags` and ln realised
 * volatility over `volatilityWindow`, in candles of the context series' timeframe `timeframe`.
 */
export interface ContextSummarySpec {
  readonly timeframe: Timeframe;
  readonly tfMs: number;
  readonly returnLags: readonly number[];
  readonly volatilityWindow: number;
  /** Column-name prefix: `mkt` (market context) or `htf_<tf>`. */
  readonly prefix: string;
}

/** Column names of one context series, in the order the context kernel writes them. */
export function contextNames(c: ContextSummarySpec): string[] {
  return [...c.returnLags.map((l) => `${c.prefix}_ret_${l}`), `${c.prefix}_lvol_${c.volatilityWindow}`];
}

/** Candles of contiguous context history before its first valid summary (n returns need n + 1 candles). */
export function contextWarmup(c: ContextSummarySpec): number {
  return Math.max(...c.returnLags, c.volatilityWindow);
}

function invalid(key: string, msg: string): never {
  throw new QuantgateError('CONFIG_INVALID', `features.${key}: ${msg}`);
}

function featureNamesOf(s: Omit<FeatureSpec, 'names' | 'warmup'>): string[] {
  const { fast, slow, signal } = s.macd;
  const m = `${fast}_${slow}_${signal}`;
  const bb = `${s.bollinger.period}_${s.bollinger.stdDev}`;
  const names = [
    ...s.returnLags.map((l) => `ret_${l}`),
    `rvol_${s.volatilityWindow}`,
    `rsi_${s.rsiPeriod}`,
    `macd_${m}`,
    `macd_signal_${m}`,
    `macd_hist_${m}`,
    `bb_pos_${bb}`,
    `bb_width_${bb}`,
    `atr_${s.atrPeriod}`,
    `vol_z_${s.volumeWindow}`,
    'range_hl',
    'close_pos',
  ];
  if (s.timeOfDay) names.push('tod_sin', 'tod_cos');
  if (s.dayOfWeek) names.push('dow_sin', 'dow_cos');
  for (const n of s.harWindows) names.push(`har_lrv_${n}`);
  if (s.rangeWindow > 0) names.push(`park_lvol_${s.rangeWindow}`, `gk_lvol_${s.rangeWindow}`);
  for (const l of s.momentumLags) names.push(`mom_${l}`);
  if (s.donchian > 0) names.push(`donchian_pos_${s.donchian}`);
  if (s.market) names.push(...contextNames(s.market));
  for (const h of s.higher) names.push(...contextNames(h));
  return names;
}

function decaySteps(alpha: number): number {
  return Math.ceil(Math.log(WARMUP_DECAY_TOLERANCE) / Math.log(1 - alpha));
}

/**
 * Candles of contiguous history needed before a row is valid (row index `warmup` of a segment is
 * its first valid row). Finite-window features need their window; EMA-type indicators need their
 * seed plus enough steps for the seed's influence to fall below WARMUP_DECAY_TOLERANCE.
 */
function warmupOf(s: Omit<FeatureSpec, 'names' | 'warmup' | 'market' | 'higher'>): number {
  const finite = Math.max(
    Math.max(...s.returnLags),
    s.volatilityWindow,
    s.bollinger.period - 1,
    2 * s.volumeWindow - 2, // volume z-score: a window of values that each use a window
    ...s.harWindows, // n one-candle returns need n + 1 candles
    s.rangeWindow - 1, // per-candle values: the window itself
    ...s.momentumLags,
    s.donchian - 1,
  );
  const seeds = Math.max(s.rsiPeriod, s.atrPeriod, s.macd.slow + s.macd.signal - 2);
  const decay = Math.max(
    decaySteps(1 / s.rsiPeriod),
    decaySteps(1 / s.atrPeriod),
    decaySteps(2 / (s.macd.slow + 1)),
    decaySteps(2 / (s.macd.fast + 1)),
    decaySteps(2 / (s.macd.signal + 1)),
  );
  return Math.max(finite, seeds + decay);
}

/** HAR spans in hours → distinct candle counts of this timeframe (at least one candle each). */
export function harWindowsFor(hours: readonly number[], tfMs: number): number[] {
  const n = hours.map((h) => Math.max(1, Math.round((h * 3_600_000) / tfMs)));
  return [...new Set(n)].sort((a, b) => a - b);
}

function distinct(key: string, xs: readonly number[]): void {
  if (new Set(xs).size !== xs.length) invalid(key, `expected distinct lookbacks, got [${xs.join(', ')}]`);
}

function marketSpecOf(cfg: FeaturesConfig, tf: Timeframe, tfMs: number): ContextSummarySpec | null {
  const m = cfg.marketContext;
  if (!m.enabled) return null;
  distinct('marketContext.returnLags', m.returnLags);
  return {
    timeframe: tf,
    tfMs,
    returnLags: [...m.returnLags],
    volatilityWindow: m.volatilityWindow,
    prefix: 'mkt',
  };
}

function higherSpecsOf(cfg: FeaturesConfig, tfMs: number): ContextSummarySpec[] {
  const h = cfg.higherTimeframes;
  if (!h.enabled) return [];
  distinct('higherTimeframes.returnLags', h.returnLags);
  // Timeframes not longer than the row's own add nothing the row does not already have.
  return [...new Set(h.timeframes)]
    .map((t) => ({ t, ms: timeframeMs(t) }))
    .filter((x) => x.ms > tfMs)
    .sort((a, b) => a.ms - b.ms)
    .map((x) => ({
      timeframe: x.t,
      tfMs: x.ms,
      returnLags: [...h.returnLags],
      volatilityWindow: h.volatilityWindow,
      prefix: `htf_${x.t}`,
    }));
}

/** The settings of one timeframe: `cfg` with `cfg.overrides[tf]` applied (overrides exist for model timeframes). */
export function featureSettingsFor(tf: Timeframe, cfg: FeaturesConfig): FeaturesConfig {
  const o =
    cfg.overrides && Object.hasOwn(cfg.overrides, tf)
      ? cfg.overrides[tf as keyof typeof cfg.overrides]
      : undefined;
  if (!o) return cfg;
  const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...cfg, ...defined };
}

/**
 * Resolves and checks the feature set of one timeframe (applying its overrides). Throws
 * CONFIG_INVALID on inconsistent settings.
 */
export function featureSpec(tf: Timeframe, all: FeaturesConfig): FeatureSpec {
  const cfg = featureSettingsFor(tf, all);
  const lags = [...cfg.returnLags];
  if (new Set(lags).size !== lags.length)
    invalid('returnLags', `expected distinct lags, got [${lags.join(', ')}]`);
  if (cfg.macd.fast >= cfg.macd.slow)
    invalid('macd', `expected fast < slow, got fast ${cfg.macd.fast} and slow ${cfg.macd.slow}`);
  if (cfg.trend.enabled && new Set(cfg.trend.lookbacks).size !== cfg.trend.lookbacks.length)
    invalid('trend.lookbacks', `expected distinct lookbacks, got [${cfg.trend.lookbacks.join(', ')}]`);
  const tfMs = timeframeMs(tf);
  const base = {
    timeframe: tf,
    tfMs,
    returnLags: lags,
    volatilityWindow: cfg.volatilityWindow,
    rsiPeriod: cfg.rsiPeriod,
    macd: { ...cfg.macd },
    bollinger: { ...cfg.bollinger },
    atrPeriod: cfg.atrPeriod,
    volumeWindow: cfg.volumeWindow,
    timeOfDay: cfg.timeFeatures && tfMs < DAY_MS,
    dayOfWeek: cfg.timeFeatures && tfMs < 7 * DAY_MS,
    harWindows: cfg.har.enabled ? harWindowsFor(cfg.har.hours, tfMs) : [],
    rangeWindow: cfg.range.enabled ? cfg.range.window : 0,
    momentumLags: cfg.trend.enabled ? [...cfg.trend.lookbacks] : [],
    donchian: cfg.trend.enabled ? cfg.trend.donchian : 0,
    market: marketSpecOf(cfg, tf, tfMs),
    higher: higherSpecsOf(cfg, tfMs),
  };
  // The own series' warm-up only: context series warm up on their own history (contextWarmup).
  return { ...base, names: featureNamesOf(base), warmup: warmupOf(base) };
}

/** The stable, ordered feature names of one timeframe (a model saves them and refuses others). */
export function featureNames(tf: Timeframe, cfg: FeaturesConfig): readonly string[] {
  return featureSpec(tf, cfg).names;
}

/** Candles of contiguous history needed before the first valid feature row. */
export function featureWarmup(tf: Timeframe, cfg: FeaturesConfig): number {
  return featureSpec(tf, cfg).warmup;
}
