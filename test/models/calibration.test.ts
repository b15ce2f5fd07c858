import { describe, expect, it } from 'vitest';
import {
  applyQuantileOffsets,
  applyTemperature,
  fitQuantileOffsets,
  fitTemperature,
  initOnlineConformal,
  onlineOffsets,
  updateOnlineConformal,
} from '../../src/models/calibration.ts';
import type { ClassProbs, QuantileTriple } from '../../src/models/metrics.ts';
import { exceedanceRates } from '../../src/models/metrics.ts';
import { rng } from '../support/rng.ts';

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function softmax(z: readonly number[]): ClassProbs {
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e[0] + e[1] + e[2];
  return [e[0] / s, e[1] / s, e[2] / s];
}

function draw(p: ClassProbs, u: number): number {
  return u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
}

describe('temperature scaling', () => {
  it.each([0.5, 2.5])('recovers a known temperature %f on synthetic data', (trueT) => {
    const r = rng(7);
    const probs: ClassProbs[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 6000; i++) {
      const z = [normal(r) * 2, normal(r) * 2, normal(r) * 2];
      probs.push(softmax(z)); // the overconfident (T>1) or underconfident (T<1) model
      labels.push(draw(softmax(z.map((x) => x / trueT)), r())); // the truth
    }
    const t = fitTemperature(probs, labels);
    expect(t).toBeGreaterThan(trueT * 0.9);
    expect(t).toBeLessThan(trueT * 1.1);
  });

  it('leaves the argmax unchanged and sums to one', () => {
    const p = applyTemperature([0.6, 0.3, 0.1], 3);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 12);
    expect(p[0]).toBeGreaterThan(p[1]);
    expect(p[0]).toBeLessThan(0.6);
    expect(() => fitTemperature([], [])).toThrow(/needs ≥ 1 sample/);
  });
});

/** Raw quantiles badly off (too narrow and shifted, like the predecessor's 85 % P10 exceedance). */
function synthetic(n: number, seed: number): { raw: QuantileTriple[]; y: number[] } {
  const r = rng(seed);
  const raw: QuantileTriple[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const mu = normal(r) * 0.01;
    raw.push({ q10: mu + 0.002, q50: mu + 0.004, q90: mu + 0.005 });
    y.push(mu + normal(r) * 0.008);
  }
  return { raw, y };
}

describe('conformalised quantile regression', () => {
  it('hits 10 % / 50 % / 10 % exceedance and 80 % coverage on held-out synthetic data', () => {
    const cal = synthetic(3000, 1);
    const test = synthetic(20000, 2);
    expect(exceedanceRates(test.raw, test.y).q10).toBeGreaterThan(0.5); // badly miscalibrated before
    const c = fitQuantileOffsets(cal.raw, cal.y);
    const adjusted = test.raw.map((q) => applyQuantileOffsets(q, c.qOffsets));
    const ex = exceedanceRates(adjusted, test.y);
    expect(ex.q10).toBeGreaterThan(0.085);
    expect(ex.q10).toBeLessThan(0.115);
    expect(ex.q90).toBeGreaterThan(0.085);
    expect(ex.q90).toBeLessThan(0.115);
    expect(ex.q50).toBeGreaterThan(0.47);
    expect(ex.q50).toBeLessThan(0.53);
    expect(c.samples).toBe(3000);
  });

  it('keeps quantiles ordered after offsets and rejects tiny calibration sets', () => {
    expect(applyQuantileOffsets({ q10: 0, q50: 0, q90: 0 }, { q10: 0.2, q50: 0, q90: -0.1 })).toEqual({
      q10: -0.1,
      q50: 0,
      q90: 0.2,
    });
    expect(() => fitQuantileOffsets([{ q10: 0, q50: 0, q90: 0 }], [0])).toThrow(/needs ≥ 10 samples/);
  });
});

