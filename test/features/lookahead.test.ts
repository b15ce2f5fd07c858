import { describe, expect, it } from 'vitest';
import { computeFeatures, makeLabels } from '../../src/features/index.ts';
import type { Candle } from '../../src/core/types.ts';
import type { FeaturesConfig } from '../../src/config/index.ts';
import {
  defaultFeatures,
  fixtureCandles,
  fullFeatures,
  rng,
  sameBits,
  shortFeatures,
  shortFullFeatures,
} from './support.ts';

describe('no look-ahead in features', () => {
  it('rows 0..t computed on data[0..t] equal those of the full series, for random cut points t', () => {
    const candles = fixtureCandles('1h', 'BTCUSDT'); // with real gaps
    for (const cfg of [defaultFeatures(), shortFeatures(), fullFeatures(), shortFullFeatures()]) {
      const full = computeFeatures(candles, '1h', cfg);
      const w = full.names.length;
      const rand = rng(7);
      const cuts = Array.from({ length: 12 }, () => Math.floor(rand() * candles.length));
      cuts.push(full.firstValid, candles.length - 1);
      for (const t of cuts) {
        const cut = computeFeatures(candles.slice(0, t + 1), '1h', cfg);
        expect(sameBits(cut.rows, full.rows.subarray(0, (t + 1) * w)), `cut at ${t}`).toBe(true);
      }
    }
  });

  it('detects a leak: a deliberately future-reading copy of the series differs (the check can fail)', () => {
    const candles = fixtureCandles('5m', 'BTCUSDT').slice(0, 1000);
    for (const cfg of [shortFeatures(), shortFullFeatures()]) expectLeakSeen(candles, cfg);
  });

  function expectLeakSeen(candles: readonly Candle[], cfg: FeaturesConfig): void {
    const full = computeFeatures(candles, '5m', cfg);
    // Shifting closes one candle back is what a centred or future-peeking indicator effectively does.
    const leaked: Candle[] = candles.map((c, i) => ({
      ...c,
      close: candles[Math.min(i + 1, candles.length - 1)].close,
    }));
    const t = 400;
    const cut = computeFeatures(leaked.slice(0, t + 1), '5m', cfg);
    const fullLeaked = computeFeatures(leaked, '5m', cfg);
    // The leaked series' last row depends on candle t+1, which the cut does not have.
    const w = full.names.length;
    expect(sameBits(cut.rows.subarray(t * w), fullLeaked.rows.subarray(t * w, (t + 1) * w))).toBe(true);
    expect(
      sameBits(fullLeaked.rows.subarray(t * w, (t + 1) * w), full.rows.subarray(t * w, (t + 1) * w)),
    ).toBe(false);
  }

  it('labels never enter features: changing candles after t changes labels at t but no feature at or before t', () => {
    const candles = fixtureCandles('5m', 'ETHUSDT').slice(0, 1000);
    const cfg = defaultFeatures();
    const horizon = 12;
    const t = 400;
    const changed: Candle[] = candles.map((c, i) =>
      i > t
        ? {
            ...c,
            open: c.open * 1.2,
            high: c.high * 1.25,
            low: c.low * 1.15,
            close: c.close * 1.2,
            volume: c.volume * 3,
          }
        : c,
    );
    const before = makeLabels(candles, horizon, 1.5, 24, '5m');
    const after = makeLabels(changed, horizon, 1.5, 24, '5m');
    expect(after.forwardReturn[t]).not.toBe(before.forwardReturn[t]);
    expect(after.forwardReturn[t]).toBeCloseTo(before.forwardReturn[t] + Math.log(1.2), 9);
    expect(after.threshold[t]).toBe(before.threshold[t]); // volatility uses data up to t only
    const a = computeFeatures(candles, '5m', cfg);
    const b = computeFeatures(changed, '5m', cfg);
    const w = a.names.length;
    expect(sameBits(a.rows.subarray(0, (t + 1) * w), b.rows.subarray(0, (t + 1) * w))).toBe(true);
    expect(
      sameBits(a.rows.subarray((t + 1) * w, (t + 2) * w), b.rows.subarray((t + 1) * w, (t + 2) * w)),
    ).toBe(false);
  });

  for (const [tf, n, t, cfgName, cfg] of [
    ['5m', 1000, 400, 'short full', shortFullFeatures()],
    ['1h', 2000, 1500, 'full', fullFeatures()],
  ] as const) {
    it(`no feature of any group (HAR, range, trend; ${cfgName}) at or before t sees a change of candles after t (${tf})`, () => {
      const candles = fixtureCandles(tf, 'ETHUSDT').slice(0, n);
      const changed: Candle[] = candles.map((c, i) =>
        i > t ? { ...c, open: c.open * 1.1, high: c.high * 1.3, low: c.low * 0.9, close: c.close * 1.2 } : c,
      );
      const a = computeFeatures(candles, tf, cfg);
      const b = computeFeatures(changed, tf, cfg);
      const w = a.names.length;
      expect(a.names.some((name) => name.startsWith('har_lrv_'))).toBe(true);
      expect(Number.isFinite(a.rows[t * w + w - 1])).toBe(true); // t is past the warm-up
      expect(sameBits(a.rows.subarray(0, (t + 1) * w), b.rows.subarray(0, (t + 1) * w))).toBe(true);
      // Every optional column changes at t + 1, so each one is really looked at.
      const first = a.names.findIndex((name) => name.startsWith('har_lrv_'));
      for (let j = first; j < w; j++)
        expect(Object.is(a.rows[(t + 1) * w + j], b.rows[(t + 1) * w + j]), a.names[j]).toBe(false);
    });
  }
});
