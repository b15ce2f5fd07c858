import { describe, expect, it } from 'vitest';
import {
  applyNormalisation,
  assertFeatureNames,
  computeFeatures,
  fitNormalisation,
  normStatsFor,
  parseNormStats,
} from '../../src/features/index.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import type { FeatureMatrix } from '../../src/features/index.ts';
import { fixtureCandles, sameBits, shortFeatures } from './support.ts';

function matrix(names: string[], values: number[][]): FeatureMatrix {
  const rows = new Float32Array(values.flat());
  return { names, rows, length: values.length, firstValid: 0 };
}

const REAL = (['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] as const).map((symbol) => ({
  symbol,
  matrix: computeFeatures(fixtureCandles('5m', symbol), '5m', shortFeatures()),
}));
const realSlices = () => REAL;

describe('fitNormalisation', () => {
  it('uses median and IQR / 1.349 and is robust to an outlier', () => {
    const vals = Array.from({ length: 401 }, (_, i) => [i - 200]);
    const clean = fitNormalisation([{ symbol: 'X', matrix: matrix(['a'], vals) }]);
    vals[400] = [1e9];
    const dirty = fitNormalisation([{ symbol: 'X', matrix: matrix(['a'], vals) }]);
    expect(clean.pooled.center[0]).toBe(0);
    expect(clean.pooled.scale[0]).toBeCloseTo(200 / 1.3489795, 6);
    expect(dirty.pooled.center[0]).toBe(0);
    expect(dirty.pooled.scale[0]).toBeCloseTo(clean.pooled.scale[0], 1);
  });

  it('fits on the given slice only: rows after `end` do not change the statistics', () => {
    const [btc] = realSlices();
    const end = btc.matrix.firstValid + 200;
    const a = fitNormalisation([{ ...btc, end }], { minRowsPerSymbol: 50 });
    const changed = new Float32Array(btc.matrix.rows);
    changed.fill(1234, end * btc.matrix.names.length);
    const b = fitNormalisation([{ symbol: btc.symbol, matrix: { ...btc.matrix, rows: changed }, end }], {
      minRowsPerSymbol: 50,
    });
    expect(b).toEqual(a);
    expect(a.pooled.count).toBe(200);
  });

  it('keeps per-symbol stats, pools all symbols, and falls back to the pooled stats for an unseen symbol', () => {
    const stats = fitNormalisation(realSlices(), { minRowsPerSymbol: 100 });
    expect(Object.keys(stats.perSymbol).sort()).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(stats.pooled.count).toBe(Object.values(stats.perSymbol).reduce((a, s) => a + s.count, 0));
    expect(normStatsFor(stats, 'DOGEUSDT')).toBe(stats.pooled);
    expect(normStatsFor(stats, 'SOLUSDT')).toBe(stats.perSymbol.SOLUSDT);
    expect(normStatsFor(stats, 'constructor')).toBe(stats.pooled);
    const few = fitNormalisation(realSlices(), { minRowsPerSymbol: 100_000 });
    expect(few.perSymbol).toEqual({});
  });

  it('gives a constant feature scale 1 (no division by zero) and skips NaN rows', () => {
    const s = fitNormalisation([
      {
        symbol: 'X',
        matrix: matrix(
          ['c', 'v'],
          [
            [3, 1],
            [3, NaN],
            [3, 2],
            [3, 4],
          ],
        ),
      },
    ]);
    expect(s.pooled.center[0]).toBe(3);
    expect(s.pooled.scale[0]).toBe(1);
    expect(s.pooled.count).toBe(3);
    expect(() => fitNormalisation([{ symbol: 'X', matrix: matrix(['a'], [[NaN]]) }])).toThrow(
      /no complete feature row/,
    );
  });

  it('refuses slices whose feature lists differ', () => {
    const a = { symbol: 'A', matrix: matrix(['x', 'y'], [[1, 2]]) };
    const b = { symbol: 'B', matrix: matrix(['x', 'z'], [[1, 2]]) };
    expect(() => fitNormalisation([a, b])).toThrow(/feature 1 is "z" but "y" was expected/);
  });
});

