import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QuantgateError } from '../../src/core/errors.ts';
import type { Candle } from '../../src/core/types.ts';
import {
  appendCandles,
  candlePath,
  readCandleFile,
  readCandles,
  loadSeries,
  resampleCandles,
  resampleMerged,
} from '../../src/exchange/index.ts';

const FIX = new URL('../fixtures/candles', import.meta.url).pathname;
const SHARED = new URL('../../../shared/data', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'qg-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bad(name: string, body: string): string {
  const p = join(dir, `${name}.csv`);
  writeFileSync(p, body);
  return p;
}
const H = 'timestamp,open,high,low,close,volume\n';
const ok1 = '1609459200000,10,12,9,11,5\n';

describe('CSV candle store', () => {
  it('maps symbols to the store layout', () => {
    expect(candlePath('d', 'binance', '5m', 'BTC/USDT')).toBe(join('d', 'binance', '5m', 'BTCUSDT.csv'));
    expect(candlePath('d', 'hyperliquid', '1h', 'BTC/USDC:USDC')).toBe(
      join('d', 'hyperliquid', '1h', 'BTCUSDC_USDC.csv'),
    );
  });

  it('reads the real fixtures and reports gaps without filling them', () => {
    const r = readCandles(FIX, 'binance', '5m', 'BTC/USDT');
    expect(r).not.toBeNull();
    expect(r!.candles.length).toBe(12_000);
    expect(r!.skipped).toBe(0);
    for (const g of r!.gaps) expect(g.missing).toBeGreaterThan(0);
    const expectedSpan = (r!.candles.at(-1)!.timestamp - r!.candles[0].timestamp) / 300_000 + 1;
    expect(r!.candles.length + r!.gaps.reduce((a, g) => a + g.missing, 0)).toBe(expectedSpan);
    expect(readCandles(FIX, 'binance', '5m', 'DOGE/USDT')).toBeNull();
  });

  it('filters by time range', () => {
    const all = readCandles(FIX, 'binance', '1h', 'ETH/USDT')!.candles;
    const from = all[100].timestamp;
    const to = all[200].timestamp;
    const part = readCandles(FIX, 'binance', '1h', 'ETH/USDT', { from, to })!.candles;
    expect(part.length).toBe(100);
    expect(part[0]).toEqual(all[100]);
  });

  const cases: Array<[string, string, string]> = [
    ['header', 'time,o,h,l,c,v\n' + ok1, ':1: expected header "timestamp,open,high,low,close,volume"'],
    ['order', H + ok1 + ok1, ':3: timestamp 1609459200000 is not after the previous row'],
    ['highlow', H + '1609459200000,10,9,12,11,5\n', ':2: low 12 is above high 9'],
    ['nan', H + '1609459200000,10,12,9,NaN,5\n', ':2: close is not a finite number'],
    ['negative', H + '1609459200000,10,12,9,11,-5\n', ':2: volume is negative (-5)'],
    ['columns', H + '1609459200000,10,12,9,11\n', ':2: expected 6 columns'],
    ['openoutside', H + '1609459200000,13,12,9,11,5\n', ':2: open 13 is outside low..high (9..12)'],
  ];
  for (const [name, body, msg] of cases) {
    it(`rejects a bad ${name} row with file and line`, () => {
      const p = bad(name, body);
      let err: unknown;
      try {
        readCandleFile(p);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(QuantgateError);
      expect((err as QuantgateError).code).toBe('DATA_INVALID');
      expect((err as Error).message).toContain(`${p}${msg}`);
    });
  }

  it('skips and counts bad rows when asked', () => {
    const p = bad('skip', H + ok1 + '1609459500000,10,9,12,11,5\n1609459800000,10,12,9,11,5\n');
    const r = readCandleFile(p, { skipBadRows: true });
    expect(r.candles.length).toBe(2);
    expect(r.skipped).toBe(1);
  });

  it('appends atomically, never duplicating or reordering rows', () => {
    const p = join(dir, 'binance', '5m', 'X.csv');
    const rows = readCandles(FIX, 'binance', '5m', 'SOL/USDT')!.candles.slice(0, 50);
    expect(appendCandles(p, rows.slice(0, 30))).toBe(30);
    expect(appendCandles(p, rows.slice(20, 50))).toBe(20); // overlap ignored
    expect(appendCandles(p, rows.slice(0, 10))).toBe(0);
    expect(readCandleFile(p).candles).toEqual(rows);
    expect(readdirSync(join(dir, 'binance', '5m')).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(readFileSync(p, 'utf8').split('\n')[0]).toBe('timestamp,open,high,low,close,volume');
  });
});

describe('resampling 1h → 12h / 24h', () => {
  const hours = readCandles(FIX, 'binance', '1h', 'BTC/USDT')!.candles;

  it('builds UTC-aligned 12h candles from whole buckets only', () => {
    const r = resampleCandles(hours, '1h', '12h');
    for (const c of r.candles) expect(c.timestamp % 43_200_000).toBe(0);
    const first = hours.filter(
      (h) => h.timestamp >= r.candles[0].timestamp && h.timestamp < r.candles[0].timestamp + 43_200_000,
    );
    expect(first.length).toBe(12);
    expect(r.candles[0].open).toBe(first[0].open);
    expect(r.candles[0].close).toBe(first[11].close);
    expect(r.candles[0].high).toBe(Math.max(...first.map((h) => h.high)));
  });

  it('drops and reports buckets with missing hours', () => {
    const holed = hours.filter((_, i) => i !== 30);
    const r = resampleCandles(holed, '1h', '1d');
    const full = resampleCandles(hours, '1h', '1d');
    expect(r.incomplete.length).toBe(full.incomplete.length + 1);
    expect(r.candles.length).toBe(full.candles.length - 1);
  });

  /** OHLC exactly; volume to 1e-9 relative (a sum of 4h sums rounds differently from a sum of 1h). */
  function expectSameCandles(a: readonly Candle[], b: readonly Candle[]): void {
    expect(a.map(({ volume: _, ...c }) => c)).toEqual(b.map(({ volume: _, ...c }) => c));
    for (const [i, c] of a.entries())
      expect(Math.abs(c.volume - b[i].volume)).toBeLessThan(1e-9 * b[i].volume);
  }

  it('fills a bucket with a missing hour from the 4h file (finest whole source wins, nothing invented)', () => {
    const holed = hours.filter((_, i) => i !== 30);
    const fourHours = resampleCandles(hours, '1h', '4h').candles;
    const full = resampleCandles(hours, '1h', '1d').candles;
    const merged = resampleMerged(
      [
        { timeframe: '4h', candles: fourHours },
        { timeframe: '1h', candles: holed },
      ],
      '1d',
    );
    expectSameCandles(merged.candles, full);
    expect(merged.used).toEqual({ '1h': full.length - 1, '4h': 1 });
    // A bucket no source holds whole stays a gap.
    const holed4 = fourHours.filter(
      (c) => c.timestamp !== Math.floor(hours[30].timestamp / 14_400_000) * 14_400_000,
    );
    const both = resampleMerged(
      [
        { timeframe: '1h', candles: holed },
        { timeframe: '4h', candles: holed4 },
      ],
      '1d',
    );
    expect(both.candles.length).toBe(full.length - 1);
  });

  it('loadSeries builds 12h from the 1h and 4h files when the store has no 12h file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qg-merge-'));
    try {
      const holed = hours.filter((_, i) => i !== 30);
      appendCandles(candlePath(dir, 'binance', '1h', 'BTC/USDT'), holed);
      const only1h = loadSeries(dir, 'binance', '12h', 'BTC/USDT');
      appendCandles(candlePath(dir, 'binance', '4h', 'BTC/USDT'), resampleCandles(hours, '1h', '4h').candles);
      const merged = loadSeries(dir, 'binance', '12h', 'BTC/USDT');
      expectSameCandles(merged.candles, resampleCandles(hours, '1h', '12h').candles);
      expect(merged.candles.length).toBe(only1h.candles.length + 1);
      expect(merged.source).toMatch(/1h[/\\]BTCUSDT\.csv \+ .*4h[/\\]BTCUSDT\.csv/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  function compareWithDaily(
    hourly: readonly { timestamp: number }[],
    daily: ReturnType<typeof readCandleFile>['candles'],
    h: typeof hours,
  ) {
    const r = resampleCandles(h, '1h', '1d');
    const byT = new Map(daily.map((d) => [d.timestamp, d]));
    let same = 0;
    let differ = 0;
    for (const c of r.candles) {
      const d = byT.get(c.timestamp);
      if (!d) continue;
      const equal =
        c.open === d.open &&
        c.close === d.close &&
        c.high === d.high &&
        c.low === d.low &&
        Math.abs(c.volume - d.volume) <= 1e-6 * d.volume;
      if (equal) same++;
      else differ++;
    }
    return { same, differ, total: hourly.length };
  }

  it('matches real Binance 1d candles (fixtures)', () => {
    const daily = readCandles(FIX, 'binance', '1d', 'BTC/USDT')!.candles;
    const { same, differ } = compareWithDaily(hours, daily, hours);
    // Binance revised a couple of 1h candles after the fact (see the fixtures README): at most those days differ.
    expect(differ).toBeLessThanOrEqual(2);
    expect(same).toBeGreaterThan(150);
  });

  it.skipIf(!existsSync(join(SHARED, 'binance', '1h', 'ETHUSDT.csv')))(
    'matches the shared 1d files over 4 years',
    () => {
      const h = readCandles(SHARED, 'binance', '1h', 'ETH/USDT')!.candles;
      const daily = readCandles(SHARED, 'binance', '1d', 'ETH/USDT')!.candles;
      const { same, differ } = compareWithDaily(h, daily, h);
      expect(same).toBeGreaterThan(1400);
      expect(differ / (same + differ)).toBeLessThan(0.01);
    },
  );
});
