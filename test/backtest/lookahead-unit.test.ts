import { describe, expect, it } from 'vitest';
import { analyseLookahead, analyseRecursive, compareDecisions, cutPoints } from '../../src/backtest/index.ts';
import type { BatchComputation } from '../../src/backtest/index.ts';
import type { Candle } from '../../src/core/index.ts';

function walk(n: number): Candle[] {
  let p = 100;
  let s = 7;
  return Array.from({ length: n }, (_, i) => {
    s = (s * 16807) % 2147483647;
    p *= 1 + (s / 2147483647 - 0.5) * 0.02;
    return { timestamp: i * 300_000, open: p, high: p * 1.01, low: p * 0.99, close: p, volume: 1 };
  });
}

/** Causal: SMA(5) and EMA(10) of the close. */
const causal: BatchComputation = (c) => {
  const rows = new Float64Array(c.length * 2).fill(NaN);
  let ema = NaN;
  for (let i = 0; i < c.length; i++) {
    if (i >= 4) rows[i * 2] = c.slice(i - 4, i + 1).reduce((a, x) => a + x.close, 0) / 5;
    ema = Number.isNaN(ema) ? c[i].close : ema + (2 / 11) * (c[i].close - ema);
    if (i >= 9) rows[i * 2 + 1] = ema;
  }
  return { names: ['sma5', 'ema10'], rows, length: c.length };
};

/** Leaky: the next candle's close (a label used as a feature) and a z-score with whole-series stats. */
const leaky: BatchComputation = (c) => {
  const m = c.reduce((a, x) => a + x.close, 0) / c.length;
  const rows = new Float64Array(c.length * 2).fill(NaN);
  for (let i = 0; i < c.length; i++) {
    if (i + 1 < c.length) rows[i * 2] = c[i + 1].close;
    rows[i * 2 + 1] = c[i].close - m;
  }
  return { names: ['nextClose', 'demeaned'], rows, length: c.length };
};

describe('look-ahead analysis', () => {
  const candles = walk(400);

  it('finds nothing in causal indicators', () => {
    const r = analyseLookahead(candles, causal, { cuts: 10, minLength: 20 });
    expect(r.cuts).toBe(10);
    expect(r.checked).toBeGreaterThan(1000);
    expect(r.findings).toEqual([]);
  });

  it('catches a feature that reads the future and one normalised with whole-series stats', () => {
    const r = analyseLookahead(candles, leaky, { cuts: 5, minLength: 20 });
    expect(r.leakyNames.sort()).toEqual(['demeaned', 'nextClose']);
    const f = r.findings.find((x) => x.name === 'nextClose')!;
    expect(f.kind).toBe('lookahead');
    expect(f.timestamp).toBe(f.cutAt); // the last kept candle is the one whose value changes
  });

  it('recursive: EMA converges within tolerance after warm-up, fails with too short a warm-up', () => {
    expect(analyseRecursive(candles, causal, { warmup: 120, starts: 3, tolerance: 1e-6 }).findings).toEqual(
      [],
    );
    const short = analyseRecursive(candles, causal, { warmup: 10, starts: 3, tolerance: 1e-6 });
    expect(short.leakyNames).toEqual(['ema10']);
  });

  it('cut points are spread and deterministic; decisions compared up to the cut', () => {
    expect(cutPoints(100, 3, 20)).toEqual([39, 59, 79]);
    expect(cutPoints(10, 3, 20)).toEqual([]);
    const a = [
      { timestamp: 1, d: 'long' },
      { timestamp: 5, d: 'short' },
    ];
    const b = [{ timestamp: 1, d: 'long' }];
    expect(compareDecisions(a, b, 5, (x) => x.d)).toEqual([{ timestamp: 5, full: 'short', truncated: null }]);
    expect(compareDecisions(a, b, 4, (x) => x.d)).toEqual([]);
  });
});

describe('look-ahead analysis of the real feature pipeline on fixture candles', () => {
  it('features have no look-ahead and do not depend on history beyond the declared warm-up', async () => {
    const { readFileSync } = await import('node:fs');
    const { computeFeatures, featureWarmup } = await import('../../src/features/index.ts');
    const { featuresSchema } = await import('../../src/config/index.ts');
    const cfg = featuresSchema.parse({});
    const text = readFileSync(new URL('../fixtures/candles/binance/5m/BTCUSDT.csv', import.meta.url), 'utf8');
    const candles: Candle[] = text
      .trim()
      .split('\n')
      .slice(1, 3001)
      .map((l) => {
        const [t, o, h, lo, c, v] = l.split(',').map(Number);
        return { timestamp: t, open: o, high: h, low: lo, close: c, volume: v };
      });
    const w = featureWarmup('5m', cfg);
    const compute: BatchComputation = (c) => computeFeatures(c, '5m', cfg);
    const la = analyseLookahead(candles, compute, { cuts: 8, minLength: w + 1, tolerance: 0 });
    expect(la.checked).toBeGreaterThan(100_000);
    expect(la.findings).toEqual([]);
    const rec = analyseRecursive(candles, compute, { warmup: w, starts: 3, tolerance: 1e-6 });
    expect(rec.checked).toBeGreaterThan(10_000);
    expect(rec.findings).toEqual([]);
  });
});
