import { ATR, BollingerBands, MACD, RSI } from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import {
  computeFeatures,
  createIncrementalFeatures,
  featureNames,
  featureSpec,
  gapBefore,
} from '../../src/features/index.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import { featuresSchema } from '../../src/config/index.ts';
import type { Candle } from '../../src/core/types.ts';
import { defaultFeatures, fixtureCandles, shortFeatures, shortFullFeatures } from './support.ts';

function col(m: { names: readonly string[]; rows: Float32Array; length: number }, name: string): number[] {
  const j = m.names.indexOf(name);
  if (j < 0) throw new Error(`no feature ${name}`);
  return Array.from({ length: m.length }, (_, i) => m.rows[i * m.names.length + j]);
}

function expectCode(f: () => unknown, code: string, text: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(QuantgateError);
    expect((e as QuantgateError).code).toBe(code);
    expect((e as Error).message).toMatch(text);
    return;
  }
  throw new Error('expected a QuantgateError');
}

describe('feature names', () => {
  it('are stable strings that encode the parameters', () => {
    expect(featureNames('5m', defaultFeatures())).toEqual([
      'ret_1', 'ret_3', 'ret_6', 'ret_12', 'ret_24', 'rvol_24', 'rsi_14',
      'macd_12_26_9', 'macd_signal_12_26_9', 'macd_hist_12_26_9', 'bb_pos_20_2', 'bb_width_20_2',
      'atr_14', 'vol_z_48', 'range_hl', 'close_pos', 'tod_sin', 'tod_cos', 'dow_sin', 'dow_cos',
    ]); // prettier-ignore
  });

  it('drop time of day on 1d candles (constant there) and all time terms when disabled', () => {
    const names = featureNames('1d', defaultFeatures());
    expect(names).not.toContain('tod_sin');
    expect(names).toContain('dow_sin');
    const off = featuresSchema.parse({ timeFeatures: false });
    expect(featureNames('5m', off).some((n) => /^(tod|dow)_/.test(n))).toBe(false);
  });

  it('change when a parameter changes, so a model trained on other settings is refused', () => {
    const other = featuresSchema.parse({ rsiPeriod: 21 });
    expect(featureNames('1h', other)).toContain('rsi_21');
    expect(featureNames('1h', other)).not.toEqual(featureNames('1h', defaultFeatures()));
  });

  it('apply per-timeframe overrides only to their timeframe', () => {
    const cfg = featuresSchema.parse({
      overrides: { '1d': { rsiPeriod: 7, macd: { fast: 6, slow: 13, signal: 5 } } },
    });
    expect(featureNames('1d', cfg)).toContain('rsi_7');
    expect(featureNames('1d', cfg)).toContain('macd_6_13_5');
    expect(featureNames('5m', cfg)).toContain('rsi_14');
    expect(featureSpec('1d', cfg).warmup).toBeLessThan(featureSpec('5m', cfg).warmup);
    expect(() => featuresSchema.parse({ overrides: { '1d': { rsiPeriodx: 7 } } })).toThrow(/rsiPeriodx/);
  });

  it('reject inconsistent settings naming the key', () => {
    expectCode(
      () => featureSpec('5m', featuresSchema.parse({ returnLags: [1, 1] })),
      'CONFIG_INVALID',
      /features\.returnLags/,
    );
    expectCode(
      () => featureSpec('5m', featuresSchema.parse({ macd: { fast: 26, slow: 12, signal: 9 } })),
      'CONFIG_INVALID',
      /features\.macd.*fast < slow/,
    );
  });
});

