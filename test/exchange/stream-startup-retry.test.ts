import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/index.ts';
import { CandleStream, createCcxtExchange, readCandles } from '../../src/exchange/index.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import { CANDLE_STORE } from '../support/trained-models.ts';

// ccxt caches a rejected loadMarkets() promise: retrying with a plain loadMarkets() replayed the
// first 503 eight times without a single request, so one exchange hiccup at start-up stopped the bot.
describe('candle stream start-up', () => {
  it('recovers when the exchange answers its first market requests with 503', async () => {
    const candles = readCandles(CANDLE_STORE, 'binance', '5m', 'BTC/USDT')!.candles.slice(0, 1000);
    const sim = await startSimExchange({
      series: [{ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', candles }],
      startTime: candles[600].timestamp,
    });
    const ex = await createCcxtExchange({
      exchange: 'binance',
      market: 'spot',
      urls: simUrls(sim, 'binance'),
      rateLimit: false,
      timeoutMs: 2000,
      logger: silentLogger(),
    });
    const stream = new CandleStream({
      exchange: 'binance',
      ccxt: ex,
      series: [{ symbol: 'BTC/USDT', timeframe: '5m' }],
      clock: sim.clock,
      logger: silentLogger(),
      warmupCandles: 50,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      checkIntervalMs: 20,
    });
    try {
      sim.restErrors(2, 503, 'binance');
      await stream.start();
      expect(sim.stats.restErrorsInjected).toBe(2);
      expect(stream.stats().warmup).toBe(50);
      expect(stream.stats().restErrors).toBe(2);
    } finally {
      await stream.stop();
      await sim.close();
    }
  });
});
