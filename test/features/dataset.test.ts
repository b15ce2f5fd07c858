import { describe, expect, it } from 'vitest';
import {
  applyNormalisation,
  classWeights,
  computeFeatures,
  createBatchBuilder,
  fitNormalisation,
  makeLabels,
  selectWindows,
  slicesBefore,
  splitChronological,
} from '../../src/features/index.ts';
import type { DatasetSeries, SampleRef } from '../../src/features/index.ts';
import type { Candle } from '../../src/core/types.ts';
import { fixtureCandles, shortFeatures } from './support.ts';

const STEP = 300_000;
const H = 6;

function seriesOf(symbol: string, candles: Candle[]): DatasetSeries {
  return {
    symbol,
    timestamps: Float64Array.from(candles, (c) => c.timestamp),
    features: computeFeatures(candles, '5m', shortFeatures()),
    labels: makeLabels(candles, H, 1.5, 12, '5m'),
  };
}

function rowsFinite(s: DatasetSeries, from: number, to: number): boolean {
  return s.features.rows
    .subarray(from * s.features.names.length, (to + 1) * s.features.names.length)
    .every(Number.isFinite);
}

describe('selectWindows', () => {
  it('keeps only windows that are complete, gap-free and labelled', () => {
    const eth = fixtureCandles('5m', 'ETHUSDT').slice(0, 1200);
    const gapped = [...eth.slice(0, 300), ...eth.slice(305)];
    const all = [
      seriesOf('BTCUSDT', fixtureCandles('5m', 'BTCUSDT').slice(0, 1200)),
      seriesOf('ETHUSDT', gapped),
    ];
    const window = 20;
    const samples = selectWindows(all, window, '5m');
    expect(samples.length).toBeGreaterThan(100);
    const eligible = (si: number, t: number) => {
      const s = all[si];
      return (
        t >= window - 1 &&
        s.timestamps[t] - s.timestamps[t - window + 1] === (window - 1) * STEP &&
        rowsFinite(s, t - window + 1, t) &&
        s.labels.classes[t] >= 0
      );
    };
    const wrong = samples.filter((r) => !eligible(r.series, r.t) || r.time !== all[r.series].timestamps[r.t]);
    expect(wrong).toEqual([]);
    // Every eligible t is present: count them independently.
    for (const [si, s] of all.entries()) {
      let expected = 0;
      for (let t = 0; t < s.timestamps.length; t++) if (eligible(si, t)) expected++;
      expect(samples.filter((r) => r.series === si).length).toBe(expected);
    }
    // Without labels, the last H rows of each series and the H rows whose horizon spans ETH's gap
    // are usable windows too (live / backtest inference).
    const unlabelled = selectWindows(all, window, '5m', false);
    expect(unlabelled.length).toBe(samples.length + 3 * H);
  });

  it('rejects a window < 1 and misaligned series', () => {
    const s = seriesOf('BTCUSDT', fixtureCandles('5m', 'BTCUSDT'));
    expect(() => selectWindows([s], 0, '5m')).toThrow(/window is 0/);
    expect(() =>
      selectWindows([{ ...s, timestamps: Float64Array.from(s.timestamps).slice(1) }], 5, '5m'),
    ).toThrow(/expected the same count/);
  });
});