describe('indicator values match technicalindicators', () => {
  const candles = fixtureCandles('5m', 'BTCUSDT').slice(0, 3000);
  const cfg = defaultFeatures();
  const m = computeFeatures(candles, '5m', cfg);
  const close = candles.map((c) => c.close);
  const high = candles.map((c) => c.high);
  const low = candles.map((c) => c.low);
  const valid = Array.from({ length: candles.length }, (_, i) => i).filter((i) => i >= m.firstValid);

  it('uses a contiguous fixture with enough valid rows', () => {
    for (let i = 1; i < candles.length; i++)
      expect(candles[i].timestamp - candles[i - 1].timestamp).toBe(300_000);
    expect(valid.length).toBeGreaterThan(100);
  });

  it('RSI / 100 (technicalindicators rounds RSI to 2 decimals)', () => {
    const ref = RSI.calculate({ period: 14, values: close });
    const ours = col(m, 'rsi_14');
    for (const i of valid) expect(Math.abs(ours[i] - ref[i - 14] / 100)).toBeLessThan(5.1e-5);
  });

  it('MACD, signal and histogram (EMA oscillator and signal) divided by close', () => {
    const ref = MACD.calculate({
      values: close,
      fastPeriod: 12,
      slowPeriod: 26,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    });
    const [mc, sg, hs] = ['macd_12_26_9', 'macd_signal_12_26_9', 'macd_hist_12_26_9'].map((n) => col(m, n));
    for (const i of valid) {
      const r = ref[i - 25];
      expect(mc[i]).toBeCloseTo((r.MACD ?? NaN) / close[i], 8);
      expect(sg[i]).toBeCloseTo((r.signal ?? NaN) / close[i], 8);
      expect(hs[i]).toBeCloseTo((r.histogram ?? NaN) / close[i], 8);
    }
  });

  it('Bollinger %B and width', () => {
    const ref = BollingerBands.calculate({ period: 20, stdDev: 2, values: close });
    const [pos, width] = ['bb_pos_20_2', 'bb_width_20_2'].map((n) => col(m, n));
    for (const i of valid) {
      const r = ref[i - 19];
      expect(pos[i]).toBeCloseTo(r.pb, 5);
      expect(width[i]).toBeCloseTo((r.upper - r.lower) / r.middle, 8);
    }
  });

  it('ATR divided by close', () => {
    const ref = ATR.calculate({ period: 14, high, low, close });
    const atr = col(m, 'atr_14');
    for (const i of valid) expect(atr[i]).toBeCloseTo(ref[i - 14] / close[i], 9);
  });

  it('log returns and realised volatility from closes', () => {
    const r3 = col(m, 'ret_3');
    const vol = col(m, 'rvol_24');
    const i = valid[10];
    expect(r3[i]).toBeCloseTo(Math.log(close[i] / close[i - 3]), 7);
    let ss = 0;
    for (let j = i - 23; j <= i; j++) ss += Math.log(close[j] / close[j - 1]) ** 2;
    expect(vol[i]).toBeCloseTo(Math.sqrt(ss / 24), 7);
  });
});

describe('scale-free', () => {
  it('features do not change when prices are quoted ×1000 and volume counted ×7', () => {
    const candles = fixtureCandles('5m', 'SOLUSDT').slice(0, 3000);
    const scaled: Candle[] = candles.map((c) => ({
      timestamp: c.timestamp,
      open: c.open * 1000,
      high: c.high * 1000,
      low: c.low * 1000,
      close: c.close * 1000,
      volume: c.volume * 7,
    }));
    for (const cfg of [shortFeatures(), shortFullFeatures()]) {
      const a = computeFeatures(candles, '5m', cfg);
      const b = computeFeatures(scaled, '5m', cfg);
      let worst = 0;
      for (let i = 0; i < a.rows.length; i++) {
        if (Number.isNaN(a.rows[i])) expect(Number.isNaN(b.rows[i])).toBe(true);
        else worst = Math.max(worst, Math.abs(a.rows[i] - b.rows[i]) / Math.max(1e-3, Math.abs(a.rows[i])));
      }
      expect(worst).toBeLessThan(1e-4);
    }
  });
});

describe('time features', () => {
  it('encode time of day and day of week of the open time (Monday 00:00 UTC = angle 0)', () => {
    const cfg = shortFeatures();
    const monday = Date.UTC(2021, 0, 4, 0, 0); // a Monday
    const start = monday - 200 * 300_000;
    const candles: Candle[] = Array.from({ length: 260 }, (_, i) => {
      const p = 100 + Math.sin(i / 5);
      return {
        timestamp: start + i * 300_000,
        open: p,
        high: p + 0.5,
        low: p - 0.5,
        close: p + 0.1,
        volume: 10 + (i % 7),
      };
    });
    const m = computeFeatures(candles, '5m', cfg);
    const at = (name: string, i: number) => m.rows[i * m.names.length + m.names.indexOf(name)];
    expect(at('tod_sin', 200)).toBeCloseTo(0, 6);
    expect(at('tod_cos', 200)).toBeCloseTo(1, 6);
    expect(at('dow_sin', 200)).toBeCloseTo(0, 6);
    expect(at('dow_cos', 200)).toBeCloseTo(1, 6);
    expect(at('tod_sin', 218)).toBeCloseTo(Math.sin((2 * Math.PI * 90) / 1440), 6); // 01:30
    expect(at('dow_sin', 199)).toBeCloseTo(Math.sin((2 * Math.PI * 6) / 7), 6); // Sunday 23:55
  });
});

