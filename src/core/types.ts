import { QuantgateError } from './errors.ts';
import { symbolProblem } from './symbols.ts';

/** Timeframes quantgate knows. `1d` is the 24h (strategic) timeframe; `24h` is accepted as an alias on input. */
export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '12h', '1d'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

/** The four forecasting roles of the product. */
export const MODEL_TIMEFRAMES = ['5m', '1h', '12h', '1d'] as const satisfies readonly Timeframe[];
export type ModelTimeframe = (typeof MODEL_TIMEFRAMES)[number];

export const EXCHANGES = ['binance', 'hyperliquid'] as const;
export type ExchangeId = (typeof EXCHANGES)[number];

/** Candle file formats the store reads: our CSV, Freqtrade's feather/json, or whichever exists (CSV first). */
export const DATA_FORMATS = ['csv', 'freqtrade', 'auto'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

/** One OHLCV candle. `timestamp` is the candle's open time, ms since the Unix epoch, UTC. */
export interface Candle {
  readonly timestamp: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** Which series a candle belongs to. */
export interface SeriesKey {
  readonly exchange: ExchangeId;
  readonly symbol: string; // ccxt unified symbol, e.g. BTC/USDT or BTC/USDC:USDC
  readonly timeframe: Timeframe;
}

/** A candle that is known to be final (a later candle opened, or its close time passed). */
export interface ClosedCandle extends Candle, SeriesKey {}

export type Side = 'buy' | 'sell';
export type Direction = 'long' | 'short';
export type ClassLabel = 'BUY' | 'SELL' | 'HOLD';

/** What one timeframe's model says about the forward return of its horizon. */
export interface Forecast {
  readonly timeframe: Timeframe;
  readonly pBuy: number;
  readonly pSell: number;
  readonly pHold: number;
  /** Quantiles of the forward log return over the model's horizon. */
  readonly q10: number;
  readonly q50: number;
  readonly q90: number;
  /** Model version that produced it, or `baseline:<name>`. */
  readonly modelVersion: string;
}

/** What the strategy asks the host to do. */
export interface Signal {
  readonly exchange: ExchangeId;
  readonly symbol: string;
  readonly timestamp: number; // open time of the candle that triggered it
  readonly action: 'open' | 'close';
  readonly direction: Direction;
  readonly confidence: number;
  readonly riskReward: number;
  /**
   * Calibrated probability that this trade hits its take-profit before its stop or its maximum
   * hold (open signals of the expected-value gate; absent on closes).
   */
  readonly pWin?: number;
  /** Expected net return of the trade after costs, in basis points, at the decision (open signals). */
  readonly expectedEdgeBps?: number;
  /** Quantity in base units. */
  readonly size: number;
  readonly price: number;
  readonly takeProfit: number;
  readonly stopLoss: number;
  readonly modelVersions: Readonly<Record<string, string>>;
  readonly reason: string;
}

const TF_MS: Record<Timeframe, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
};

export function timeframeMs(tf: Timeframe): number {
  return TF_MS[tf];
}

export function isTimeframe(s: string): s is Timeframe {
  return (TIMEFRAMES as readonly string[]).includes(s);
}

/** Parses a user-supplied timeframe; `24h` is an alias of `1d`. Returns null when unknown. */
export function parseTimeframe(s: string): Timeframe | null {
  const t = s.trim();
  if (t === '24h') return '1d';
  return isTimeframe(t) ? t : null;
}

export function isExchangeId(s: string): s is ExchangeId {
  return (EXCHANGES as readonly string[]).includes(s);
}

/**
 * `BTC/USDT` → `BTCUSDT`, `BTC/USDC:USDC` → `BTCUSDC_USDC` (file names of the CSV store). Only a
 * unified symbol is accepted, so the stem is letters, digits and `_`: never a path.
 */
export function symbolToFileStem(symbol: string): string {
  const problem = symbolProblem(symbol);
  if (problem !== null) throw new QuantgateError('USAGE', `symbol ${problem}`, { symbol });
  return symbol.replace('/', '').replace(':', '_');
}