describe('volatility-scaled conformal offsets', () => {
  /** Heteroscedastic outcomes: y = σ·z with σ spread over a 1:8 range, raw quantiles constant (0). */
  function regimes(n: number, seed: number): { raw: QuantileTriple[]; y: number[]; sigma: number[] } {
    const r = rng(seed);
    const sigma = Array.from({ length: n }, () => 0.002 * Math.exp(r() * Math.log(8)));
    return { raw: sigma.map(() => ({ q10: 0, q50: 0, q90: 0 })), y: sigma.map((s) => s * normal(r)), sigma };
  }

  /** Band coverage within the calmest and the most volatile third (by σ). */
  function coverageExtremes(q: QuantileTriple[], y: number[], sigma: number[]): [number, number] {
    const idx = sigma.map((_, i) => i).sort((a, b) => sigma[a] - sigma[b]);
    const third = Math.floor(idx.length / 3);
    const cov = (part: number[]) =>
      part.filter((i) => y[i] >= q[i].q10 && y[i] <= q[i].q90).length / part.length;
    return [cov(idx.slice(0, third)), cov(idx.slice(-third))];
  }

  it('covers 80 % within the calm and the volatile third, where additive offsets over- and under-cover', () => {
    const cal = regimes(4000, 3);
    const test = regimes(20000, 4);
    const add = fitQuantileOffsets(cal.raw, cal.y);
    const addQ = test.raw.map((q) => applyQuantileOffsets(q, add.qOffsets));
    const [calmAdd, wildAdd] = coverageExtremes(addQ, test.y, test.sigma);
    expect(calmAdd).toBeGreaterThan(0.93);
    expect(wildAdd).toBeLessThan(0.7);
    const sc = fitQuantileOffsets(cal.raw, cal.y, cal.sigma);
    // Offsets in units of σ: close to the standard normal's ±1.2816.
    expect(sc.qOffsets.q90).toBeGreaterThan(1.2);
    expect(sc.qOffsets.q90).toBeLessThan(1.37);
    const scQ = test.raw.map((q, i) => ({
      q10: q.q10 + sc.qOffsets.q10 * test.sigma[i],
      q50: q.q50 + sc.qOffsets.q50 * test.sigma[i],
      q90: q.q90 + sc.qOffsets.q90 * test.sigma[i],
    }));
    for (const c of coverageExtremes(scQ, test.y, test.sigma)) {
      expect(c).toBeGreaterThan(0.77);
      expect(c).toBeLessThan(0.83);
    }
    expect(() => fitQuantileOffsets(cal.raw, cal.y, [1])).toThrow(/4000 forecasts but 1 volatility/);
  });
});

describe('online adaptive conformal update', () => {
  it('converges to the target miss rates after the volatility doubles', () => {
    const cal = synthetic(3000, 3);
    let s = initOnlineConformal(fitQuantileOffsets(cal.raw, cal.y), 0.01);
    const r = rng(4);
    const n = 30000;
    const misses = { q10: 0, q50: 0, q90: 0 };
    const tail = 20000;
    for (let t = 0; t < n; t++) {
      const mu = normal(r) * 0.01;
      const raw = { q10: mu + 0.002, q50: mu + 0.004, q90: mu + 0.005 };
      const issued = applyQuantileOffsets(raw, onlineOffsets(s));
      const y = mu + normal(r) * 0.016; // regime change: twice the calibration volatility
      if (t >= n - tail) {
        if (y < issued.q10) misses.q10++;
        if (y < issued.q50) misses.q50++;
        if (y > issued.q90) misses.q90++;
      }
      s = updateOnlineConformal(s, issued, y);
    }
    expect(misses.q10 / tail).toBeGreaterThan(0.08);
    expect(misses.q10 / tail).toBeLessThan(0.12);
    expect(misses.q90 / tail).toBeGreaterThan(0.08);
    expect(misses.q90 / tail).toBeLessThan(0.12);
    expect(misses.q50 / tail).toBeGreaterThan(0.47);
    expect(misses.q50 / tail).toBeLessThan(0.53);
    expect(s.updates).toBe(n);
    // It had to widen: α of the tails dropped below the nominal 0.10.
    expect(s.alpha.q10).toBeLessThan(0.1);
    expect(s.alpha.q90).toBeLessThan(0.1);
  });

  it('without the update, the stale offsets miss far too often in the new regime', () => {
    const cal = synthetic(3000, 3);
    const off = fitQuantileOffsets(cal.raw, cal.y).qOffsets;
    const test = synthetic(5000, 5);
    const wide = test.y.map((y, i) => test.raw[i].q50 - 0.004 + (y - test.raw[i].q50 + 0.004) * 2);
    const ex = exceedanceRates(
      test.raw.map((q) => applyQuantileOffsets(q, off)),
      wide,
    );
    expect(ex.q10).toBeGreaterThan(0.15);
    expect(() => initOnlineConformal({ scoreGrids: { q10: [0, 1], q50: [0, 1], q90: [0, 1] } }, 2)).toThrow(
      /online conformal step gamma: expected number between 0 and 1, got 2/,
    );
  });
});
