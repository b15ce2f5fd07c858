import { QuantgateError } from '../core/errors.ts';
import type { Forecast, Timeframe } from '../core/types.ts';
import type { FeatureMatrix } from '../features/types.ts';
import type { ForecastInput, Forecaster } from '../models/forecaster.ts';

/**
 * Batched inference for the replay. A forecast depends only on the feature window up to its
 * candle, so predicting every window of a series in large batches up front gives exactly the
 * forecasts the plugin would get one by one — the plugin still calls `predictBatch` as it does
 * live, and the cache answers it. An input the cache does not hold (e.g. a window the plugin
 * built differently) falls through to the real model, so a cache can never change a decision: a
 * hit is the same symbol and the same whole window, value for value.
 */

/** Column indices of `wanted` in `names`; throws naming the missing feature. */
export function columnIndex(names: readonly string[], wanted: readonly string[], where: string): number[] {
  return wanted.map((w) => {
    const j = names.indexOf(w);
    if (j < 0)
      throw new QuantgateError(
        'MODEL_INVALID',
        `${where}: model needs feature "${w}" which the feature pipeline does not produce`,
      );
    return j;
  });
}

/** The window of rows ending at `end` (inclusive), columns in the model's order, oldest row first. */
export function windowAt(
  m: FeatureMatrix,
  cols: readonly number[],
  end: number,
  window: number,
): Float32Array {
  const w = m.names.length;
  const out = new Float32Array(window * cols.length);
  for (let r = 0; r < window; r++) {
    const base = (end - window + 1 + r) * w;
    for (let c = 0; c < cols.length; c++) out[r * cols.length + c] = m.rows[base + cols[c]];
  }
  return out;
}

/** For each row, how many consecutive rows ending there have every used feature finite. */
export function completeRun(m: FeatureMatrix, cols: readonly number[]): Int32Array {
  const w = m.names.length;
  const run = new Int32Array(m.length);
  for (let i = 0; i < m.length; i++) {
    let ok = true;
    for (const c of cols)
      if (!Number.isFinite(m.rows[i * w + c])) {
        ok = false;
        break;
      }
    run[i] = ok ? (i > 0 ? run[i - 1] : 0) + 1 : 0;
  }
  return run;
}

function fingerprint(features: Float32Array, width: number): number {
  // FNV-1a over the last row's bits: cheap, and collisions are checked by comparing the window.
  const u = new Uint32Array(features.buffer, features.byteOffset + (features.length - width) * 4, width);
  let h = 2166136261;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 16777619) >>> 0;
  return h;
}

/** The used columns of a matrix, in the model's order, as one contiguous float32 block: a window is a subarray. */
function packColumns(m: FeatureMatrix, cols: readonly number[]): Float32Array {
  const w = m.names.length;
  const out = new Float32Array(m.length * cols.length);
  for (let r = 0; r < m.length; r++)
    for (let c = 0; c < cols.length; c++) out[r * cols.length + c] = m.rows[r * w + cols[c]];
  return out;
}

function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * One precomputed series. `packed` holds the model's columns of every row, so a hit is verified
 * by comparing the whole window byte for byte (bit-identical float32 values: a NaN payload or a
 * −0 that differs only counts as a miss, which runs the model — never a wrong hit).
 */
interface SeriesTable {
  readonly packed: Float32Array;
  readonly forecasts: Array<Forecast | undefined>;
  readonly byPrint: Map<number, number[]>;
  /** Row of the last hit: the next input of a replay is almost always the row after it. */
  lastHit: number;
}

/** One series' rows to precompute (plain data: half of it may go to an inference worker). */
export interface PrecomputePlan {
  readonly symbol: string;
  /** Row-major `length × width` feature values in the model's column order. */
  readonly packed: Float32Array;
  readonly width: number;
  readonly window: number;
  /** Row indices whose window ends there, ascending. */
  readonly rows: readonly number[];
  /** Rows in the series. */
  readonly length: number;
}

/** Forecasts of the windows ending at `rows`, predicted in batches of `batchSize`. */
export function predictRows(
  model: Forecaster,
  plan: Pick<PrecomputePlan, 'symbol' | 'packed' | 'width' | 'window'>,
  rows: readonly number[],
  batchSize = 1024,
): Forecast[] {
  const { symbol, packed, width, window } = plan;
  const out: Forecast[] = [];
  for (let b = 0; b < rows.length; b += batchSize) {
    const inputs: ForecastInput[] = rows.slice(b, b + batchSize).map((i) => ({
      symbol,
      features: packed.subarray((i - window + 1) * width, (i + 1) * width),
    }));
    for (const f of model.predictBatch(inputs)) out.push(f);
  }
  return out;
}