describe('applyNormalisation', () => {
  it('z-scores with the symbol’s stats, clips to ±clip and keeps NaN visible', () => {
    const stats = fitNormalisation(realSlices(), { minRowsPerSymbol: 100 });
    const eth = realSlices()[1].matrix;
    const w = eth.names.length;
    const z = applyNormalisation(stats, 'ETHUSDT', eth.rows);
    const { center, scale } = stats.perSymbol.ETHUSDT;
    const i = eth.firstValid + 10;
    for (let j = 0; j < w; j++) {
      const expected = Math.max(-5, Math.min(5, (eth.rows[i * w + j] - center[j]) / scale[j]));
      expect(z[i * w + j]).toBeCloseTo(expected, 5);
    }
    expect(Number.isNaN(z[0])).toBe(true);
    let max = 0;
    for (const v of z) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
    expect(max).toBeLessThanOrEqual(5);
    // In place works too.
    const copy = new Float32Array(eth.rows);
    applyNormalisation(stats, 'ETHUSDT', copy, copy);
    expect(Array.from(copy.subarray(i * w, (i + 1) * w))).toEqual(Array.from(z.subarray(i * w, (i + 1) * w)));
  });

  it('rejects input that is not whole rows', () => {
    const stats = fitNormalisation([
      {
        symbol: 'X',
        matrix: matrix(
          ['a', 'b'],
          [
            [1, 2],
            [3, 4],
          ],
        ),
      },
    ]);
    expect(() => applyNormalisation(stats, 'X', new Float32Array(3))).toThrow(/not whole rows of 2/);
  });
});

describe('NormStats serialisation', () => {
  it('survives a JSON round trip and normalises identically afterwards', () => {
    const stats = fitNormalisation(realSlices(), { minRowsPerSymbol: 100 });
    const back = parseNormStats(JSON.parse(JSON.stringify(stats)), 'models/5m/v1/norm.json');
    expect(back).toEqual(stats);
    const rows = realSlices()[0].matrix.rows;
    expect(
      sameBits(applyNormalisation(back, 'BTCUSDT', rows), applyNormalisation(stats, 'BTCUSDT', rows)),
    ).toBe(true);
  });

  it('rejects damaged statistics naming the file and the field', () => {
    const stats = fitNormalisation([
      {
        symbol: 'X',
        matrix: matrix(
          ['a', 'b'],
          [
            [1, 2],
            [3, 5],
            [4, 9],
          ],
        ),
      },
    ]);
    const json = JSON.parse(JSON.stringify(stats));
    json.pooled.scale = [1];
    expect(() => parseNormStats(json, 'norm.json')).toThrow(
      /norm\.json: .*pooled has 2 centres and 1 scales/,
    );
    const zero = JSON.parse(JSON.stringify(stats));
    zero.pooled.scale[0] = 0;
    expect(() => parseNormStats(zero, 'norm.json')).toThrow(
      /norm\.json: normalisation stats invalid at pooled\.scale\.0/,
    );
    expect(() => parseNormStats({ version: 2 }, 'norm.json')).toThrow(QuantgateError);
  });

  it('assertFeatureNames refuses a model trained on another feature list', () => {
    expect(() => assertFeatureNames(['a', 'b'], ['a', 'b'], 'model 5m/v1')).not.toThrow();
    try {
      assertFeatureNames(['a', 'b'], ['a'], 'model 5m/v1');
      throw new Error('no error');
    } catch (e) {
      expect((e as QuantgateError).code).toBe('MODEL_INVALID');
      expect((e as Error).message).toMatch(/model 5m\/v1: feature 1 is null but "b" was expected/);
    }
  });
});
