import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema, retrainSchema } from '../../src/config/index.ts';
import type { Candle } from '../../src/core/index.ts';
import { ManualClock } from '../../src/core/index.ts';
import {
  checkDataQuality,
  holdoutOf,
  inspectCycleData,
  inspectInWorker,
  readRegistry,
  registryPath,
  seriesQuality,
} from '../../src/retrain/index.ts';
import { failureCode, retrainTimeframes, runRetrainOnce } from '../../src/cli/commands/retrain.ts';
import { FIXTURES, SYMBOLS } from './bot.ts';

const M5 = 300_000;
const q = retrainSchema.parse({}).dataQuality; // minCandles 2000, gaps 2 %, 3 candles stale, |r| 0.5

function candles(n: number, start = 0, close = (i: number) => 100 + Math.sin(i / 10)): Candle[] {
  return Array.from({ length: n }, (_, i) => {
    const c = close(i);
    return { timestamp: start + i * M5, open: c, high: c, low: c, close: c, volume: 1 };
  });
}

describe('data-quality check before a retrain', () => {
  it('passes a clean, fresh, long enough series', () => {
    const c = candles(2500);
    const now = c[c.length - 1].timestamp + M5; // the last candle just closed
    const r = checkDataQuality([{ symbol: 'BTC/USDT', candles: c }], '5m', now, q);
    expect(r).toMatchObject({ ok: true, problems: [] });
    expect(r.series[0]).toMatchObject({ candles: 2500, gapRatio: 0, staleCandles: 0 });
  });

  it('names each failed check with its config key: too few, gaps, stale, outlier', () => {
    const short = candles(100);
    const gappy = candles(2500).filter((_, i) => i % 20 !== 5); // 5 % missing
    const fresh = candles(2500);
    const jump = candles(2500, 0, (i) => (i === 1200 ? 1000 : 100));
    const end = fresh[fresh.length - 1].timestamp + M5;
    const r = checkDataQuality(
      [
        { symbol: 'A', candles: short },
        { symbol: 'B', candles: gappy },
        { symbol: 'C', candles: fresh },
        { symbol: 'D', candles: jump },
      ],
      '5m',
      end + 10 * M5, // 10 candles since the newest closed
      q,
    );
    const text = r.problems.join('\n');
    expect(r.ok).toBe(false);
    expect(text).toMatch(/A 5m: 100 candles < retrain\.dataQuality\.minCandles 2000/);
    expect(text).toMatch(/B 5m: gap ratio 0\.05\d* > retrain\.dataQuality\.maxGapRatio 0\.02/);
    expect(text).toMatch(/C 5m: last candle is 10 candles old > retrain\.dataQuality\.maxStalenessCandles 3/);
    expect(text).toMatch(/D 5m: a one-candle move of 2\.303 .* > retrain\.dataQuality\.maxAbsReturn 0\.5/);
    expect(seriesQuality({ symbol: 'E', candles: [] }, '5m', end)).toMatchObject({ candles: 0, gapRatio: 1 });
    expect(checkDataQuality([], '5m', end, q).ok).toBe(false);
  });

  it('the hold-out is the latest share of the span all symbols have, on a candle boundary', () => {
    const a = candles(1000, 0);
    const b = candles(800, 200 * M5);
    const h = holdoutOf(
      [
        { symbol: 'A', candles: a },
        { symbol: 'B', candles: b },
      ],
      '5m',
      1000 * M5,
      0.25,
    );
    expect(h).toEqual({ from: 800 * M5, to: 1000 * M5 });
  });
});

describe('per-timeframe data-quality limits', () => {
  const D1 = 86_400_000;
  const crash = (tf: '5m' | '1d') => {
    const ms = tf === '5m' ? M5 : D1;
    // A −40 % candle (|log return| 0.51, about BTC on 2020-03-12): real on 1d, an outlier on 5m.
    const c = candles(2500, 0, (i) => (i < 1200 ? 100 : 60)).map((x, i) => ({ ...x, timestamp: i * ms }));
    return checkDataQuality([{ symbol: 'BTC/USDT', candles: c }], tf, 2500 * ms, q);
  };

  it('defaults: a crash day passes on 1d and is an outlier on 5m; 1d needs fewer candles', () => {
    expect(q.maxAbsReturn).toEqual({ '5m': 0.5, '1h': 0.5, '12h': 0.75, '1d': 1 });
    expect(crash('1d').ok).toBe(true);
    expect(crash('5m').problems.join()).toMatch(/maxAbsReturn 0\.5/);
    const c = candles(600).map((x, i) => ({ ...x, timestamp: i * D1 }));
    expect(checkDataQuality([{ symbol: 'A', candles: c }], '1d', 600 * D1, q).ok).toBe(true);
    expect(
      checkDataQuality([{ symbol: 'A', candles: candles(600) }], '5m', 600 * M5, q).problems.join(),
    ).toMatch(/600 candles < retrain\.dataQuality\.minCandles 2000/);
  });

  it('one number applies to every timeframe; a partial map falls back to the defaults', () => {
    const one = retrainSchema.parse({ dataQuality: { maxAbsReturn: 0.3, minCandles: 100 } }).dataQuality;
    const c = candles(600).map((x, i) => ({ ...x, timestamp: i * D1 }));
    expect(checkDataQuality([{ symbol: 'A', candles: c }], '1d', 600 * D1, one).ok).toBe(true);
    const crashDay = candles(600, 0, (i) => (i < 300 ? 100 : 60)).map((x, i) => ({
      ...x,
      timestamp: i * D1,
    }));
    expect(
      checkDataQuality([{ symbol: 'A', candles: crashDay }], '1d', 600 * D1, one).problems.join(),
    ).toMatch(/maxAbsReturn 0\.3/);
    const partial = retrainSchema.parse({ dataQuality: { maxAbsReturn: { '5m': 0.2 } } }).dataQuality;
    expect(checkDataQuality([{ symbol: 'A', candles: crashDay }], '1d', 600 * D1, partial).ok).toBe(true);
    expect(() => retrainSchema.parse({ dataQuality: { maxAbsReturn: { '2h': 1 } } })).toThrow(/2h/);
    expect(() => retrainSchema.parse({ dataQuality: { minCandles: { '1d': 'many' } } })).toThrow();
  });
});

