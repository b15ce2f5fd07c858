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
