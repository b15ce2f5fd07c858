import type { Candle } from '../core/types.ts';

/** A batch of feature rows for one candle series: row i belongs to candle i. */
export interface FeatureMatrix {
  readonly names: readonly string[];
  /** Row-major N × names.length. Rows before `firstValid` are NaN (indicators still warming up). */
  readonly rows: Float32Array;
  readonly length: number;
  readonly firstValid: number;
  /**
   * Candles of contiguous history a row needs (set by computeFeatures). Rows within `warmup`
   * candles after a gap in open times are NaN too, so later rows may be NaN although
   * i >= firstValid: test rows with Number.isFinite, never by index alone.
   */
  readonly warmup?: number;
}

/** Incremental (live) feature computation for one series; streaming output equals batch output. */
export interface IncrementalFeatures {
  readonly names: readonly string[];
  /** Candles needed before the first valid row. */
  readonly warmup: number;
  /** Feed one closed candle; returns its feature row, or null while warming up. */
  push(candle: Candle): Float32Array | null;
}

/** What createIncrementalFeatures returns: the contract plus a little state for diagnostics. */
export interface IncrementalFeatureStream extends IncrementalFeatures {
  /** Open time of the last candle pushed (NaN before the first). */
  readonly lastTimestamp: number;
  /** Contiguous candles pushed since the start or the last gap (a gap restarts the warm-up). */
  readonly segmentLength: number;
  /** Forgets all state, e.g. when the series is replaced. */
  reset(): void;
}

/** Class codes of `Labels.classes` (the order of the model's class head). */
export const LABEL_BUY = 0;
export const LABEL_SELL = 1;
export const LABEL_HOLD = 2;
/** No label: inside the last `horizon` rows, horizon or volatility window spans a gap, or volatility 0. */
export const LABEL_NONE = -1;

/** Labels of one series; index i is the forecast issued at the close of candle i. */
export interface Labels {
  readonly horizon: number;
  readonly k: number;
  readonly volWindow: number;
  /** ln(close[i + horizon] / close[i]); NaN where there is no label. */
  readonly forwardReturn: Float64Array;
  /**
   * Threshold labels: k × realised volatility (from candles up to i only) × sqrt(horizon).
   * Triple-barrier labels: the take-profit distance (log return). NaN where undefined.
   */
  readonly threshold: Float64Array;
  /** Triple-barrier labels only: the stop distance (log return) of the trade entered at i. */
  readonly stopDistance?: Float64Array;
  /** LABEL_BUY / LABEL_SELL / LABEL_HOLD, or LABEL_NONE. */
  readonly classes: Int8Array;
}

/** Robust centre and scale of each feature (z = clip((x − center) / scale, ±clip)). */
export interface NormColumnStats {
  readonly center: number[];
  readonly scale: number[];
  /** Rows the statistics were fitted on. */
  readonly count: number;
}

/** Normalisation statistics, JSON-serialisable; saved with every model. */
export interface NormStats {
  readonly version: 1;
  readonly method: 'median-iqr';
  readonly names: string[];
  readonly clip: number;
  /** Fitted on the training rows of all symbols together; used for symbols not in `perSymbol`. */
  readonly pooled: NormColumnStats;
  readonly perSymbol: Record<string, NormColumnStats>;
}