export interface CacheStats {
  hits: number;
  misses: number;
}

export class CachedForecaster implements Forecaster {
  readonly version: string;
  readonly timeframe: Timeframe;
  readonly horizon: number;
  readonly featureNames: readonly string[];
  readonly window: number;
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  private readonly table = new Map<string, SeriesTable>();

  constructor(private readonly inner: Forecaster) {
    this.version = inner.version;
    this.timeframe = inner.timeframe;
    this.horizon = inner.horizon;
    this.featureNames = inner.featureNames;
    this.window = inner.window;
  }

  /**
   * Which rows of one series a precompute predicts: every complete window (rows from firstValid
   * on, within `rows` — a walk-forward model only needs its own test range), with the series'
   * feature columns packed in the model's order.
   */
  plan(
    symbol: string,
    m: FeatureMatrix,
    rows: { readonly from: number; readonly to: number } = { from: 0, to: Infinity },
  ): PrecomputePlan {
    const cols = columnIndex(m.names, this.featureNames, `${symbol} ${this.timeframe} (${this.version})`);
    const packed = packColumns(m, cols);
    const first = m.firstValid + this.window - 1;
    const last = Math.min(m.length, rows.to);
    // Rows after a data gap are NaN until the indicators re-warm; the plugin makes no forecast
    // there, so only windows of complete rows are predicted.
    const run = completeRun(m, cols);
    const valid: number[] = [];
    for (let i = Math.max(first, 0, rows.from); i < last; i++) if (run[i] >= this.window) valid.push(i);
    return { symbol, packed, width: cols.length, window: this.window, rows: valid, length: m.length };
  }

  /** Stores the forecasts of `plan.rows` (in that order); returns the forecast per row index. */
  store(plan: PrecomputePlan, forecasts: readonly Forecast[]): Array<Forecast | undefined> {
    const out: Array<Forecast | undefined> = new Array<Forecast | undefined>(plan.length);
    const byPrint = new Map<number, number[]>();
    const { packed, width, window } = plan;
    plan.rows.forEach((i, k) => {
      out[i] = forecasts[k];
      const h = fingerprint(packed.subarray((i - window + 1) * width, (i + 1) * width), width);
      const list = byPrint.get(h);
      if (list) list.push(i);
      else byPrint.set(h, [i]);
    });
    this.table.set(plan.symbol, { packed, forecasts: out, byPrint, lastHit: -2 });
    return out;
  }

  /** plan → predict in batches on this thread → store. */
  precompute(
    symbol: string,
    m: FeatureMatrix,
    rows: { readonly from: number; readonly to: number } = { from: 0, to: Infinity },
    batchSize = 1024,
  ): Array<Forecast | undefined> {
    const p = this.plan(symbol, m, rows);
    return this.store(p, predictRows(this.inner, p, p.rows, batchSize));
  }

  private lookup(input: ForecastInput): Forecast | undefined {
    const t = this.table.get(input.symbol);
    const width = this.featureNames.length;
    if (!t || input.features.length !== width * this.window) return undefined;
    const want = bytesOf(input.features);
    if (this.matches(t, want, t.lastHit + 1)) return t.forecasts[++t.lastHit];
    for (const end of t.byPrint.get(fingerprint(input.features, width)) ?? [])
      if (this.matches(t, want, end)) {
        t.lastHit = end;
        return t.forecasts[end];
      }
    return undefined;
  }

  /** Whether the window ending at row `end` is `want`, byte for byte (and has a forecast). */
  private matches(t: SeriesTable, want: Buffer, end: number): boolean {
    const width = this.featureNames.length;
    return (
      end >= this.window - 1 &&
      t.forecasts[end] !== undefined &&
      want.equals(bytesOf(t.packed.subarray((end - this.window + 1) * width, (end + 1) * width)))
    );
  }

  predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    const out: Array<Forecast | undefined> = inputs.map((x) => this.lookup(x));
    const missIdx = out.flatMap((f, i) => (f === undefined ? [i] : []));
    this.stats.hits += inputs.length - missIdx.length;
    this.stats.misses += missIdx.length;
    if (missIdx.length > 0) {
      const fs = this.inner.predictBatch(missIdx.map((i) => inputs[i]));
      missIdx.forEach((i, k) => (out[i] = fs[k]));
    }
    return out as Forecast[];
  }

  dispose(): void {
    this.table.clear();
    this.inner.dispose();
  }
}
