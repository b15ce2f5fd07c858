import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { downloadRequest, registerDownload, runDownload } from '../../src/cli/commands/download.ts';
import { isQuantgateError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Candle } from '../../src/core/types.ts';
import { candlePath, createCcxtExchange, readCandleFile } from '../../src/exchange/index.ts';
import type { CcxtExchange } from '../../src/exchange/index.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import type { SimServer } from '../../src/simulator/index.ts';
import { REPO_ROOT } from '../support/cli.ts';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/candles/binance/1h/BTCUSDT.csv');
const candles: Candle[] = readCandleFile(FIXTURE).candles.slice(0, 600);
const tmp = mkdtempSync(join(tmpdir(), 'qg-download-'));
const logger = silentLogger();

let sim: SimServer;
let ex: CcxtExchange;

beforeAll(async () => {
  // Candle 400 is in progress at the start: 0…399 are closed history.
  sim = await startSimExchange({
    series: [{ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', candles }],
    startTime: candles[400].timestamp,
  });
  ex = await createCcxtExchange({
    exchange: 'binance',
    market: 'spot',
    urls: simUrls(sim, 'binance'),
    rateLimit: false,
    timeoutMs: 2000,
    logger,
  });
});
afterAll(async () => {
  await ex.close().catch(() => undefined);
  await sim.close();
  rmSync(tmp, { recursive: true, force: true });
});

const req = (dataDir: string, limit = 100) =>
  downloadRequest(
    {
      exchange: 'binance',
      symbols: 'BTC/USDT',
      timeframes: '1h',
      since: new Date(candles[0].timestamp).toISOString().slice(0, 16),
      dataDir,
      limit: String(limit),
    },
    undefined,
  );

const deps = () => ({
  exchange: ex,
  url: simUrls(sim, 'binance').rest,
  now: () => sim.now,
  logger,
  retryInitialMs: 5,
});

/** What the store must hold: the exchange's first `n` candles, nothing else. */
const storedCandles = (dir: string) => readCandleFile(candlePath(dir, 'binance', '1h', 'BTC/USDT')).candles;

describe('download against the local exchange (real ccxt, real socket)', () => {
  it('pages through the range, stores only closed candles, and resumes without duplicates', async () => {
    const dir = join(tmp, 'resume');
    const [first] = await runDownload(req(dir, 100), deps());
    expect(first.added).toBe(400);
    expect(first.requests).toBeGreaterThanOrEqual(4);
    expect(storedCandles(dir)).toEqual(candles.slice(0, 400));

    for (let i = 0; i < 50; i++) sim.advance();
    const before = sim.stats.restRequests;
    const [second] = await runDownload(req(dir, 100), deps());
    expect(second.added).toBe(50);
    // loadMarkets is cached by ccxt; one page covers the 50 new candles.
    expect(sim.stats.restRequests - before).toBe(1);
    expect(storedCandles(dir)).toEqual(candles.slice(0, 450));

    const [third] = await runDownload(req(dir, 100), deps());
    expect(third.added).toBe(0);
    expect(storedCandles(dir)).toEqual(candles.slice(0, 450));
  });

  it('retries a 429 and a 503 with backoff, then succeeds', async () => {
    const dir = join(tmp, 'retry');
    await ex.loadMarkets();
    sim.restErrors(1, 429, 'binance');
    const a = await runDownload(req(dir, 1000), deps());
    sim.restErrors(1, 503, 'binance');
    for (let i = 0; i < 3; i++) sim.advance();
    const b = await runDownload(req(dir, 1000), deps());
    expect(a[0].retries).toBe(1);
    expect(b[0].retries).toBe(1);
    const stored = readCandleFile(candlePath(dir, 'binance', '1h', 'BTC/USDT')).candles;
    expect(stored.length).toBe(a[0].added + b[0].added);
    expect(stored.at(-1)?.timestamp).toBe(sim.now - 3_600_000);
  });

  it('fails fast with NETWORK when nothing listens on the port', async () => {
    const port = await closedPort();
    const dead = await createCcxtExchange({
      exchange: 'binance',
      market: 'spot',
      urls: { rest: `http://127.0.0.1:${port}/api/v3` },
      rateLimit: false,
      timeoutMs: 2000,
      logger,
    });
    const err = await runDownload(req(join(tmp, 'dead')), {
      exchange: dead,
      url: `http://127.0.0.1:${port}/api/v3`,
      now: () => Date.now(),
      logger,
      retryInitialMs: 5,
    }).catch((e: unknown) => e);
    await dead.close().catch(() => undefined);
    expect(isQuantgateError(err) && err.code).toBe('NETWORK');
    expect(String((err as Error).message)).toContain(`127.0.0.1:${port}`);
  }, 15_000);

  it('the download command (commander, in process) stores from --rest-url and prints a summary', async () => {
    const dir = join(tmp, 'cli');
    const r = await runCommand([
      '--exchange',
      'binance',
      '--symbols',
      'BTC/USDT',
      '--timeframes',
      '1h',
      '--since',
      new Date(candles[100].timestamp).toISOString().slice(0, 16),
      '--data-dir',
      dir,
      '--rest-url',
      simUrls(sim, 'binance').rest,
      '--limit',
      '200',
    ]);
    expect(r.exitCode).toBeUndefined();
    // The command judges "closed" by the wall clock, under which all of this replayed history is
    // old: it stores from --since up to the candle the simulator is serving.
    const stored = storedCandles(dir);
    expect(stored[0]).toEqual(candles[100]);
    expect(stored.length).toBeGreaterThanOrEqual(450 - 100);
    expect(r.stdout).toMatch(/BTC\/USDT 1h: \+\d+ candles/);
  });
});

describe('download command input validation', () => {
  const base = { exchange: 'binance', symbols: 'BTC/USDT', timeframes: '1h', since: '2024-01-01' };
  it.each([
    [{ exchange: 'kraken' }, /--exchange: expected one of binance, hyperliquid, got "kraken"/],
    [{ timeframes: '1h,7m' }, /--timeframes: unknown timeframe "7m"/],
    [{ since: '2024-13-45' }, /--since: expected a UTC date/],
    [{ since: 'yesterday' }, /--since: expected a UTC date/],
    [{ symbols: 'btcusdt' }, /--symbols: "btcusdt" is not a symbol/],
    [{ symbols: '' }, /--symbols: expected at least one symbol/],
    [{ limit: '0' }, /--limit: expected an integer/],
  ])('rejects %j', (bad, msg) => {
    let err: unknown;
    try {
      downloadRequest({ ...base, ...bad }, undefined);
    } catch (e) {
      err = e;
    }
    expect(isQuantgateError(err) && err.exitCode).toBe(2);
    expect((err as Error).message).toMatch(msg);
  });

  it('the command sets exit code 2 and prints the message', async () => {
    const r = await runCommand([
      '--exchange',
      'kraken',
      '--symbols',
      'BTC/USDT',
      '--timeframes',
      '1h',
      '--since',
      '2024-01-01',
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      'error [USAGE]: --exchange: expected one of binance, hyperliquid, got "kraken"',
    );
  });
});

/** A port that was free a moment ago and has nothing listening now. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Runs `quantgate download …` through commander in this process, capturing output and exit code. */
async function runCommand(
  args: string[],
): Promise<{ exitCode: number | string | undefined; stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  registerDownload(program);
  let stdout = '';
  let stderr = '';
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const prevLevel = process.env.QUANTGATE_LOG_LEVEL;
  process.env.QUANTGATE_LOG_LEVEL = 'silent';
  const prevExit = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'quantgate', 'download', ...args]);
    return { exitCode: process.exitCode, stdout, stderr };
  } finally {
    process.exitCode = prevExit;
    if (prevLevel === undefined) delete process.env.QUANTGATE_LOG_LEVEL;
    else process.env.QUANTGATE_LOG_LEVEL = prevLevel;
    out.mockRestore();
    err.mockRestore();
  }
}
