import type { Candle } from '../core/types.ts';

/** A batch of feature rows for one candle series: row i belongs to candle i. */
export interface FeatureMatrix {
  readonly names: readonly string[];
  /** Row-major N × names.length. Rows before `firstValid` are NaN (indicators still warming up). */
  readonly rows: Float32Array;
  readonly length: number;
  readonly firstValid: number;
}

/** Incremental (live) feature computation for one series; streaming output equals batch output. */
export interface IncrementalFeatures {
  readonly names: readonly string[];
  /** Candles needed before the first valid row. */
  readonly warmup: number;
  /** Feed one closed candle; returns its feature row, or null while warming up. */
  push(candle: Candle): Float32Array | null;
}
