import { describe, expect, it } from 'vitest';
import { computeFeatures, featureNames, featureSpec } from '../../src/features/index.ts';
import { harWindowsFor } from '../../src/features/spec.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import { featuresSchema } from '../../src/config/index.ts';
import type { Candle } from '../../src/core/types.ts';
import { fixtureCandles, fullFeatures, shortFullFeatures } from './support.ts';

function col(m: { names: readonly string[]; rows: Float32Array; length: number }, name: string): number[] {
  const j = m.names.indexOf(name);
  if (j < 0) throw new Error(`no feature ${name} in [${m.names.join(', ')}]`);
  return Array.from({ length: m.length }, (_, i) => m.rows[i * m.names.length + j]);
}

describe('HAR, range and trend feature groups', () => {
  it('are off by default and add named columns per timeframe when on (HAR spans in candles of each timeframe)', () => {
    const cfg = fullFeatures();
    expect(
      featureNames('5m', featuresSchema.parse({})).some((n) => /^(har|park|gk|mom|donchian)_/.test(n)),
    ).toBe(false);
    expect(featureNames('5m', cfg)).toEqual(
      expect.arrayContaining(['har_lrv_12', 'har_lrv_288', 'har_lrv_2016', 'park_lvol_24', 'gk_lvol_24']),
    );
    expect(featureNames('1h', cfg)).toEqual(
      expect.arrayContaining(['har_lrv_1', 'har_lrv_24', 'har_lrv_168']),
    );
    // 1 h rounds to one 1d candle, as does 24 h: emitted once.
    expect(featureNames('1d', cfg).filter((n) => n.startsWith('har_'))).toEqual(['har_lrv_1', 'har_lrv_7']);
    expect(featureNames('1d', cfg).slice(-4)).toEqual(['mom_5', 'mom_10', 'mom_20', 'donchian_pos_20']);
    expect(harWindowsFor([1, 24, 168], 12 * 3_600_000)).toEqual([1, 2, 14]);
    expect(featureSpec('5m', cfg).warmup).toBe(2016);
  });

  it('are configurable per timeframe through features.overrides', () => {
    const cfg = featuresSchema.parse({
      har: { enabled: true },
      overrides: {
        '1d': { trend: { enabled: true, lookbacks: [7, 30] } },
        '5m': { har: { enabled: false } },
      },
    });
    expect(featureNames('1d', cfg)).toEqual(expect.arrayContaining(['mom_7', 'mom_30', 'donchian_pos_20']));
    expect(featureNames('1h', cfg).some((n) => n.startsWith('mom_'))).toBe(false);
    expect(featureNames('1h', cfg)).toContain('har_lrv_24');
    expect(featureNames('5m', cfg).some((n) => n.startsWith('har_'))).toBe(false);
  });

  it('reject repeated momentum lookbacks naming the key', () => {
    try {
      featureSpec('1d', featuresSchema.parse({ trend: { enabled: true, lookbacks: [5, 5] } }));
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(QuantgateError);
      expect((e as Error).message).toMatch(/features\.trend\.lookbacks/);
    }
  });

  it('compute the documented formulas on real candles', () => {
    const candles = fixtureCandles('1h', 'BTCUSDT').slice(0, 1500);
    const cfg = shortFullFeatures(); // HAR [1, 4, 24] h, range 12, momentum [3, 9], Donchian 15
    const m = computeFeatures(candles, '1h', cfg);
    const close = candles.map((c) => c.close);
    const lr = (i: number): number => Math.log(close[i] / close[i - 1]);
    let checked = 0;
    for (let i = m.firstValid; i < m.length; i += 97) {
      if (!Number.isFinite(m.rows[i * m.names.length])) continue; // warm-up after a gap
      checked++;
      for (const n of [1, 4, 24]) {
        let ss = 0;
        for (let j = i - n + 1; j <= i; j++) ss += lr(j) ** 2;
        expect(col(m, `har_lrv_${n}`)[i]).toBeCloseTo(Math.log(Math.max(1e-6, Math.sqrt(ss / n))), 5);
      }
      let park = 0;
      let gk = 0;
      for (let j = i - 11; j <= i; j++) {
        const hl = Math.log(candles[j].high / candles[j].low);
        const co = Math.log(candles[j].close / candles[j].open);
        park += (hl * hl) / (4 * Math.LN2);
        gk += 0.5 * hl * hl - (2 * Math.LN2 - 1) * co * co;
      }
      expect(col(m, 'park_lvol_12')[i]).toBeCloseTo(0.5 * Math.log(park / 12), 5);
      expect(col(m, 'gk_lvol_12')[i]).toBeCloseTo(0.5 * Math.log(gk / 12), 5);
      expect(col(m, 'mom_9')[i]).toBeCloseTo(Math.log(close[i] / close[i - 9]), 6);
      const win = candles.slice(i - 14, i + 1);
      const hi = Math.max(...win.map((c) => c.high));
      const lo = Math.min(...win.map((c) => c.low));
      expect(col(m, 'donchian_pos_15')[i]).toBeCloseTo((close[i] - lo) / (hi - lo), 6);
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('Parkinson recovers a known volatility: candles whose ln(H/L) is constant give σ = ln(H/L)/√(4 ln 2)', () => {
    const hl = 0.01;
    const candles: Candle[] = Array.from({ length: 200 }, (_, i) => {
      const mid = 100 * Math.exp(0.001 * Math.sin(i));
      return {
        timestamp: i * 3_600_000,
        open: mid,
        high: mid * Math.exp(hl / 2),
        low: mid * Math.exp(-hl / 2),
        close: mid,
        volume: 1,
      };
    });
    const m = computeFeatures(candles, '1h', shortFullFeatures());
    const want = Math.log(hl / Math.sqrt(4 * Math.LN2));
    expect(col(m, 'park_lvol_12')[199]).toBeCloseTo(want, 5);
    // open = close: Garman–Klass reduces to √0.5 · ln(H/L).
    expect(col(m, 'gk_lvol_12')[199]).toBeCloseTo(Math.log(Math.sqrt(0.5) * hl), 5);
    // Flat windows stay finite (the log is floored) and a flat channel sits in the middle.
    const flat = candles.map((c) => ({ ...c, open: 100, high: 100, low: 100, close: 100 }));
    const f = computeFeatures(flat, '1h', shortFullFeatures());
    expect(col(f, 'har_lrv_24')[199]).toBeCloseTo(Math.log(1e-6), 5);
    expect(col(f, 'donchian_pos_15')[199]).toBe(0.5);
  });
});
