import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadRequest } from '../../src/cli/commands/download.ts';
import type { Candle, ExchangeId, Timeframe } from '../../src/core/index.ts';
import { QuantgateError, silentLogger, timeframeMs } from '../../src/core/index.ts';
import type { CcxtExchange } from '../../src/exchange/index.ts';
import {
  createCcxtExchange,
  downloadSeries,
  ohlcvRowToCandle,
  readCandleFile,
} from '../../src/exchange/index.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import type { SimServer } from '../../src/simulator/index.ts';
import { START, fixtureCandles } from '../simulator/helpers.ts';
import { runCli } from '../support/cli.ts';

const HOUR = 3_600_000;
const logger = silentLogger();
const btc1h = fixtureCandles('1h', 'BTCUSDT');
const eth5m = fixtureCandles('5m', 'ETHUSDT');

/** The candles a correct download must hold: every source candle closed by `now`. */
const closedBy = (candles: readonly Candle[], tf: Timeframe, now: number) =>
  candles.filter((c) => c.timestamp + timeframeMs(tf) <= now);

describe('downloadSeries against the simulator through real ccxt', () => {
  let sim: SimServer;
  const ex = new Map<ExchangeId, CcxtExchange>();
  let dir: string;

  beforeAll(async () => {
    sim = await startSimExchange({
      series: [
        { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', candles: btc1h },
        { exchange: 'hyperliquid', symbol: 'ETH/USDC:USDC', timeframe: '5m', candles: eth5m },
      ],
      startTime: START,
    });
    for (const exchange of ['binance', 'hyperliquid'] as const) {
      const c = await createCcxtExchange({
        exchange,
        market: exchange === 'binance' ? 'spot' : 'swap',
        urls: simUrls(sim, exchange),
        rateLimit: false,
        logger,
      });
      await c.loadMarkets();
      ex.set(exchange, c);
    }
  });
  afterAll(async () => {
    for (const c of ex.values()) await c.close().catch(() => undefined);
    await sim.close();
  });
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'qg-download-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    sim.faults.binance.restErrors = 0;
  });

  const run = (
    exchangeId: ExchangeId,
    symbol: string,
    timeframe: Timeframe,
    extra: Partial<Parameters<typeof downloadSeries>[0]> = {},
  ) =>
    downloadSeries({
      exchange: ex.get(exchangeId) as CcxtExchange,
      exchangeId,
      symbol,
      timeframe,
      since: 0,
      dataDir: dir,
      now: () => sim.now,
      logger,
      retryInitialMs: 5,
      retryMaxMs: 20,
      ...extra,
    });

  it('pages with a limit smaller than the range and stores exactly the closed source candles (Binance)', async () => {
    const since = btc1h[0].timestamp;
    const r = await run('binance', 'BTC/USDT', '1h', { since, limit: 7 });
    const want = closedBy(btc1h, '1h', sim.now);
    expect(want.length).toBeGreaterThan(20);
    expect(r.requests).toBeGreaterThan(want.length / 7);
    expect(readCandleFile(r.file).candles).toEqual(want);
    expect(r).toMatchObject({ added: want.length, first: since, last: want.at(-1)?.timestamp, gaps: [] });
    // The simulator's in-progress candle (open at START) is served but never stored.
    expect(readFileSync(r.file, 'utf8')).not.toContain(`${START},`);
  });

  it('pages Hyperliquid the same way and skips the still-open 5m candle', async () => {
    const since = eth5m[0].timestamp;
    const r = await run('hyperliquid', 'ETH/USDC:USDC', '5m', { since, limit: 50 });
    const want = closedBy(eth5m, '5m', sim.now);
    expect(readCandleFile(r.file).candles).toEqual(want);
    expect(r.last).toBe(START - 300_000);
    expect(r.requests).toBeGreaterThan(2);
  });

  it('resumes after the last stored candle: a second run adds only the new candles', async () => {
    const d = mkdtempSync(join(tmpdir(), 'qg-download-resume-'));
    try {
      const since = btc1h[0].timestamp;
      const first = await run('binance', 'BTC/USDT', '1h', {
        since,
        dataDir: d,
        limit: 10,
        now: () => since + 30 * HOUR + 1,
      });
      expect(first.added).toBe(30);
      const again = await run('binance', 'BTC/USDT', '1h', { since, dataDir: d, limit: 10 });
      const want = closedBy(btc1h, '1h', sim.now);
      expect(again.added).toBe(want.length - 30);
      const lines = readFileSync(again.file, 'utf8').trim().split('\n').slice(1);
      expect(new Set(lines).size).toBe(lines.length);
      expect(readCandleFile(again.file).candles).toEqual(want);
      const third = await run('binance', 'BTC/USDT', '1h', { since, dataDir: d });
      expect(third.added).toBe(0);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('retries a 429 and then succeeds; gives up with NETWORK after the last attempt', async () => {
    const d = mkdtempSync(join(tmpdir(), 'qg-download-429-'));
    try {
      const since = btc1h[0].timestamp;
      sim.restErrors(1, 429, 'binance');
      const r = await run('binance', 'BTC/USDT', '1h', { since, dataDir: d, limit: 40 });
      expect(r.retries).toBe(1);
      expect(readCandleFile(r.file).candles).toEqual(closedBy(btc1h, '1h', sim.now));

      sim.restErrors(5, 503, 'binance');
      // Binance answers 5xx with -1001 (ccxt OperationFailed): retried, then reported.
      const failed = run('binance', 'BTC/USDT', '1h', { since, dataDir: join(d, 'x'), maxAttempts: 3 });
      await expect(failed).rejects.toThrow(/binance BTC\/USDT 1h \(attempt 3 of 3\)/);
      await expect(failed).rejects.toMatchObject({ code: 'NETWORK' });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('fails fast with a NETWORK error naming exchange and URL when nothing listens', async () => {
    const port = await closedPort();
    const rest = `http://127.0.0.1:${port}/api/v3`;
    const c = await createCcxtExchange({
      exchange: 'binance',
      market: 'spot',
      urls: { rest },
      rateLimit: false,
      logger,
    });
    c.markets = ex.get('binance')?.markets ?? {};
    c.marketsById = ex.get('binance')?.marketsById ?? {};
    const sleeps: number[] = [];
    const empty = mkdtempSync(join(tmpdir(), 'qg-download-refused-'));
    const p = downloadSeries({
      exchange: c,
      exchangeId: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
      since: btc1h[0].timestamp,
      dataDir: empty,
      now: () => START,
      logger,
      url: rest,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await expect(p).rejects.toThrow(`cannot reach binance at ${rest}: ECONNREFUSED`);
    await expect(p).rejects.toMatchObject({ code: 'NETWORK' });
    expect(sleeps).toEqual([]);
    rmSync(empty, { recursive: true, force: true });
    await c.close();
  });
});

describe('download input checks', () => {
  it('rejects a malformed exchange row with the series and the row', () => {
    expect(() => ohlcvRowToCandle([1, 10, 9, 11, 10, 1], 'binance BTC/USDT 1h')).toThrow(
      'binance BTC/USDT 1h: exchange sent a bad candle [1,10,9,11,10,1]: low 11 is above high 9',
    );
    expect(() => ohlcvRowToCandle([1, 'x', 9, 8, 9, 1], 'w')).toThrow(/open is not a finite number/);
    expect(ohlcvRowToCandle([HOUR, 1, 2, 0.5, 1.5, 3], 'w')).toEqual({
      timestamp: HOUR,
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      volume: 3,
    });
  });

  const ok = { exchange: 'binance', symbols: 'BTC/USDT,ETH/USDT', timeframes: '5m,24h', since: '2024-01-01' };
  it('parses a valid command line (24h → 1d; data dir defaults to ./data)', () => {
    expect(downloadRequest(ok, undefined)).toMatchObject({
      exchange: 'binance',
      market: 'spot',
      symbols: ['BTC/USDT', 'ETH/USDT'],
      timeframes: ['5m', '1d'],
      since: Date.UTC(2024, 0, 1),
      dataDir: 'data',
    });
  });

  it.each([
    [{ exchange: 'kraken' }, '--exchange: expected one of binance, hyperliquid, got "kraken"'],
    [{ timeframes: '5m,7m' }, '--timeframes: unknown timeframe "7m"'],
    [{ since: '2024-13-45' }, '--since: expected a UTC date like 2021-03-01'],
    [{ symbols: 'BTCUSDT' }, '--symbols: "BTCUSDT" is not a symbol like BTC/USDT'],
    [{ limit: '0' }, '--limit: expected an integer 1…5000, got "0"'],
  ])('rejects %j with USAGE', (bad, msg) => {
    let err: unknown;
    try {
      downloadRequest({ ...ok, ...bad }, undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantgateError);
    expect(err).toMatchObject({ code: 'USAGE', exitCode: 2 });
    expect((err as Error).message).toContain(msg);
  });
});

// One real process spawn (it loads the whole CLI): exit code and stderr as a user sees them. Bad
// inputs are covered in process above and through commander in download-sim.test.ts.
describe('quantgate download (real process)', () => {
  it('exits 4 with the NETWORK message when nothing listens on --rest-url, without retrying', async () => {
    const port = await closedPort();
    const rest = `http://127.0.0.1:${port}/api/v3`;
    const d = mkdtempSync(join(tmpdir(), 'qg-download-cli-'));
    try {
      const r = runCli(
        [
          'download',
          '-e',
          'binance',
          '-s',
          'BTC/USDT',
          '-t',
          '1h',
          '--since',
          '2024-01-01',
          '--data-dir',
          d,
          '--rest-url',
          rest,
        ],
        // Logs on: a retry would show up as a warn line on stderr.
        { env: { QUANTGATE_LOG_LEVEL: 'info' } },
      );
      expect(r.stderr).toContain(`error [NETWORK]: cannot reach binance at ${rest}: ECONNREFUSED`);
      expect(r.status).toBe(4);
      expect(r.stderr).not.toContain('retrying');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
