import { readFileSync } from 'node:fs';
import type { Candle, ExchangeId, Timeframe } from '../../src/core/index.ts';
import type { Logger } from '../../src/core/index.ts';
import { CandleStream, createCcxtExchange } from '../../src/exchange/index.ts';
import { simUrls } from '../../src/simulator/index.ts';
import type { SimSeriesInput, SimServer } from '../../src/simulator/index.ts';

const FIXTURES = new URL('../fixtures/messages/candles/', import.meta.url);

/** Real Binance candles (small slices of ../shared/data) bundled as test fixtures. */
export function fixtureCandles(tf: Timeframe, stem: string): Candle[] {
  const text = readFileSync(new URL(`${tf}/${stem}.csv`, FIXTURES), 'utf8');
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [t, o, h, l, c, v] = line.split(',').map(Number);
      return { timestamp: t, open: o, high: h, low: l, close: c, volume: v };
    });
}

/** 2021-01-02T00:00Z: the fixtures hold 12 h of 5m and 4 days of 1h history before it. */
export const START = Date.UTC(2021, 0, 2);

const STEMS = { BTC: 'BTCUSDT', ETH: 'ETHUSDT', SOL: 'SOLUSDT' } as const;

export function symbolFor(exchange: ExchangeId, base: keyof typeof STEMS, spot = false): string {
  if (exchange === 'binance') return `${base}/USDT`;
  return spot ? `${base}/USDC` : `${base}/USDC:USDC`;
}

/** Every (exchange, symbol, timeframe) combination asked for, fed with the fixture candles. */
export function fixtureSeries(
  exchanges: readonly ExchangeId[],
  bases: ReadonlyArray<keyof typeof STEMS>,
  timeframes: readonly Timeframe[],
): SimSeriesInput[] {
  const out: SimSeriesInput[] = [];
  for (const exchange of exchanges)
    for (const base of bases)
      for (const timeframe of timeframes)
        out.push({
          exchange,
          symbol: symbolFor(exchange, base),
          timeframe,
          candles: fixtureCandles(timeframe, STEMS[base]),
        });
  return out;
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const tick = (ms = 0) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A CandleStream through real ccxt against the simulator, tuned for tests: short reconnect backoff
 * and health checks, a long close grace (the sim's clock drives closes). Not started.
 */
export async function simStream(
  sim: SimServer,
  exchange: ExchangeId,
  series: readonly SimSeriesInput[],
  o: { logger: Logger; warmupCandles: number; keepAliveMs: number },
): Promise<CandleStream> {
  const ccxt = await createCcxtExchange({
    exchange,
    market: exchange === 'binance' ? 'spot' : 'swap',
    urls: simUrls(sim, exchange),
    rateLimit: false,
    keepAliveMs: o.keepAliveMs,
    logger: o.logger,
  });
  return new CandleStream({
    exchange,
    ccxt,
    series: series.filter((s) => s.exchange === exchange),
    clock: sim.clock,
    logger: o.logger,
    warmupCandles: o.warmupCandles,
    closeGraceMs: 60_000,
    reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
    checkIntervalMs: 15,
  });
}
