import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.ts';
import { warmupShortfalls } from '../../src/strategy/index.ts';

const ex = { name: 'binance', symbols: ['BTC/USDT'] };

describe('warm-up shortfall', () => {
  it('is empty for the defaults and names the timeframe and key when a 1-week HAR span outgrows exchange.warmupCandles', () => {
    expect(warmupShortfalls(configSchema.parse({ exchange: ex }))).toEqual([]);
    const long = configSchema.parse({ exchange: ex, features: { har: { enabled: true } } });
    const lines = warmupShortfalls(long);
    // 5m: 2016 candles of HAR + a window of 60 > 500; 1h: 168 + 60 fits.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^exchange\.warmupCandles: 500 .* 2076 the 5m features/);
    expect(
      warmupShortfalls(
        configSchema.parse({
          exchange: { ...ex, warmupCandles: 2076 },
          features: { har: { enabled: true } },
        }),
      ),
    ).toEqual([]);
  });
});
