import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Candle } from '../../src/core/types.ts';
import { largestMove } from '../../src/exchange/index.ts';
import { loadDatasetSeries, maxAbsReturnFor } from '../../src/models/pipeline-data.ts';
import { labelParamsFor } from '../../src/features/index.ts';
import { checkDataQuality } from '../../src/retrain/data-quality.ts';

const T0 = Date.UTC(2021, 0, 1);
function series(n: number, spoil?: (c: Candle[]) => void): Candle[] {
  const c = Array.from({ length: n }, (_, i) => {
    const p = 100 + Math.sin(i / 10);
    return { timestamp: T0 + i * 300_000, open: p, high: p * 1.001, low: p * 0.999, close: p, volume: 1 };
  });
  spoil?.(c);
  return c;
}

describe('single-candle outliers are judged the same way by every command that reads candles (#18 item 10)', () => {
  it('a high of 1e300 or a close ×100 is the largest move; a clean series has none', () => {
    expect(largestMove(series(400)).value).toBeLessThan(0.05);
    const wick = largestMove(series(400, (c) => (c[200] = { ...c[200], high: 1e300 })));
    expect([wick.value > 600, wick.at]).toEqual([true, T0 + 200 * 300_000]);
    expect(
      largestMove(
        series(400, (c) => (c[300] = { ...c[300], close: c[300].close * 100, high: c[300].close * 100 })),
      ).value,
    ).toBeGreaterThan(4);
  });

  it('retrain data quality catches the wick it missed (it checked closes only)', () => {
    const config = configSchema.parse({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
    const bad = { symbol: 'BTC/USDT', candles: series(20_000, (c) => (c[200] = { ...c[200], high: 1e300 })) };
    const q = checkDataQuality([bad], '5m', T0 + 20_000 * 300_000, config.retrain.dataQuality);
    expect(q.ok).toBe(false);
    expect(q.problems.join()).toContain('maxAbsReturn');
  });

  it('train / evaluate data loading warns, naming symbol, time and the config key', async () => {
    const config = configSchema.parse({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      format: 'json',
      destination: { write: (l) => lines.push(l) },
    });
    await loadDatasetSeries({
      dataDir: '/nonexistent',
      exchange: 'binance',
      timeframe: '5m',
      symbols: ['BTC/USDT'],
      features: config.features,
      labels: labelParamsFor(config, '5m'),
      logger,
      maxAbsReturn: maxAbsReturnFor(config, '5m'),
      loader: async () => series(600, (c) => (c[300] = { ...c[300], high: 1e300 })),
    });
    const text = lines.join('');
    expect(text).toContain('retrain.dataQuality.maxAbsReturn');
    expect(text).toContain(new Date(T0 + 300 * 300_000).toISOString());
  });
});
