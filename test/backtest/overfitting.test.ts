import { describe, expect, it } from 'vitest';
import {
  combinationsMasks,
  deflatedSharpe,
  expectedMaxSharpe,
  moments,
  periodSharpe,
  probabilisticSharpe,
  probabilityOfOverfitting,
} from '../../src/backtest/overfitting.ts';
import { normalCdf, normalInv } from '../../src/backtest/normal.ts';
import { rng } from '../support/rng.ts';

/** Standard normal draws by Box–Muller from the seeded PRNG. */
function gaussian(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** `trials` series of `periods` iid N(drift[i], sd²) returns. */
function series(seed: number, trials: number, periods: number, sd: number, drift: (i: number) => number) {
  const g = gaussian(seed);
  return Array.from({ length: trials }, (_, i) => Array.from({ length: periods }, () => drift(i) + sd * g()));
}

describe('normal distribution', () => {
  it('Φ matches tabulated values (to 1e-14 absolute, tails relatively)', () => {
    const table: Array<[number, number]> = [
      [0, 0.5],
      [1, 0.8413447460685429],
      [-1, 0.15865525393145707],
      [1.96, 0.9750021048517795],
      [-2.5, 0.006209665325776132],
      [3, 0.9986501019683699],
    ];
    for (const [x, p] of table) expect(Math.abs(normalCdf(x) - p)).toBeLessThan(1e-14);
    expect(normalCdf(-5) / 2.866515718791939e-7).toBeCloseTo(1, 9);
    expect(normalCdf(-8) / 6.22096057427178e-16).toBeCloseTo(1, 7);
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(40)).toBe(1);
  });
  it('Φ⁻¹ matches tabulated quantiles and inverts Φ across (0, 1)', () => {
    const table: Array<[number, number]> = [
      [0.5, 0],
      [0.9, 1.2815515655446004],
      [0.975, 1.959963984540054],
      [0.99, 2.3263478740408408],
      [0.01, -2.3263478740408408],
      [0.001, -3.090232306167813],
    ];
    for (const [p, z] of table) expect(Math.abs(normalInv(p) - z)).toBeLessThan(1e-12);
    expect(normalInv(1e-10) / -6.361340902404056).toBeCloseTo(1, 9);
    for (const p of [1e-8, 0.0123, 0.02425, 0.3, 0.7, 0.97575, 0.999, 1 - 1e-9])
      expect(normalCdf(normalInv(p)) / p).toBeCloseTo(1, 9);
    expect(normalInv(0)).toBe(-Infinity);
    expect(normalInv(1)).toBe(Infinity);
    expect(normalInv(1.5)).toBeNaN();
  });
});

describe('moments and Sharpe', () => {
  it('computes sample sd, skewness and non-excess kurtosis', () => {
    const m = moments([1, 2, 3, 4, 10]);
    expect(m.mean).toBe(4);
    expect(m.sd).toBeCloseTo(Math.sqrt(12.5), 12);
    // deviations −3 −2 −1 0 6: population m2 = 10
    expect(m.skewness).toBeCloseTo((-27 - 8 - 1 + 0 + 216) / 5 / 10 ** 1.5, 12);
    expect(m.kurtosis).toBeCloseTo((81 + 16 + 1 + 0 + 1296) / 5 / 100, 12);
    expect(periodSharpe([0, 0, 0])).toBe(0);
    expect(periodSharpe([1, 2, 3, 4, 10])).toBeCloseTo(4 / Math.sqrt(12.5), 12);
  });
});