describe('the data step in a worker thread', () => {
  const req = {
    dataDir: FIXTURES,
    exchange: 'binance' as const,
    timeframe: '5m' as const,
    symbols: SYMBOLS,
    skipBadRows: false,
    now: Date.UTC(2021, 6, 18),
    dataQuality: { ...q, minCandles: 100, maxStalenessCandles: 100_000 },
    holdoutFraction: 0.2,
  };
  const limits = { memoryMb: 512, timeoutMs: 60_000 };

  it('gives what the same step gives in-process: report, hold-out and data hash', async () => {
    const here = inspectCycleData(req);
    expect(here.quality.ok).toBe(true);
    expect(here.holdout).not.toBeNull();
    expect(here.dataHash).toMatch(/^[0-9a-f]{16}$/);
    expect(await inspectInWorker(req, limits)).toEqual(here);
  }, 60_000);

  it('cuts the hold-out from the last candle it has, not from the wall clock (#18 item 10)', () => {
    // The fixtures end 2021-07-17; "now" a year later with staleness relaxed (replaying history).
    const later = inspectCycleData({
      ...req,
      now: Date.UTC(2022, 6, 18),
      dataQuality: { ...req.dataQuality, maxStalenessCandles: 1e9 },
    });
    const here = inspectCycleData(req);
    expect(later.holdout).not.toBeNull();
    expect(later.holdout).toEqual(here.holdout);
    expect(later.holdout!.to).toBeLessThanOrEqual(Date.UTC(2021, 6, 18));
  });

  it('a store that cannot be read rejects with the store error (naming the file), not a crash', async () => {
    const missing = { ...req, symbols: ['DOGE/USDT'] };
    const e = await inspectInWorker(missing, limits).then(
      () => null,
      (x: unknown) => x as Error & { code?: string },
    );
    expect(e?.message).toMatch(/DOGEUSDT\.csv/);
    expect(e?.code).toBe('DATA_MISSING');
    const slow = await inspectInWorker(req, { ...limits, timeoutMs: 1 }).then(
      () => null,
      (x: unknown) => x as Error,
    );
    expect(slow?.message).toMatch(/retrain\.worker\.timeoutMinutes/);
  }, 60_000);
});

describe('quantgate retrain --once', () => {
  it('refuses to run without --once, and stale data is a skipped cycle with exit code 3 and an alert', async () => {
    const root = mkdtempSync(join(tmpdir(), 'qg-retrain-cli-'));
    try {
      const config = configSchema.parse({
        exchange: { name: 'binance', symbols: SYMBOLS },
        data: { dir: FIXTURES, modelsDir: join(root, 'models'), stateDir: join(root, 'state') },
        logging: { level: 'silent' },
      });
      expect(() => retrainTimeframes(config, {})).toThrow(/--once/);
      expect(retrainTimeframes(config, { once: true, timeframe: '24h' })).toEqual(['1d']);
      // The fixtures end in July 2021: on a 2026 clock they are years stale.
      const lines: string[] = [];
      const out = await runRetrainOnce(config, ['5m'], {
        clock: new ManualClock(Date.UTC(2026, 0, 1)),
        progress: (l) => lines.push(l),
      });
      expect(out[0]).toMatchObject({ status: 'skipped', stage: 'data-quality', candidate: null });
      expect(out[0].message).toContain('retrain.dataQuality.maxStalenessCandles');
      expect(failureCode(out)).toBe('DATA_INVALID');
      expect(lines.join('\n')).toContain('5m: skipped at data-quality');
      const stored = readRegistry(registryPath(config.data.stateDir)).alerts;
      expect(stored.map((a) => a.code)).toEqual(['RETRAIN_DATA_QUALITY']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
