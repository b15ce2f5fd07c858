import { describe, expect, it } from 'vitest';
import type { ClassLabel } from '../../src/core/types.ts';
import { selectSamples, splitByTime } from '../../src/models/dataset.ts';
import type { SeriesData } from '../../src/models/dataset.ts';

const TF = 300_000;

function series(times: number[], nanRows: number[] = []): SeriesData {
  const n = times.length;
  const rows = new Float32Array(n * 2).fill(1);
  for (const i of nanRows) rows[i * 2] = NaN;
  return {
    symbol: 'X/USDT',
    timestamps: times,
    features: { names: ['a', 'b'], rows, length: n, firstValid: 0 },
    returns: times.map(() => 0.01),
    labels: times.map((): ClassLabel => 'HOLD'),
  };
}

describe('dataset assembly', () => {
  it('keeps only complete, gap-free windows and horizons', () => {
    // 0..9 contiguous, then a gap (slot 10 missing), then 11..15.
    const times = [
      ...Array.from({ length: 10 }, (_, i) => i * TF),
      ...Array.from({ length: 5 }, (_, i) => (11 + i) * TF),
    ];
    const s = selectSamples([series(times, [2])], 3, 2, TF);
    // Windows of 3 finite contiguous rows end at t ≥ 5 (row 2 is NaN); horizon t+2 must exist without a gap:
    // t = 5, 6, 7 (t = 8 → row 10 is 11·TF: gap); after the gap: rows 10..14, windows end at 12..14, horizon
    // needs t+2 ≤ 14 → t = 12.
    expect(s.map((r) => r.t)).toEqual([5, 6, 7, 12]);
    expect(selectSamples([series(times, [2])], 3, 2, TF, false).map((r) => r.t)).toEqual([
      5, 6, 7, 8, 9, 12, 13, 14,
    ]);
  });

  it('splits by time across symbols with an embargo and a test remainder', () => {
    const times = Array.from({ length: 100 }, (_, i) => i * TF);
    const samples = selectSamples([series(times), series(times)], 1, 2, TF);
    const sp = splitByTime(samples, { train: 0.5, validation: 0.2, calibration: 0.2 }, 2 * TF);
    const maxT = (xs: { time: number }[]) => Math.max(...xs.map((x) => x.time));
    const minT = (xs: { time: number }[]) => Math.min(...xs.map((x) => x.time));
    expect(maxT(sp.train) + 2 * TF).toBeLessThan(minT(sp.validation));
    expect(maxT(sp.validation) + 2 * TF).toBeLessThan(minT(sp.calibration));
    expect(maxT(sp.calibration) + 2 * TF).toBeLessThan(minT(sp.test));
    expect(sp.test.length).toBeGreaterThan(0);
    // Both symbols appear in each slice.
    expect(new Set(sp.calibration.map((r) => r.series)).size).toBe(2);
    const none = splitByTime(samples, { train: 0.7, validation: 0.15, calibration: 0.15 }, 2 * TF);
    expect(none.test).toEqual([]);
    expect(() => splitByTime(samples, { train: 0.9, validation: 0.1, calibration: 0.1 }, TF)).toThrow(
      /model.split/,
    );
  });
});