describe('gaps and bad candles', () => {
  const base = fixtureCandles('5m', 'ETHUSDT');

  it('a gap restarts the warm-up: the segment after it equals the segment computed alone', () => {
    const cfg = shortFeatures();
    const candles = [...base.slice(0, 200), ...base.slice(203)];
    const m = computeFeatures(candles, '5m', cfg);
    const alone = computeFeatures(candles.slice(200), '5m', cfg);
    const w = m.names.length;
    expect(Array.from(m.rows.subarray(200 * w))).toEqual(Array.from(alone.rows));
    expect(m.rows.subarray(200 * w, (200 + (m.warmup ?? 0)) * w).every((v) => Number.isNaN(v))).toBe(true);
  });

  it('gapBefore marks exactly the candles after which the feature rows restart their warm-up (real 1h gaps)', () => {
    const candles = fixtureCandles('1h', 'SOLUSDT');
    const gaps = gapBefore(
      candles.map((c) => c.timestamp),
      '1h',
    );
    const m = computeFeatures(candles, '1h', shortFeatures());
    const w = m.names.length;
    const warmup = m.warmup ?? 0;
    const at = [...gaps.keys()].filter((i) => gaps[i] === 1);
    expect(at.length).toBe(4);
    for (const i of at) {
      expect(Number.isNaN(m.rows[(i + warmup - 1) * w])).toBe(true);
      expect(Number.isFinite(m.rows[(i + warmup) * w])).toBe(true);
      expect(Number.isFinite(m.rows[(i - 1) * w])).toBe(true);
    }
  });

  it('a candle overlapping the previous one (duplicate or out of order) is an error naming its time', () => {
    const dup = [...base.slice(0, 10), base[9], ...base.slice(10, 20)];
    expectCode(() => computeFeatures(dup, '5m', shortFeatures()), 'DATA_INVALID', /follows .* by 0 ms/);
    const inc = createIncrementalFeatures('5m', shortFeatures());
    inc.push(base[5]);
    expectCode(
      () => inc.push(base[4]),
      'DATA_INVALID',
      new RegExp(new Date(base[4].timestamp).toISOString()),
    );
  });

  it('non-positive or non-finite prices and negative volume are errors naming the field', () => {
    const bad = (patch: Partial<Candle>) => [...base.slice(0, 5), { ...base[5], ...patch }];
    expectCode(() => computeFeatures(bad({ close: 0 }), '5m', shortFeatures()), 'DATA_INVALID', /close is 0/);
    expectCode(() => computeFeatures(bad({ low: NaN }), '5m', shortFeatures()), 'DATA_INVALID', /low is NaN/);
    expectCode(
      () => computeFeatures(bad({ volume: -1 }), '5m', shortFeatures()),
      'DATA_INVALID',
      /volume is -1/,
    );
    expectCode(
      () => computeFeatures(bad({ high: 1 }), '5m', shortFeatures()),
      'DATA_INVALID',
      /high is 1 \(expected >= low/,
    );
  });

  it('flat zero-volume maintenance candles give finite features', () => {
    const cfg = shortFeatures();
    const c = base[150];
    const flat = Array.from({ length: 30 }, (_, k) => ({
      timestamp: c.timestamp + k * 300_000,
      open: c.close,
      high: c.close,
      low: c.close,
      close: c.close,
      volume: 0,
    }));
    const after = base.slice(151).map((x, k) => ({ ...x, timestamp: c.timestamp + (30 + k) * 300_000 }));
    const candles = [...base.slice(0, 150), ...flat, ...after];
    const m = computeFeatures(candles, '5m', cfg);
    const tail = m.rows.subarray(m.firstValid * m.names.length);
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.every((v) => Number.isFinite(v))).toBe(true);
  });
});
