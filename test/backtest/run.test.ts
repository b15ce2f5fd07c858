import { describe, expect, it } from 'vitest';
import { runBacktest, seriesFingerprint } from '../../src/backtest/index.ts';
import type { BacktestRequest, WindowProgress } from '../../src/backtest/index.ts';
import { isQuantgateError } from '../../src/core/index.ts';
import { randomWalk, toyDeps } from './support/toy.ts';
import type { ToyTarget } from './support/toy.ts';

const M5 = 300_000;
const D = 86_400_000;
const t0 = Date.UTC(2021, 0, 1);

function req(over: Partial<BacktestRequest> = {}): BacktestRequest {
  return {
    exchange: 'binance',
    symbols: ['BTC/USDT'],
    timeframes: ['5m'],
    executionTimeframe: '5m',
    from: t0 + D,
    to: t0 + 4 * D,
    walkForward: false,
    walkForwardDays: 1,
    warmupCandles: 50,
    horizons: { '5m': 3, '1h': 6, '12h': 2, '1d': 1 },
    startingBalance: 1000,
    fee: 0.001,
    slippage: 0,
    riskFreeRate: 0,
    ...over,
  };
}

describe('runBacktest (orchestration on a toy target)', () => {
  const store = { 'BTC/USDT': { '5m': randomWalk(t0, M5, 288 * 5, 3, [600, 601, 602]) } };

  it('replays the range once, precomputes forecasts and gets the same decisions as unbatched inference', async () => {
    const targets: ToyTarget[] = [];
    const r = await runBacktest(req({ skipBaseline: true }), toyDeps(store, targets));
    expect(r.candles).toBe(288 * 3 - 3); // warm-up events are not counted; 3 candles missing
    expect(r.curve[0].t).toBeGreaterThan(req().from);
    expect(r.curve[r.curve.length - 1].t).toBeLessThanOrEqual(req().to);
    expect(r.trades.length).toBeGreaterThan(5);
    expect(r.metrics.trades).toBe(r.trades.length);
    expect(r.metrics.fees).toBeGreaterThan(0);
    expect(r.gaps).toEqual([
      { symbol: 'BTC/USDT', timeframe: '5m', after: t0 + 599 * M5, before: t0 + 603 * M5, missing: 3 },
    ]);
    expect(r.warnings.join('\n')).toMatch(/3 missing candles in 1 gap/);
    expect(r.warnings.join('\n')).not.toMatch(/not in the precomputed cache/);
    expect(r.calibration[0].samples).toBeGreaterThan(500);
    // What the run read: every stored candle before `to` (history before `from` included), by value.
    const read = store['BTC/USDT']['5m'].filter((c) => c.timestamp < req().to);
    expect(read.length).toBe(288 * 4 - 3);
    expect(r.data).toEqual([seriesFingerprint('BTC/USDT', '5m', read)]);
    expect(Object.keys(r.modelVersions)).toEqual(['5m']);

    // Same run with every forecast computed candle by candle (the cache holds nothing that matches).
    const direct: ToyTarget[] = [];
    const zeros = (n: number) => ({ names: ['ret1'], rows: new Float32Array(n), length: n, firstValid: 0 });
    const plain = await runBacktest(req({ skipBaseline: true }), {
      ...toyDeps(store, direct),
      computeFeatures: (c) => zeros(c.length),
    });
    expect(plain.warnings.join('\n')).toMatch(/861 forecasts were not in the precomputed cache/);
    expect(direct[0].decisions).toEqual(targets[0].decisions);
    expect(plain.curve).toEqual(r.curve);

    // A model whose features the pipeline does not produce is a clear error, not a silent fallback.
    const bad = await runBacktest(req({ skipBaseline: true }), {
      ...toyDeps(store),
      computeFeatures: (c) => ({ ...zeros(c.length), names: ['other'] }),
    }).catch((e: unknown) => e);
    expect(isQuantgateError(bad) && bad.message).toMatch(/needs feature "ret1"/);
    expect(targets[0].decisions.length).toBeGreaterThan(10);
  });

  it('walk-forward: one window per day, each trained strictly before its test range', async () => {
    const seen: number[] = [];
    const progress: WindowProgress[] = [];
    const deps = toyDeps(store);
    const replayedAtTraining: number[] = [];
    let replayed = 0;
    const wf = req({
      walkForward: true,
      skipBaseline: true,
      onWindow: (w) => progress.push(w),
      onProgress: (phase, done) => {
        if (phase === 'replay') replayed = done;
      },
    });
    const r = await runBacktest(wf, {
      ...deps,
      trainModels: async (data, slot) => {
        replayedAtTraining.push(replayed);
        const last = data['BTC/USDT']['5m']!.filter((c) => c.timestamp + M5 <= slot.trainTo).length;
        seen.push(last);
        return deps.trainModels!(data, slot);
      },
    });
    expect(r.windows.map((w) => [w.testFrom, w.testTo])).toEqual([
      [t0 + D, t0 + 2 * D],
      [t0 + 2 * D, t0 + 3 * D],
      [t0 + 3 * D, t0 + 4 * D],
    ]);
    for (const w of r.windows) expect(w.trainTo).toBe(w.testFrom);
    expect(r.windows.map((w) => w.modelVersions['5m'])).toEqual([
      'wf-2021-01-02',
      'wf-2021-01-03',
      'wf-2021-01-04',
    ]);
    expect(seen).toEqual([288, 288 * 2, 288 * 3 - 3]); // the gap (candles 600–602) is in day 3
    // Each window is reported as it finishes, with the running totals a stopped run would keep.
    expect(progress.map((p) => [p.index, p.of])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(progress.map((p) => p.window)).toEqual(r.windows);
    expect(progress[2].equity).toBe(r.curve[r.curve.length - 1].equity);
    // Each window counts its own week's gate decisions; together they are the run's counters.
    const summed: Record<string, number> = {};
    for (const w of r.windows) for (const [k, v] of Object.entries(w.gate)) summed[k] = (summed[k] ?? 0) + v;
    expect(summed).toEqual(Object.fromEntries(Object.entries(r.gate).filter(([, v]) => v !== 0)));
    expect(Object.values(r.windows[0].gate).reduce((a, v) => a + v, 0)).toBeGreaterThan(0);
    // The toy model says P(buy) 0.6 or 0.2: every window served both, one per 5m candle of its day.
    for (const w of r.windows) {
      expect(w.forecasts.maxBuy).toBe(0.6);
      expect(w.forecasts.count).toBeGreaterThan(250);
      expect(w.forecasts.count).toBeLessThanOrEqual(288);
    }
    expect(progress[2].cumulativeReturn).toBeCloseTo(r.curve[r.curve.length - 1].equity / 1000 - 1, 12);
    expect(progress[2].buyAndHoldReturn).toBeCloseTo(
      r.buyAndHoldCurve[r.buyAndHoldCurve.length - 1].equity / 1000 - 1,
      12,
    );
    // Windows are trained one at a time, after the previous window was replayed, not all up front.
    expect(replayedAtTraining[0]).toBe(0);
    expect(replayedAtTraining[1]).toBeGreaterThan(250);
    expect(replayedAtTraining[2]).toBeGreaterThan(replayedAtTraining[1]);
  });

  it('walk-forward: a window whose model could not be trained runs without that timeframe, reported', async () => {
    const deps = toyDeps(store);
    const r = await runBacktest(req({ walkForward: true, skipBaseline: true }), {
      ...deps,
      trainModels: async (data, slot) => (slot.trainTo === t0 + D ? {} : deps.trainModels!(data, slot)),
    });
    expect(r.windows.map((w) => w.modelVersions['5m'])).toEqual([
      'none (not trained: too little history)',
      'wf-2021-01-03',
      'wf-2021-01-04',
    ]);
    expect(r.windows[0].metrics.trades).toBe(0);
    expect(r.windows[1].metrics.trades).toBeGreaterThan(0);
    expect(r.warnings.join('\n')).toMatch(/window 1 .*no 5m model could be trained/);
  });

  it('reports bad inputs clearly', async () => {
    const deps = toyDeps(store);
    await expect(runBacktest(req({ symbols: ['DOGE/USDT'] }), deps)).rejects.toThrow(
      /symbol DOGE\/USDT is not in the candle store memory/,
    );
    await expect(runBacktest(req({ from: t0 + 30 * D, to: t0 + 31 * D }), deps)).rejects.toThrow(
      /no candles between 2021-01-31T00:00:00Z and 2021-02-01T00:00:00Z \(the store holds 2021-01-01/,
    );
    await expect(runBacktest(req({ timeframes: ['5m', '1h'] }), deps)).rejects.toThrow(
      /BTC\/USDT: timeframe 1h is missing/,
    );
    await expect(runBacktest(req({ walkForward: true, from: t0 }), deps)).rejects.toThrow(
      /no history before/,
    );
  });

  it('computes the baseline reference and buy-and-hold', async () => {
    const r = await runBacktest(req(), toyDeps(store));
    expect(r.baseline).not.toBeNull();
    expect(r.buyAndHold.trades).toBe(0);
    expect(r.buyAndHoldCurve).toHaveLength(r.curve.length);
  });
});
