import { createHash } from 'node:crypto';
import type { Forecast } from '../core/types.ts';
import { ForwardingForecaster } from '../models/index.ts';
import type { ForecastInput, Forecaster } from '../models/forecaster.ts';

/**
 * Remembers every forecast a model made, keyed by symbol and a SHA-256 of the input window's
 * bytes, so that several backtests of the same forecasts (a sweep's combinations) run the model
 * once: the first backtest's precompute fills the memo through the model, every later backtest's
 * precompute (forecast-cache.ts, unchanged) is answered from it. An input never seen falls through
 * to the model, so the memo can never change a forecast. `dispose` is a no-op (a backtest
 * disposes its caches, and through them this); `release` frees the model when the sweep is done.
 */
export class MemoForecaster extends ForwardingForecaster {
  /** Inputs the model itself predicted (the rest came from the memo). */
  modelCalls = 0;
  hits = 0;
  private readonly memo = new Map<string, Forecast>();

  private static keyOf(x: ForecastInput): string {
    const f = x.features;
    const h = createHash('sha256').update(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
    return `${x.symbol}\u0000${f.length}\u0000${h.digest('base64')}`;
  }

  override predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    const keys = inputs.map((x) => MemoForecaster.keyOf(x));
    const out: Array<Forecast | undefined> = keys.map((k) => this.memo.get(k));
    const miss = out.flatMap((f, i) => (f === undefined ? [i] : []));
    this.hits += inputs.length - miss.length;
    if (miss.length > 0) {
      this.modelCalls += miss.length;
      const fs = this.inner.predictBatch(miss.map((i) => inputs[i]));
      miss.forEach((i, k) => {
        out[i] = fs[k];
        if (fs[k] !== undefined) this.memo.set(keys[i], fs[k]);
      });
    }
    return out as Forecast[];
  }

  override dispose(): void {}

  release(): void {
    this.memo.clear();
    this.inner.dispose();
  }
}

/** Wraps a model once per model object (a walk-forward window's models are asked for again). */
export function memoOf(m: Forecaster, seen: Map<Forecaster, MemoForecaster>): MemoForecaster {
  let w = seen.get(m);
  if (!w) seen.set(m, (w = new MemoForecaster(m)));
  return w;
}
