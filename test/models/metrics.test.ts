import { describe, expect, it } from 'vitest';
import type { ClassLabel, Forecast } from '../../src/core/types.ts';
import {
  brierScore,
  classFrequencies,
  computeMetrics,
  expectedCalibrationError,
  logLoss,
  pinball,
} from '../../src/models/metrics.ts';
import { rollingBaseline, RollingQuantileForecaster } from '../../src/models/rolling-quantile.ts';

function fc(q10: number, q50: number, q90: number, pBuy: number, pSell: number, pHold: number): Forecast {
  return { timeframe: '5m', q10, q50, q90, pBuy, pSell, pHold, modelVersion: 't' };
}

describe('forecast metrics on hand-computed cases', () => {
  it('pinball loss is tau·d above and (1 − tau)·|d| below the quantile', () => {
    expect(pinball(1, 0, 0.9)).toBeCloseTo(0.9, 12);
    expect(pinball(-1, 0, 0.9)).toBeCloseTo(0.1, 12);
    expect(pinball(0.5, 0.5, 0.1)).toBe(0);
  });

  it('computes exceedance, coverage, pinball, accuracy, ECE, Brier and log-loss', () => {
    // Four samples with quantiles (−1, 0, 1) and outcomes −2, −0.5, 0.5, 2.
    const f = [
      fc(-1, 0, 1, 0.7, 0.2, 0.1),
      fc(-1, 0, 1, 0.7, 0.2, 0.1),
      fc(-1, 0, 1, 0.2, 0.2, 0.6),
      fc(-1, 0, 1, 0.2, 0.2, 0.6),
    ];
    const y = [-2, -0.5, 0.5, 2];
    const labels: ClassLabel[] = ['BUY', 'SELL', 'HOLD', 'HOLD'];
    const m = computeMetrics({
      forecasts: f,
      returns: y,
      labels,
      baselineQuantiles: y.map(() => ({ q10: 0, q50: 0, q90: 0 })),
      baselineClassFreq: [0.25, 0.25, 0.5],
    });
    expect(m.samples).toBe(4);
    expect(m.quantiles['0.1'].exceedance).toBe(0.25); // only −2 < −1
    expect(m.quantiles['0.5'].exceedance).toBe(0.5); // −2, −0.5 < 0
    expect(m.quantiles['0.9'].exceedance).toBe(0.25); // only 2 > 1
    expect(m.bandCoverage).toBe(0.5);
    // Hand-computed pinball per sample (q10, q50, q90):
    // y=−2: 0.9·1 + 0.5·2 + 0.1·3 = 2.2; y=−0.5: 0.1·0.5 + 0.5·0.5 + 0.1·1.5 = 0.45
    // y=0.5: 0.1·1.5 + 0.5·0.5 + 0.1·0.5 = 0.45; y=2: 0.1·3 + 0.5·2 + 0.9·1 = 2.2 → mean over 12 = 5.3/12
    expect(m.pinball.model).toBeCloseTo(5.3 / 12, 12);
    // Baseline all zeros: y=−2: 0.9·2+0.5·2+0.1·2 = 3; −0.5: 0.75; 0.5: 0.75; 2: 3 → 7.5/12
    expect(m.pinball.baseline).toBeCloseTo(7.5 / 12, 12);
    // Predictions BUY, BUY, HOLD, HOLD vs labels BUY, SELL, HOLD, HOLD → 3/4.
    expect(m.accuracy).toBe(0.75);
    // Bins: 0.7 (2 samples, 1 hit) → |0.5−0.7|·2/4 = 0.1; 0.6 (2 samples, 2 hits) → |1−0.6|·2/4 = 0.2.
    expect(m.ece).toBeCloseTo(0.3, 12);
    // Brier: s1 (0.3²+0.2²+0.1²)=0.14; s2 (0.7²+0.8²+0.1²)=1.14; s3,s4 (0.2²+0.2²+0.4²)=0.24 → 1.76/4
    expect(m.brier.model).toBeCloseTo(0.44, 12);
    expect(m.logLoss.model).toBeCloseTo(-(Math.log(0.7) + Math.log(0.2) + 2 * Math.log(0.6)) / 4, 12);
    // Baseline [0.25,0.25,0.5]: BUY: 0.75²+0.25²+0.5² = 0.875, SELL same, HOLD: 0.25²·2+0.5² = 0.375
    expect(m.brier.baseline).toBeCloseTo((0.875 * 2 + 0.375 * 2) / 4, 12);
    expect(m.logLoss.baseline).toBeCloseTo(-(2 * Math.log(0.25) + 2 * Math.log(0.5)) / 4, 12);
    expect(m.brierSkill).toBeCloseTo(1 - 0.44 / 0.625, 12); // worse than class frequencies: < 0
    // Per quantile: q10 (0.9 + 0.05 + 0.15 + 0.3)/4, q50 (1 + 0.25 + 0.25 + 1)/4, q90 (0.3 + 0.15 + 0.05 + 0.9)/4
    expect(m.pinballByQuantile['0.1'].model).toBeCloseTo(1.4 / 4, 12);
    expect(m.pinballByQuantile['0.5'].model).toBeCloseTo(2.5 / 4, 12);
    expect(m.pinballByQuantile['0.9'].model).toBeCloseTo(1.4 / 4, 12);
    // Baseline zeros: q10 (0.2 + 0.05 + 0.45 + 1.8)/4
    expect(m.pinballByQuantile['0.1'].baseline).toBeCloseTo(2.5 / 4, 12);
    expect(m.coverageByVolatility).toBeNull(); // no volatility given
  });

  it('coverage by volatility tercile: hand-computed groups, ties broken by order, NaN volatility left out', () => {
    // Nine samples with band (−1, 1) and q50 0; volatility ranks them into thirds.
    const f = Array.from({ length: 10 }, () => fc(-1, 0, 1, 1 / 3, 1 / 3, 1 / 3));
    // Calm third (vol 1,1,1): all inside. Middle (vol 2,3,4): one below q10. Wild (vol 7,8,9): two above q90, one below q10.
    const y = [0.5, -0.5, 0, -3, 0.2, 0.3, 5, 6, -7, 99];
    const vol = [1, 1, 1, 2, 3, 4, 9, 8, 7, NaN];
    const m = computeMetrics({ forecasts: f, returns: y, labels: y.map(() => 'HOLD'), volatility: vol });
    const t = m.coverageByVolatility;
    expect(t).not.toBeNull();
    expect(t?.map((x) => x.samples)).toEqual([3, 3, 3]);
    expect(t?.map((x) => x.bandCoverage)).toEqual([1, 2 / 3, 0]);
    expect(t?.map((x) => x.exceedance['0.1'])).toEqual([0, 1 / 3, 1 / 3]);
    expect(t?.map((x) => x.exceedance['0.9'])).toEqual([0, 0, 2 / 3]);
    expect(t?.map((x) => x.exceedance['0.5'])).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(t?.[2].volatility).toEqual({ from: 7, to: 9 });
    // The whole-sample figure hides it: 5/10 inside the band (the NaN-volatility sample counts here).
    expect(m.bandCoverage).toBe(0.5);
    expect(() =>
      computeMetrics({ forecasts: f, returns: y, labels: y.map(() => 'HOLD'), volatility: [1] }),
    ).toThrow(/10 forecasts but 1 volatility/);
  });

  it('Brier skill is 0 for the baseline itself and positive for a sharper correct forecast', () => {
    const labels: ClassLabel[] = ['BUY', 'HOLD', 'HOLD', 'SELL'];
    const base = [0.25, 0.25, 0.5] as const;
    const same = computeMetrics({
      forecasts: labels.map(() => fc(0, 0, 0, ...base)),
      returns: [0, 0, 0, 0],
      labels,
      baselineClassFreq: base,
    });
    expect(same.brierSkill).toBeCloseTo(0, 12);
    const sharp = computeMetrics({
      forecasts: [
        fc(0, 0, 0, 0.6, 0.1, 0.3),
        fc(0, 0, 0, 0.1, 0.1, 0.8),
        fc(0, 0, 0, 0.1, 0.1, 0.8),
        fc(0, 0, 0, 0.1, 0.6, 0.3),
      ],
      returns: [0, 0, 0, 0],
      labels,
      baselineClassFreq: base,
    });
    expect(sharp.brierSkill).toBeGreaterThan(0);
  });

  it('reports no baseline when none is given and rejects mismatched or empty input', () => {
    const m = computeMetrics({ forecasts: [fc(0, 0, 0, 1, 0, 0)], returns: [0], labels: ['BUY'] });
    expect(m.pinball.baseline).toBeNull();
    expect(m.brier.baseline).toBeNull();
    expect(m.brierSkill).toBeNull();
    expect(() => computeMetrics({ forecasts: [], returns: [], labels: [] })).toThrow(/no samples/);
    expect(() =>
      computeMetrics({ forecasts: [fc(0, 0, 0, 1, 0, 0)], returns: [0, 1], labels: ['BUY'] }),
    ).toThrow(/1 forecasts but 2 returns/);
    expect(() =>
      computeMetrics({ forecasts: [fc(0, 0, 0, 1, 0, 0)], returns: [NaN], labels: ['BUY'] }),
    ).toThrow(/finite/);
  });

  it('a perfectly confident correct classifier has zero ECE, Brier and ~zero log-loss', () => {
    const probs = [
      [1, 0, 0],
      [0, 1, 0],
    ] as const;
    expect(expectedCalibrationError(probs, [0, 1])).toBe(0);
    expect(brierScore(probs, [0, 1])).toBe(0);
    expect(logLoss(probs, [0, 1])).toBeLessThan(1e-6);
    expect(classFrequencies(['BUY', 'HOLD', 'HOLD', 'SELL'])).toEqual([0.25, 0.25, 0.5]);
  });
});