describe('splitChronological', () => {
  const all = (['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] as const).map((sym) =>
    seriesOf(sym, fixtureCandles('5m', sym)),
  );
  const samples = selectWindows(all, 10, '5m');

  it('splits all symbols at shared time boundaries with an embargo of `horizon` candles', () => {
    const split = splitChronological(
      samples,
      { train: 0.6, validation: 0.15, calibration: 0.1 },
      { horizon: H, timeframe: '5m' },
    );
    const slices = [split.train, split.validation, split.calibration, split.test];
    for (const s of slices) expect(s.length).toBeGreaterThan(0);
    for (let k = 0; k < 3; k++) {
      const maxBefore = Math.max(...slices[k].map((r) => r.time));
      const minAfter = Math.min(...slices[k + 1].map((r) => r.time));
      // No label of slice k (ends at time + H candles) reaches into slice k + 1's period.
      expect(maxBefore + H * STEP).toBeLessThan(split.boundaries[k]);
      expect(minAfter).toBeGreaterThanOrEqual(split.boundaries[k]);
      // Every symbol respects the same boundary.
      for (let si = 0; si < all.length; si++) {
        const later = slices[k + 1].filter((r) => r.series === si);
        if (later.length)
          expect(Math.min(...later.map((r) => r.time))).toBeGreaterThanOrEqual(split.boundaries[k]);
      }
    }
    const total = slices.reduce((a, s) => a + s.length, 0);
    expect(total + split.embargoed).toBe(samples.length);
    // 3 symbols × H candles before each of 3 boundaries.
    expect(split.embargoed).toBe(3 * 3 * H);
    expect(split.train.length / samples.length).toBeCloseTo(0.6, 1);
  });

  it('slicesBefore gives each series its rows before the validation boundary, for fitting normalisation', () => {
    const split = splitChronological(
      samples,
      { train: 0.6, validation: 0.2, calibration: 0.2 },
      { horizon: H, timeframe: '5m' },
    );
    const slices = slicesBefore(all, split.boundaries[0]);
    slices.forEach((sl, i) => {
      const ts = all[i].timestamps;
      expect(sl.symbol).toBe(all[i].symbol);
      expect(ts[(sl.end ?? 0) - 1]).toBeLessThan(split.boundaries[0]);
      expect(ts[sl.end ?? 0]).toBeGreaterThanOrEqual(split.boundaries[0]);
    });
    expect(slicesBefore(all, 0).every((sl) => sl.end === 0)).toBe(true);
    expect(slicesBefore(all, Infinity).map((sl) => sl.end)).toEqual(all.map((s) => s.timestamps.length));
  });

  it('leaves the test slice empty when the fractions sum to 1', () => {
    const split = splitChronological(
      samples,
      { train: 0.7, validation: 0.15, calibration: 0.15 },
      { horizon: H, timeframe: '5m' },
    );
    expect(split.test).toEqual([]);
    expect(split.boundaries[2]).toBe(Infinity);
  });

  it('rejects fractions summing above 1 and an empty sample set', () => {
    expect(() =>
      splitChronological(
        samples,
        { train: 0.8, validation: 0.2, calibration: 0.2 },
        { horizon: H, timeframe: '5m' },
      ),
    ).toThrow(/model\.split/);
    expect(() =>
      splitChronological(
        [] as SampleRef[],
        { train: 0.7, validation: 0.15, calibration: 0.15 },
        { horizon: H, timeframe: '5m' },
      ),
    ).toThrow(/no usable samples/);
  });
});

describe('createBatchBuilder', () => {
  const all = (['BTCUSDT', 'SOLUSDT'] as const).map((sym) =>
    seriesOf(sym, fixtureCandles('5m', sym).slice(0, 1000)),
  );
  const window = 8;
  const samples = selectWindows(all, window, '5m');
  const norm = fitNormalisation(
    all.map((s) => ({ symbol: s.symbol, matrix: s.features })),
    { minRowsPerSymbol: 50 },
  );
  const weights = classWeights(samples.map((r) => all[r.series].labels.classes[r.t]));

  it('fills [batch, window, F] with normalised windows, labels and class weights, reusing its buffers', () => {
    const b = createBatchBuilder({ series: all, window, batchSize: 16, norm, classWeights: weights });
    const F = b.features;
    const x = b.x;
    const order = [...samples].reverse(); // mixes both series within a batch
    const from = order.length - 20;
    const n = b.fill(order, from);
    expect(n).toBe(16);
    expect(b.x).toBe(x);
    for (let k = 0; k < n; k++) {
      const r = order[from + k];
      const s = all[r.series];
      const raw = s.features.rows.slice((r.t - window + 1) * F, (r.t + 1) * F);
      const z = applyNormalisation(norm, s.symbol, raw);
      expect(Array.from(b.x.subarray(k * window * F, (k + 1) * window * F))).toEqual(Array.from(z));
      expect(b.yClass[k]).toBe(s.labels.classes[r.t]);
      expect(b.yReturn[k]).toBe(Math.fround(s.labels.forwardReturn[r.t]));
      expect(b.weight[k]).toBe(Math.fround(weights[s.labels.classes[r.t]]));
    }
    expect(b.fill(order, order.length - 4)).toBe(4); // the tail batch is short
    expect(b.fill(order, order.length)).toBe(0);
  });

  it('copies raw features with weight 1 when given no stats or weights', () => {
    const b = createBatchBuilder({ series: all, window, batchSize: 2 });
    b.fill(samples, 0);
    const r = samples[0];
    const F = b.features;
    expect(Array.from(b.x.subarray(0, window * F))).toEqual(
      Array.from(all[r.series].features.rows.subarray((r.t - window + 1) * F, (r.t + 1) * F)),
    );
    expect(b.weight[0]).toBe(1);
  });

  it('refuses stats fitted on another feature list', () => {
    const other = { ...norm, names: norm.names.slice(1) };
    expect(() => createBatchBuilder({ series: all, window, batchSize: 2, norm: other })).toThrow(
      /normalisation stats/,
    );
  });
});
