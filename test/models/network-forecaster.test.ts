import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ForecastInput, NormalisationParams } from '../../src/models/index.ts';
import {
  createNetwork,
  initBackend,
  NetworkForecaster,
  predictArrays,
  zScoreNormaliser,
} from '../../src/models/index.ts';
import { F, W, lcg, tinySpec } from './network-fixtures.ts';

beforeAll(async () => {
  await initBackend();
});

const featureNames = ['a', 'b', 'c', 'd'];
const norm: NormalisationParams = {
  featureNames,
  pooled: { mean: [0, 0, 0, 0], std: [1, 1, 1, 1] },
  perSymbol: { 'BTC/USDT': { mean: [10, 10, 10, 10], std: [2, 2, 2, 2] } },
};

function forecaster(
  arch: 'tft' | 'mlp',
  calibration?: ConstructorParameters<typeof NetworkForecaster>[0]['calibration'],
) {
  return new NetworkForecaster({
    network: createNetwork(tinySpec(arch), 1),
    featureNames,
    timeframe: '5m',
    horizon: 12,
    version: 'test-v1',
    normaliser: zScoreNormaliser(norm),
    calibration,
  });
}

function input(symbol: string, seed: number, offset = 0): ForecastInput {
  const r = lcg(seed);
  return { symbol, features: Float32Array.from({ length: W * F }, () => offset + r() * 2) };
}

describe.each(['tft', 'mlp'] as const)('NetworkForecaster (%s)', (arch) => {
  it('forecasts many symbols in one batch, same as one at a time, with ordered quantiles', () => {
    const f = forecaster(arch);
    // 6 in a batch (graph LSTM) vs 1 at a time (JS LSTM in the TFT): both paths must agree.
    const ins = [1, 2, 3, 4, 5, 6].map((k) => input(`S${k}/USDT`, k));
    const batch = f.predictBatch(ins);
    expect(batch).toHaveLength(6);
    ins.forEach((inp, i) => {
      const one = f.predictBatch([inp])[0];
      expect(one.pBuy).toBeCloseTo(batch[i].pBuy, 5);
      expect(one.q50).toBeCloseTo(batch[i].q50, 5);
      expect(batch[i].pBuy + batch[i].pSell + batch[i].pHold).toBeCloseTo(1, 5);
      expect(batch[i].q10).toBeLessThanOrEqual(batch[i].q50);
      expect(batch[i].q50).toBeLessThanOrEqual(batch[i].q90);
      expect(batch[i]).toMatchObject({ timeframe: '5m', modelVersion: 'test-v1' });
    });
    expect(f.predictBatch([])).toEqual([]);
    f.dispose();
  });

  it('applies temperature to the class head and additive offsets to the quantiles', () => {
    const raw = forecaster(arch);
    const cal = raw.withCalibration({ temperature: 3, qOffsets: { q10: -0.01, q50: 0.002, q90: 0.02 } });
    const ins = [input('ETH/USDT', 4)];
    const a = raw.predictBatch(ins)[0];
    const b = cal.predictBatch(ins)[0];
    const spread = (p: typeof a) => Math.max(p.pBuy, p.pSell, p.pHold) - Math.min(p.pBuy, p.pSell, p.pHold);
    expect(spread(b)).toBeLessThan(spread(a));
    // Temperature keeps the ranking of classes.
    const rank = (p: typeof a) =>
      [p.pBuy, p.pSell, p.pHold]
        .map((v, i) => [v, i])
        .sort((x, y) => x[0] - y[0])
        .map((x) => x[1]);
    expect(rank(b)).toEqual(rank(a));
    expect(b.q10 - a.q10).toBeCloseTo(-0.01, 6);
    expect(b.q50 - a.q50).toBeCloseTo(0.002, 6);
    expect(b.q90 - a.q90).toBeCloseTo(0.02, 6);
    cal.dispose(); // does not own the network
    expect(raw.predictBatch(ins)).toHaveLength(1);
    raw.dispose();
  });

  it('volatility-scaled offsets are multiplied by the newest input row of the scale feature', () => {
    const raw = forecaster(arch);
    const off = { q10: -2, q50: 0.5, q90: 3 };
    const cal = raw.withCalibration({ temperature: 1, qOffsets: off, scaleFeature: 'c' });
    const inp = input('ETH/USDT', 4);
    const a = raw.predictBatch([inp])[0];
    const b = cal.predictBatch([inp])[0];
    const sigma = inp.features[(W - 1) * F + 2]; // column 'c' of the newest row
    expect(b.q10 - a.q10).toBeCloseTo(-2 * sigma, 5);
    expect(b.q50 - a.q50).toBeCloseTo(0.5 * sigma, 5);
    expect(b.q90 - a.q90).toBeCloseTo(3 * sigma, 5);
    // Twice the volatility, twice the offset.
    const f2 = Float32Array.from(inp.features);
    f2[(W - 1) * F + 2] = 2 * sigma;
    const c = cal.predictBatch([{ symbol: 'ETH/USDT', features: f2 }])[0];
    const a2 = raw.predictBatch([{ symbol: 'ETH/USDT', features: f2 }])[0];
    expect(c.q90 - a2.q90).toBeCloseTo(6 * sigma, 5);
    expect(() => raw.withCalibration({ temperature: 1, qOffsets: off, scaleFeature: 'nope' })).toThrow(
      /scaleFeature nope is not one of the model's features/,
    );
    // Log-volatility features (HAR): the scale is exp(mean of the newest row's values of b and d).
    const har = raw.withCalibration({ temperature: 1, qOffsets: off, logScaleFeatures: ['b', 'd'] });
    const g = Math.exp((inp.features[(W - 1) * F + 1] + inp.features[(W - 1) * F + 3]) / 2);
    expect(har.predictBatch([inp])[0].q90 - a.q90).toBeCloseTo(3 * g, 4);
    har.dispose();
    cal.dispose();
    raw.dispose();
  });

  it('normalises per symbol, with the pooled statistics for unknown symbols', () => {
    const f = forecaster(arch);
    // BTC rows are mean 10, std 2: after its own z-score they equal the pooled rows of (x−10)/2.
    const btc = input('BTC/USDT', 5, 10);
    const pooled: ForecastInput = { symbol: 'NEW/USDT', features: btc.features.map((v) => (v - 10) / 2) };
    const [a, b] = f.predictBatch([btc, pooled]);
    expect(a.q50).toBeCloseTo(b.q50, 6);
    expect(a.pBuy).toBeCloseTo(b.pBuy, 6);
    f.dispose();
  });

  it('rejects a wrong input length and non-finite features with the symbol named', () => {
    const f = forecaster(arch);
    expect(() => f.predictBatch([{ symbol: 'ETH/USDT', features: new Float32Array(3) }])).toThrow(
      /ETH\/USDT: forecast input has 3 values, expected 8 rows × 4 features = 32/,
    );
    const bad = input('SOL/USDT', 6);
    bad.features[5] = Number.NaN;
    expect(() => f.predictBatch([bad])).toThrow(/SOL\/USDT: feature "b" is NaN in input row 1/);
    f.dispose();
    expect(() => f.predictBatch([input('ETH/USDT', 1)])).toThrow(/after dispose/);
  });
});