describe('rolling-quantile baseline', () => {
  it('uses only outcomes whose horizon has ended', () => {
    const y = [1, 2, 3, 4, 5, 6];
    const labels: ClassLabel[] = ['BUY', 'BUY', 'SELL', 'SELL', 'HOLD', 'HOLD'];
    const b = rollingBaseline(y, labels, 2, { lookback: 3 });
    expect(b[0]).toBeNull();
    expect(b[1]).toBeNull();
    expect(b[2]?.q50).toBe(1); // only y[0] known at t=2
    expect(b[4]?.q50).toBe(2); // y[0..2]
    expect(b[5]?.q50).toBe(3); // y[1..3] (lookback 3)
    expect(b[5]?.q10).toBeCloseTo(2.2, 12);
    expect(b[5]?.probs).toEqual([1 / 3, 2 / 3, 0]);
  });

  it('implements Forecaster from observed outcomes per symbol', () => {
    const f = new RollingQuantileForecaster({ timeframe: '1h', horizon: 6, lookback: 100 });
    const [cold] = f.predictBatch([{ symbol: 'BTC/USDT', features: new Float32Array() }]);
    expect(cold.pBuy).toBeCloseTo(1 / 3, 12);
    for (let i = 0; i <= 100; i++) f.observe('BTC/USDT', i / 100, i % 2 === 0 ? 'BUY' : 'HOLD');
    const [warm, other] = f.predictBatch([
      { symbol: 'BTC/USDT', features: new Float32Array() },
      { symbol: 'ETH/USDT', features: new Float32Array() },
    ]);
    // Window holds 0.01..1.00 → q10 = 0.01 + 0.099·... type-7 on 100 values: pos 9.9 → 0.109
    expect(warm.q10).toBeCloseTo(0.109, 9);
    expect(warm.q90).toBeCloseTo(0.901, 9);
    expect(warm.pBuy).toBeCloseTo(0.5, 12);
    expect(warm.modelVersion).toBe('baseline:rolling-quantile-100');
    expect(other.q50).toBe(0);
    f.dispose();
  });
});