describe('deflated Sharpe ratio', () => {
  it("reproduces Bailey & López de Prado's numerical example (DSR ≈ 0.9004)", () => {
    // Annualised SR 2.5 over 1,250 daily returns, 100 trials with V[SR] = 0.5 (annualised), γ₃ = −3, γ₄ = 10.
    const sr = 2.5 / Math.sqrt(250);
    const sr0 = expectedMaxSharpe(100, 0.5 / 250);
    expect(sr0 * Math.sqrt(250)).toBeCloseTo(1.7894, 3);
    expect(probabilisticSharpe(sr, sr0, 1250, -3, 10)).toBeCloseTo(0.9004, 3);
    expect(expectedMaxSharpe(1, 0.1)).toBe(0);
  });
  it('is undefined when no trial ever moved (nothing traded), not a coin flip', () => {
    const flat = Array.from({ length: 4 }, () => Array.from({ length: 50 }, () => 0));
    expect(deflatedSharpe(flat).dsr).toBeNull();
  });
  it('pure noise: the best of 30 strategies looks positive and is not significant', () => {
    const runs = Array.from({ length: 20 }, (_, k) => deflatedSharpe(series(k + 1, 30, 500, 0.01, () => 0)));
    expect(runs[0].trials).toBe(30);
    expect(runs[0].periods).toBe(500);
    for (const d of runs) expect(d.sharpe).toBeGreaterThan(0); // the best of 30 looks like an edge…
    // …and deflation says so only about as often as a 5 % test should on noise.
    expect(runs.filter((d) => d.dsr! > 0.95).length).toBeLessThanOrEqual(2);
    expect(runs.filter((d) => d.dsr! < 0.5).length).toBeGreaterThan(8);
  });
  it('a planted edge (one trial drifting at 0.3 sd per period) is significant and is the one picked', () => {
    for (const seed of [7, 8, 9]) {
      const d = deflatedSharpe(series(seed, 30, 1000, 0.01, (i) => (i === 11 ? 0.003 : 0)));
      expect(d.best).toBe(11);
      expect(d.dsr!).toBeGreaterThan(0.95);
    }
  });
});

describe('probability of backtest overfitting (CSCV)', () => {
  it('enumerates C(16, 8) = 12,870 distinct half-splits', () => {
    const m = combinationsMasks(16, 8);
    expect(m.length).toBe(12_870);
    expect(new Set(m).size).toBe(12_870);
    const bits = (x: number) => x.toString(2).replace(/0/g, '').length;
    expect(m.every((x) => bits(x) === 8 && x < 1 << 16)).toBe(true);
    expect(combinationsMasks(4, 2)).toEqual([3, 5, 6, 9, 10, 12]);
  });
  it('pure noise: PBO is near one half on average (the in-sample best is a coin flip out of sample)', () => {
    // One data set's PBO varies widely (the splits share data); its mean over data sets is ½.
    const one = probabilityOfOverfitting(series(11, 20, 800, 0.01, () => 0))!;
    expect([one.splits, one.trials, one.periods, one.blocks]).toEqual([12_870, 20, 800, 16]);
    const pbos = Array.from(
      { length: 30 },
      (_, k) =>
        probabilityOfOverfitting(
          series(100 + k, 20, 800, 0.01, () => 0),
          10,
        )!.pbo,
    );
    const mean = pbos.reduce((a, p) => a + p, 0) / pbos.length;
    expect(mean).toBeGreaterThan(0.38);
    expect(mean).toBeLessThan(0.62);
  });
  it('a planted edge: the in-sample best stays on top out of sample, PBO is low', () => {
    const r = probabilityOfOverfitting(series(21, 20, 800, 0.01, (i) => (i === 4 ? 0.002 : 0)))!;
    expect(r.pbo).toBeLessThan(0.05);
    expect(r.medianLogit).toBeGreaterThan(1);
  });
  it('identical trials count as overfit (no evidence either way), short data and bad blocks are refused', () => {
    const same = Array.from({ length: 5 }, () => Array.from({ length: 64 }, (_, i) => Math.sin(i)));
    expect(probabilityOfOverfitting(same, 8)!.pbo).toBe(1);
    expect(
      probabilityOfOverfitting(
        [
          [1, 2, 3],
          [1, 2, 3],
        ],
        16,
      ),
    ).toBeNull();
    expect(probabilityOfOverfitting([[1, 2, 3]], 2)).toBeNull();
    expect(() => probabilityOfOverfitting(same, 7)).toThrow(/even/);
    // The remainder T mod S is dropped from the start: 70 periods in 8 blocks use the last 64.
    const r = probabilityOfOverfitting(
      same.map((s) => [...Array.from({ length: 6 }, () => 99), ...s]),
      8,
    )!;
    expect(r.periods).toBe(64);
    expect(r.pbo).toBe(1);
  });
});
