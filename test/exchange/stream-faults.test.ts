import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candle, ClosedCandle, ExchangeId } from '../../src/core/index.ts';
import { createLogger, silentLogger, timeframeMs } from '../../src/core/index.ts';
import { startSimExchange } from '../../src/simulator/index.ts';
import type { SimServer, SimSeriesInput } from '../../src/simulator/index.ts';
import type { CandleStream } from '../../src/exchange/index.ts';
import { seriesId } from '../../src/exchange/index.ts';
import { START, fixtureCandles, tick, simStream, waitFor } from '../simulator/helpers.ts';

const FIVE_MIN = 300_000;
// An exchange outage in the Hyperliquid series: 5 candles the exchange never published.
const GAP_FROM = START + 10 * FIVE_MIN;
const GAP_TO = START + 15 * FIVE_MIN;

function seriesList(): SimSeriesInput[] {
  const btc5 = fixtureCandles('5m', 'BTCUSDT');
  const sol1h = fixtureCandles('1h', 'SOLUSDT');
  return [
    { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', candles: btc5 },
    { exchange: 'binance', symbol: 'SOL/USDT', timeframe: '1h', candles: sol1h },
    {
      exchange: 'hyperliquid',
      symbol: 'BTC/USDC:USDC',
      timeframe: '5m',
      candles: btc5.filter((c) => c.timestamp < GAP_FROM || c.timestamp >= GAP_TO),
    },
    {
      exchange: 'hyperliquid',
      symbol: 'ETH/USDC',
      timeframe: '5m',
      candles: fixtureCandles('5m', 'ETHUSDT'),
    },
  ];
}

describe('CandleStream under malformed frames, forced disconnects and an exchange gap', () => {
  let sim: SimServer;
  const streams = new Map<ExchangeId, CandleStream>();
  const delivered = new Map<string, ClosedCandle[]>();
  const malformedSent: Record<ExchangeId, number> = { binance: 0, hyperliquid: 0 };
  const series = seriesList();
  let restDuringGapPause = -1;

  beforeAll(async () => {
    // A 1-hour connection lifetime stands in for Binance's 24 hours.
    sim = await startSimExchange({ series, startTime: START, maxConnectionAgeMs: 3_600_000 });
    const logger = process.env.QG_LOG ? createLogger({ level: 'info' }) : silentLogger();
    for (const exchange of ['binance', 'hyperliquid'] as const) {
      const stream = await simStream(sim, exchange, series, {
        logger: logger,
        warmupCandles: 12,
        keepAliveMs: 200,
      });
      stream.onCandle((c) => {
        const list = delivered.get(seriesId(c)) ?? [];
        list.push(c);
        delivered.set(seriesId(c), list);
      });
      streams.set(exchange, stream);
    }
    await Promise.all([...streams.values()].map((s) => s.start()));
    const snapshot = sim.infoHandler('candleSnapshot');
    let gapSeriesRest = 0;
    sim.registerInfoType('candleSnapshot', (body, req) => {
      if ((body.req as { coin?: string } | undefined)?.coin === 'BTC') gapSeriesRest++;
      if (!snapshot) throw new Error('no candleSnapshot handler');
      return snapshot(body, req);
    });
    // Sim time moves on only while both exchanges are subscribed, however slow a reconnect is.
    const subscribed = () =>
      waitFor(
        () =>
          (['binance', 'hyperliquid'] as const).every((ex) =>
            sim.connections(ex).some((c) => c.subscriptions.size > 0),
          ),
        20_000,
        'both exchanges subscribed',
      );
    for (let step = 0; step < 60; step++) {
      await subscribed();
      sim.advance();
      if (step === 10 || step === 40) {
        await subscribed();
        for (const ex of ['binance', 'hyperliquid'] as const) malformedSent[ex] += sim.malformed(500, ex);
      }
      await tick(2);
      if (step === 13) {
        // Inside the gap, with its candles overdue: the stream asks REST once, not every check.
        await tick(200);
        const before = gapSeriesRest;
        await tick(300);
        restDuringGapPause = gapSeriesRest - before;
      }
    }
    const last = (s: SimSeriesInput) =>
      s.candles.filter((c) => c.timestamp + timeframeMs(s.timeframe) <= sim.now).at(-1);
    await waitFor(
      () => series.every((s) => delivered.get(seriesId(s))?.at(-1)?.timestamp === last(s)?.timestamp),
      20_000,
      'all series to catch up',
    );
  }, 60_000);

  afterAll(async () => {
    for (const s of streams.values()) await s.stop();
    await sim?.close();
  });

  it('counts every one of 1,000 malformed frames per exchange and keeps streaming', () => {
    for (const ex of ['binance', 'hyperliquid'] as const) {
      expect(malformedSent[ex]).toBe(1000);
      expect(streams.get(ex)?.stats().malformed).toBe(1000);
    }
  });

  it('delivers exactly the exchange candles, gap included, across forced disconnects', () => {
    expect(sim.stats.wsDisconnectsInjected).toBeGreaterThanOrEqual(6); // 5 h of candles, 1 h lifetime, 2 exchanges
    for (const s of series) {
      const got = delivered.get(seriesId(s)) ?? [];
      const tf = timeframeMs(s.timeframe);
      const want: Candle[] = s.candles.filter(
        (c) => c.timestamp >= got[0].timestamp && c.timestamp + tf <= sim.now,
      );
      expect(
        got.map(({ timestamp, open, high, low, close, volume }) => ({
          timestamp,
          open,
          high,
          low,
          close,
          volume,
        })),
      ).toEqual(want);
    }
    const gapSeries = delivered.get('hyperliquid|BTC/USDC:USDC|5m') ?? [];
    expect(gapSeries.some((c) => c.timestamp >= GAP_FROM && c.timestamp < GAP_TO)).toBe(false);
  });

  it('does not poll REST in a loop over a gap the exchange itself has', () => {
    // 300 ms is 20 overdue checks; re-asking REST on each would make ≥ 20 requests.
    expect(restDuringGapPause).toBeGreaterThanOrEqual(0);
    expect(restDuringGapPause).toBeLessThanOrEqual(2);
  });
});