describe('NetworkForecaster inference reads only the rows the network uses', () => {
  it.each(['tft', 'mlp'] as const)(
    '%s: forecasts bit-identical to the whole normalised window through the network',
    (arch) => {
      const net = createNetwork(tinySpec(arch), 7);
      const f = new NetworkForecaster({
        network: net,
        featureNames,
        timeframe: '5m',
        horizon: 12,
        version: 'v',
        normaliser: zScoreNormaliser(norm),
      });
      const ins = [1, 2, 3, 4, 5, 6, 7].map((k) => input(k % 2 ? 'BTC/USDT' : 'NEW/USDT', k, k % 2 ? 10 : 0));
      // The reference: every row of every window normalised and fed to the network (the MLP
      // slices the last row itself), as predictRaw did before it uploaded the used rows only.
      const x = new Float32Array(ins.length * W * F);
      ins.forEach((inp, i) =>
        zScoreNormaliser(norm).normalise(inp.symbol, inp.features, x.subarray(i * W * F, (i + 1) * W * F)),
      );
      const ref = predictArrays(net, x, ins.length);
      const raw = f.predictRaw(ins);
      expect(Array.from(raw.logits)).toEqual(Array.from(ref.logits));
      expect(Array.from(raw.quantiles)).toEqual(Array.from(ref.quantiles));
      expect(Array.from(raw.probs)).toEqual(Array.from(ref.probs));
      // A non-finite value in a row the MLP does not read still fails, with the same message.
      const bad = input('SOL/USDT', 6);
      bad.features[5] = Number.POSITIVE_INFINITY;
      expect(() => f.predictBatch([ins[0], bad])).toThrow(
        /SOL\/USDT: feature "b" is Infinity in input row 1/,
      );
      f.dispose();
    },
  );
});

describe('NetworkForecaster memory', () => {
  it('keeps tf.memory().numTensors flat across 10,000 predictions', () => {
    const mlp = forecaster('mlp');
    const tft = forecaster('tft');
    // 10,000 forecasts: MLP 2,000 calls × 4 symbols; TFT 400 × 4 (JS LSTM) and 80 × 5 (graph LSTM).
    const four = [1, 2, 3, 4].map((s) => input('ETH/USDT', s));
    const five = [1, 2, 3, 4, 5].map((s) => input('BTC/USDT', s));
    mlp.predictBatch(four);
    tft.predictBatch(four);
    tft.predictBatch(five);
    const before = tf.memory().numTensors;
    let n = 0;
    for (let i = 0; i < 2000; i++) n += mlp.predictBatch(four).length;
    for (let i = 0; i < 400; i++) n += tft.predictBatch(four).length;
    for (let i = 0; i < 80; i++) n += tft.predictBatch(five).length;
    expect(n).toBe(10_000);
    expect(tf.memory().numTensors).toBe(before);
    mlp.dispose();
    tft.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it('refuses a calibration with a non-positive temperature', () => {
    expect(() => forecaster('mlp', { temperature: 0, qOffsets: { q10: 0, q50: 0, q90: 0 } })).toThrow(
      /temperature > 0/,
    );
  });
});
