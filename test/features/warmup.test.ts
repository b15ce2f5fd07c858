import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeFeatures, featureSpec } from '../../src/features/index.ts';
import { FeatureKernel } from '../../src/features/kernel.ts';
import type { Candle, Timeframe } from '../../src/core/types.ts';
import type { FeaturesConfig } from '../../src/config/index.ts';
import type { FeatureSpec } from '../../src/features/index.ts';
import {
  SHARED_DATA,
  defaultFeatures,
  fixtureCandles,
  rng,
  fullFeatures,
  sharedCandles,
  shortFeatures,
} from './support.ts';

/** Features whose value depends on the whole segment (EMA-type state), not just a finite window. */
const RECURSIVE = /^(rsi|macd|atr)_/;
const TOLERANCE = 1e-6;

/** Per-feature standard deviation over the valid rows: the unit the normalised model input uses. */
function featureStd(rows: Float32Array, w: number): number[] {
  return Array.from({ length: w }, (_, j) => {
    let n = 0;
    let s = 0;
    let ss = 0;
    for (let i = j; i < rows.length; i += w) {
      const v = rows[i];
      if (!Number.isFinite(v)) continue;
      n++;
      s += v;
      ss += v * v;
    }
    return Math.sqrt(Math.max(ss / n - (s / n) ** 2, 0));
  });
}

/** Float64 rows (before the float32 rounding of FeatureMatrix) of the whole series. */
function rows64(candles: readonly Candle[], spec: FeatureSpec): Float64Array {
  const kernel = new FeatureKernel(spec);
  const out = new Float64Array(candles.length * kernel.width);
  candles.forEach((c, i) => kernel.step(c, out, i * kernel.width));
  return out;
}

/** The float64 row at index t computed from only `history` candles before it (with the kernel of `spec`). */
function rowWithHistory(
  candles: readonly Candle[],
  t: number,
  history: number,
  spec: FeatureSpec,
): Float64Array {
  const kernel = new FeatureKernel(spec);
  const row = new Float64Array(kernel.width);
  for (let i = t - history; i <= t; i++) kernel.step(candles[i], row, 0);
  return row;
}

interface WarmupCheck {
  worstRecursive: number;
  exactMismatches: number;
  rows: number;
}

function checkWarmup(
  candles: readonly Candle[],
  tf: Timeframe,
  cfg: FeaturesConfig,
  points: number,
  history?: number,
): WarmupCheck {
  const spec = featureSpec(tf, cfg);
  const h = history ?? spec.warmup;
  const full = computeFeatures(candles, tf, cfg);
  const w = full.names.length;
  const std = featureStd(full.rows, w);
  const full64 = rows64(candles, spec);
  const rand = rng(11);
  const out: WarmupCheck = { worstRecursive: 0, exactMismatches: 0, rows: 0 };
  const lowSpec = { ...spec, warmup: Math.min(spec.warmup, h) };
  for (let p = 0; p < points; p++) {
    const t = 2 * spec.warmup + Math.floor(rand() * (candles.length - 2 * spec.warmup));
    const ref = full64.subarray(t * w, (t + 1) * w);
    if (!Number.isFinite(ref[0])) continue; // inside a warm-up after a gap
    const row = rowWithHistory(candles, t, h, lowSpec);
    out.rows++;
    full.names.forEach((name, j) => {
      if (RECURSIVE.test(name))
        out.worstRecursive = Math.max(out.worstRecursive, Math.abs(row[j] - ref[j]) / std[j]);
      else if (!Object.is(row[j], ref[j])) out.exactMismatches++;
    });
  }
  return out;
}

describe('warm-up (recursion) check', () => {
  it('declares the warm-up: finite windows and EMA decay to 1e-7 of the seed influence', () => {
    const spec = featureSpec('5m', defaultFeatures());
    // RSI(14) and ATR(14) decay by 13/14 per candle: 218 steps to 1e-7, after a seed of up to 33 (MACD 26 + 9 − 2).
    expect(spec.warmup).toBe(251);
    expect(featureSpec('5m', shortFeatures()).warmup).toBe(120);
  });

  for (const [tf, symbol] of [
    ['5m', 'BTCUSDT'],
    ['5m', 'SOLUSDT'],
  ] as const) {
    it(`${symbol} ${tf}: with only \`warmup\` candles of history, windowed features are exact and EMA-type ones within ${TOLERANCE} std`, () => {
      const candles = fixtureCandles(tf, symbol);
      const r = checkWarmup(candles, tf, defaultFeatures(), 40);
      expect(r.rows).toBeGreaterThan(20);
      expect(r.exactMismatches).toBe(0);
      expect(r.worstRecursive).toBeLessThan(TOLERANCE);
    });
  }

  it('with HAR, range and trend on (1-week HAR span = 2016 candles), the declared warm-up still suffices', () => {
    const candles = fixtureCandles('5m', 'ETHUSDT');
    const r = checkWarmup(candles, '5m', fullFeatures(), 20);
    expect(r.rows).toBeGreaterThan(10);
    expect(r.exactMismatches).toBe(0);
    expect(r.worstRecursive).toBeLessThan(TOLERANCE);
    // ... and one candle less is not enough for the longest HAR span: the check can fail.
    expect(checkWarmup(candles, '5m', fullFeatures(), 20, 2015).exactMismatches).toBeGreaterThan(0);
  });

  it('the check can fail: 100 candles of history (enough for every finite window, not for the EMA decay) are off by more than the tolerance', () => {
    const candles = fixtureCandles('5m', 'BTCUSDT');
    const r = checkWarmup(candles, '5m', defaultFeatures(), 40, 100);
    expect(r.exactMismatches).toBe(0); // finite windows (longest: volume z-score, 94) are still exact
    expect(r.worstRecursive).toBeGreaterThan(TOLERANCE);
  });
});

const shared = join(SHARED_DATA, '5m', 'BTCUSDT.csv');
describe.skipIf(!existsSync(shared))('warm-up check on the full shared data', () => {
  for (const [tf, symbol] of [
    ['5m', 'BTCUSDT'],
    ['1h', 'ETHUSDT'],
    ['1d', 'ETHUSDT'],
  ] as const) {
    it(`${symbol} ${tf}: 100 random rows within ${TOLERANCE} std`, () => {
      const r = checkWarmup(sharedCandles(tf, symbol), tf, defaultFeatures(), 100);
      expect(r.exactMismatches).toBe(0);
      expect(r.worstRecursive).toBeLessThan(TOLERANCE);
      console.info(
        `warm-up ${symbol} ${tf}: worst EMA-type difference ${r.worstRecursive.toExponential(2)} std over ${r.rows} rows`,
      );
    });
  }
});
