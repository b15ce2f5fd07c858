import { describe, expect, it } from 'vitest';
import { createBacktestDeps } from '../../src/backtest/index.ts';
import { featuresSchema, parseConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Candle, Timeframe } from '../../src/core/types.ts';
import { readCandles } from '../../src/exchange/index.ts';
import { computeFeatures, labelParamsFor } from '../../src/features/index.ts';
import { loadDatasetSeries } from '../../src/models/pipeline-data.ts';
import { sameBits } from '../features/support.ts';

const FIX = new URL('../fixtures/candles', import.meta.url).pathname;
const read = (tf: Timeframe, symbol: string): Candle[] => readCandles(FIX, 'binance', tf, symbol)!.candles;

const features = featuresSchema.parse({
  returnLags: [1, 4],
  volatilityWindow: 12,
  rsiPeriod: 7,
  macd: { fast: 5, slow: 13, signal: 4 },
  bollinger: { period: 10, stdDev: 2 },
  atrPeriod: 7,
  volumeWindow: 16,
  marketContext: { enabled: true, returnLags: [1, 6], volatilityWindow: 12 },
  higherTimeframes: { enabled: true, timeframes: ['1h'], returnLags: [1, 3], volatilityWindow: 6 },
});
const config = parseConfig({
  exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] },
  data: { dir: FIX },
  strategy: { timeframes: ['5m', '1h'] },
  features,
});
const common = {
  dataDir: FIX,
  exchange: 'binance' as const,
  timeframe: '5m' as const,
  features,
  labels: labelParamsFor(config, '5m'),
  logger: silentLogger(),
};

describe('training data with context features', () => {
  it('reads the market reference from the store for a symbol trained on alone (SOL), cut like the series', async () => {
    const sol5 = read('5m', 'SOL/USDT');
    const to = sol5[6000].timestamp;
    const { series } = await loadDatasetSeries({
      ...common,
      symbols: ['SOL/USDT'],
      configuredSymbols: config.exchange.symbols,
      to,
    });
    const expected = computeFeatures(sol5.slice(0, 6000), '5m', features, {
      market: read('5m', 'BTC/USDT').filter((c) => c.timestamp < to),
      higher: { '1h': read('1h', 'SOL/USDT').filter((c) => c.timestamp < to) },
    });
    expect(series[0].features.names).toEqual(expected.names);
    expect(series[0].features.names).toContain('mkt_ret_1');
    expect(sameBits(series[0].features.rows, expected.rows)).toBe(true);
    // Causal: the cut series' rows are the whole series' first rows.
    const whole = await loadDatasetSeries({
      ...common,
      symbols: ['SOL/USDT'],
      configuredSymbols: config.exchange.symbols,
    });
    const w = expected.names.length;
    expect(sameBits(whole.series[0].features.rows.subarray(0, 6000 * w), expected.rows)).toBe(true);
  });

  it('fails naming the key when the reference is not in the store', async () => {
    await expect(
      loadDatasetSeries({ ...common, symbols: ['ETH/USDT'], configuredSymbols: ['BTC/EUR', 'ETH/USDT'] }),
    ).rejects.toThrow(/features\.marketContext\.symbol: cannot read the 5m candles of BTC\/EUR/);
  });

  it('the backtest computes the same rows from its replayed series, and refuses a reference it does not replay', async () => {
    const deps = await createBacktestDeps(config, silentLogger(), async () => {
      throw new Error('not used');
    });
    const eth5 = read('5m', 'ETH/USDT');
    const replayed: Record<string, Candle[]> = {
      'BTC/USDT|5m': read('5m', 'BTC/USDT'),
      'ETH/USDT|1h': read('1h', 'ETH/USDT'),
    };
    const m = deps.computeFeatures(eth5, '5m', {
      symbol: 'ETH/USDT',
      candlesOf: (s, tf) => replayed[`${s}|${tf}`],
    });
    const expected = computeFeatures(eth5, '5m', features, {
      market: replayed['BTC/USDT|5m'],
      higher: { '1h': replayed['ETH/USDT|1h'] },
    });
    expect(sameBits(m.rows, expected.rows)).toBe(true);
    expect(() =>
      deps.computeFeatures(eth5, '5m', {
        symbol: 'ETH/USDT',
        candlesOf: (s, tf) => (s === 'BTC/USDT' ? undefined : replayed[`${s}|${tf}`]),
      }),
    ).toThrow(/features\.marketContext\.symbol: no 5m candles of the market reference BTC\/USDT/);
  });
});
