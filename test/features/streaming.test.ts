import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeFeatures, createIncrementalFeatures } from '../../src/features/index.ts';
import type { Candle, Timeframe } from '../../src/core/types.ts';
import type { FeaturesConfig } from '../../src/config/index.ts';
import {
  SHARED_DATA,
  defaultFeatures,
  fixtureCandles,
  sameBits,
  fullFeatures,
  sharedCandles,
  shortFeatures,
  shortFullFeatures,
} from './support.ts';

/** Streams candles one by one; null rows become NaN rows, as in the batch matrix. */
function stream(candles: readonly Candle[], tf: Timeframe, cfg: FeaturesConfig): Float32Array {
  const inc = createIncrementalFeatures(tf, cfg);
  const w = inc.names.length;
  const out = new Float32Array(candles.length * w).fill(NaN);
  candles.forEach((c, i) => {
    const row = inc.push(c);
    if (row) out.set(row, i * w);
  });
  return out;
}

describe('streaming == batch', () => {
  for (const [tf, symbol, cfgName, cfg] of [
    ['5m', 'BTCUSDT', 'default', defaultFeatures()],
    ['5m', 'SOLUSDT', 'short', shortFeatures()],
    ['1h', 'ETHUSDT', 'short', shortFeatures()],
    ['1h', 'BTCUSDT', 'default', defaultFeatures()],
    ['5m', 'BTCUSDT', 'full (HAR, range, trend)', fullFeatures()],
    ['1h', 'ETHUSDT', 'full (HAR, range, trend)', fullFeatures()],
    ['5m', 'SOLUSDT', 'short full', shortFullFeatures()],
  ] as const) {
    it(`is bit for bit equal on real ${symbol} ${tf} candles (${cfgName} config)`, () => {
      const candles = fixtureCandles(tf, symbol);
      const batch = computeFeatures(candles, tf, cfg);
      const streamed = stream(candles, tf, cfg);
      expect(batch.firstValid).toBeLessThan(candles.length);
      expect(sameBits(batch.rows, streamed)).toBe(true);
      // The comparison must see real numbers, not only NaN.
      const finite = batch.rows.filter((v) => Number.isFinite(v)).length;
      expect(finite).toBeGreaterThan(batch.names.length * 10);
    });
  }

  it('stays equal across a gap, and both restart the warm-up after it', () => {
    const all = fixtureCandles('5m', 'ETHUSDT');
    const candles = [...all.slice(0, 300), ...all.slice(310)];
    for (const other of [shortFullFeatures(), fullFeatures()])
      expect(sameBits(computeFeatures(candles, '5m', other).rows, stream(candles, '5m', other))).toBe(true);
    const cfg = shortFeatures();
    const batch = computeFeatures(candles, '5m', cfg);
    expect(sameBits(batch.rows, stream(candles, '5m', cfg))).toBe(true);
    const w = batch.names.length;
    const warmup = batch.warmup ?? 0;
    expect(Number.isFinite(batch.rows[299 * w])).toBe(true);
    for (let i = 300; i < 300 + warmup; i++) expect(Number.isNaN(batch.rows[i * w])).toBe(true);
    expect(Number.isFinite(batch.rows[(300 + warmup) * w])).toBe(true);
  });

  it('returns null exactly while warming up (again after each real gap) and then full rows', () => {
    const cfg = shortFeatures();
    const inc = createIncrementalFeatures('1h', cfg);
    const candles = fixtureCandles('1h', 'BTCUSDT');
    const starts = [0];
    for (let i = 1; i < candles.length; i++)
      if (candles[i].timestamp - candles[i - 1].timestamp !== 3_600_000) starts.push(i);
    expect(starts.length).toBeGreaterThan(1); // the fixture has real exchange gaps
    const rows = candles.map((c) => inc.push(c));
    for (const s of starts) {
      expect(rows.slice(s, s + inc.warmup).every((r) => r === null)).toBe(true);
      if (s + inc.warmup < candles.length && starts.every((o) => o <= s || o > s + inc.warmup)) {
        expect(rows[s + inc.warmup]?.length).toBe(inc.names.length);
      }
    }
    expect(inc.segmentLength).toBe(candles.length - (starts.at(-1) ?? 0));
    expect(inc.lastTimestamp).toBe(candles.at(-1)?.timestamp);
  });
});

const shared5m = join(SHARED_DATA, '5m', 'BTCUSDT.csv');
describe.skipIf(!existsSync(shared5m))('streaming == batch on the full shared data', () => {
  it('is bit for bit equal over 65k real 5m candles with 6 gaps', () => {
    const candles = sharedCandles('5m', 'BTCUSDT');
    for (const cfg of [defaultFeatures(), fullFeatures()]) {
      const batch = computeFeatures(candles, '5m', cfg);
      expect(sameBits(batch.rows, stream(candles, '5m', cfg))).toBe(true);
    }
  });
});
