import { describe, expect, it } from 'vitest';
import { quantiles } from '../../src/features/quantiles.ts';
import { rng } from './support.ts';

function sortedQuantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const k = Math.floor(pos);
  return s[k] + ((s[Math.min(k + 1, s.length - 1)] ?? s[k]) - s[k]) * (pos - k);
}

describe('quantiles (selection)', () => {
  it('equal sort-and-interpolate on random data with ties, for many sizes', () => {
    const rand = rng(3);
    for (const n of [1, 2, 3, 4, 5, 10, 101, 1000, 5003]) {
      const values = Array.from({ length: n }, () => Math.round(rand() * 50) / 7 - 3);
      const qs = [0.1, 0.25, 0.5, 0.75, 0.9];
      const got = quantiles(Float64Array.from(values), qs);
      qs.forEach((q, i) => expect(got[i], `n=${n} q=${q}`).toBe(sortedQuantile(values, q)));
    }
  });

  it('handles constant and sorted input and reports NaN for no values', () => {
    expect(quantiles(new Float64Array(7).fill(2), [0.25, 0.5, 0.75])).toEqual([2, 2, 2]);
    expect(
      quantiles(
        Float64Array.from({ length: 9 }, (_, i) => i),
        [0.25, 0.5, 0.75],
      ),
    ).toEqual([2, 4, 6]);
    expect(quantiles(new Float64Array(0), [0.5])).toEqual([NaN]);
  });
});
