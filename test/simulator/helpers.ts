import { readFileSync } from 'node:fs';
import type { Candle, ExchangeId, Timeframe } from '../../src/core/index.ts';
import type { SimSeriesInput } from '../../src/simulator/index.ts';

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
