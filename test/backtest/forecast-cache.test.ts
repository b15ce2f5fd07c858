import { describe, expect, it } from 'vitest';
import { CachedForecaster } from '../../src/backtest/index.ts';
import type { FeatureMatrix } from '../../src/features/types.ts';
import { MomentumForecaster } from './support/toy.ts';

/** Two columns; the model reads only `ret1`, which the matrix holds second. */
function matrix(values: readonly number[]): FeatureMatrix {
  const rows = new Float32Array(values.length * 2);
  values.forEach((v, i) => {
    rows[i * 2] = 99;
    rows[i * 2 + 1] = v;
  });
  return { names: ['other', 'ret1'], rows, length: values.length, firstValid: 0 };
}

const window = (vals: readonly number[]) => ({ symbol: 'BTC/USDT', features: Float32Array.from(vals) });

describe('CachedForecaster', () => {
  const values = [0.1, -0.2, 0.3, 0.05, -0.07, 0.3, 0.11, -0.4];

  it('answers every whole window of the series from the precomputed forecasts, in order or not', () => {
    const inner = new MomentumForecaster('5m', 3);
    const cache = new CachedForecaster(inner);
    const pre = cache.precompute('BTC/USDT', matrix(values));
    expect(pre.slice(0, 2)).toEqual([undefined, undefined]);
    const precomputeCalls = inner.calls;
    expect(precomputeCalls).toBe(values.length - 2);
    const order = [2, 3, 4, 5, 7, 6, 2];
    for (const end of order) {
      const [f] = cache.predictBatch([window(values.slice(end - 2, end + 1))]);
      expect(f).toEqual(
        new MomentumForecaster('5m', 3).predictBatch([window(values.slice(end - 2, end + 1))])[0],
      );
      expect(f).toBe(pre[end]);
    }
    expect(inner.calls).toBe(precomputeCalls);
    expect(cache.stats).toEqual({ hits: order.length, misses: 0 });
  });

  it('a window that matches only in its last row, another symbol, or differs in one bit runs the model', () => {
    const inner = new MomentumForecaster('5m', 3);
    const cache = new CachedForecaster(inner);
    cache.precompute('BTC/USDT', matrix(values));
    const before = inner.calls;
    // Same last row as the window ending at 5 (0.3), different first row.
    const [a] = cache.predictBatch([window([0.9, -0.07, 0.3])]);
    expect(a.q50).toBeCloseTo((0.9 - 0.07 + 0.3) / 3, 6);
    // Same values, other symbol.
    cache.predictBatch([{ symbol: 'ETH/USDT', features: Float32Array.from(values.slice(0, 3)) }]);
    // −0 instead of +0 is bitwise different: a miss, never a wrong hit.
    const zeros = [0, 0, 0, 0];
    const z = new CachedForecaster(new MomentumForecaster('5m', 3));
    z.precompute('BTC/USDT', matrix(zeros));
    z.predictBatch([window([-0, 0, 0])]);
    expect(z.stats).toEqual({ hits: 0, misses: 1 });
    expect(inner.calls - before).toBe(2);
    expect(cache.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('predicts only the rows asked for (a walk-forward window) and skips windows across a gap', () => {
    const inner = new MomentumForecaster('5m', 2);
    const cache = new CachedForecaster(inner);
    const gap = [0.1, 0.2, NaN, 0.3, 0.4, 0.5, 0.6];
    const pre = cache.precompute('BTC/USDT', matrix(gap), { from: 0, to: 6 });
    expect(Array.from(pre, (f) => f !== undefined)).toEqual([false, true, false, false, true, true, false]);
  });
});
