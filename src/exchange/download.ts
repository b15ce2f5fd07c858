import { existsSync } from 'node:fs';
import {
  DDoSProtection,
  ExchangeNotAvailable,
  NetworkError,
  OperationFailed,
  RateLimitExceeded,
  RequestTimeout,
} from 'ccxt';
import { QuantgateError, describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Candle, ExchangeId, Timeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import { backoffDelay } from './backoff.ts';
import {
  appendCandles,
  candlePath,
  findGaps,
  lastStoredTimestamp,
  readCandleFile,
  rowProblem,
} from './csv-store.ts';
import type { Gap } from './csv-store.ts';

/** The part of a ccxt exchange the downloader needs. */
export interface OhlcvSource {
  fetchOHLCV(symbol: string, timeframe?: string, since?: number, limit?: number): Promise<unknown[]>;
}

export interface DownloadSeriesOptions {
  readonly exchange: OhlcvSource;
  readonly exchangeId: ExchangeId;
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** First open time wanted (ms UTC); a store that already holds later candles resumes after them. */
  readonly since: number;
  readonly dataDir: string;
  /** Decides which candles are closed (open + timeframe ≤ now). */
  readonly now: () => number;
  readonly logger: Logger;
  /** Candles per request; default 1000 on Binance, 500 on Hyperliquid. */
  readonly limit?: number;
  /** Base URL, only for error messages. */
  readonly url?: string;
  /** Attempts per request on 429 / 5xx / network errors (default 6). */
  readonly maxAttempts?: number;
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** After each stored page: candles added so far and the newest stored open time. */
  readonly onProgress?: (p: { readonly added: number; readonly last: number }) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface DownloadSeriesResult {
  readonly file: string;
  readonly added: number;
  /** First / last open time in the file afterwards; undefined while it is empty. */
  readonly first: number | undefined;
  readonly last: number | undefined;
  /** Holes in the stored series (exchange outages); reported, never filled. */
  readonly gaps: Gap[];
  readonly requests: number;
  readonly retries: number;
}

export const DEFAULT_LIMIT: Record<ExchangeId, number> = { binance: 1000, hyperliquid: 500 };

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** 429 / 418 / 5xx / timeouts / dropped connections are worth another try; 4xx and bad symbols are not. */
export function isRetryable(e: unknown): boolean {
  return (
    e instanceof RateLimitExceeded ||
    e instanceof DDoSProtection ||
    e instanceof ExchangeNotAvailable ||
    e instanceof RequestTimeout ||
    e instanceof NetworkError ||
    // Binance -1001 "Internal error; unable to process your request. Please try again." (HTTP 5xx)
    e instanceof OperationFailed
  );
}

/** The host is not there at all (wrong URL, no network): retrying for minutes helps nobody. */
export function isUnreachable(e: unknown): boolean {
  return (
    e instanceof NetworkError &&
    !(e instanceof RateLimitExceeded || e instanceof DDoSProtection || e instanceof ExchangeNotAvailable) &&
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(e.message)
  );
}

/** Transient failures (ccxt OperationFailed) become our NETWORK error; everything else EXCHANGE. */
export function toQuantgateError(e: unknown, what: string): QuantgateError {
  if (e instanceof QuantgateError) return e;
  const code = e instanceof OperationFailed ? 'NETWORK' : 'EXCHANGE';
  return new QuantgateError(code, `${what}: ${describeError(e)}`);
}

/** Error for a host that cannot be reached, naming exchange and URL. */
export function unreachableError(
  exchangeId: ExchangeId,
  url: string | undefined,
  e: unknown,
): QuantgateError {
  const reason = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.exec(describeError(e))?.[0];
  return new QuantgateError(
    'NETWORK',
    `cannot reach ${exchangeId} at ${url ?? 'its default URL'}: ${reason ?? describeError(e)} ` +
      '(check the network, --rest-url or exchange.urls.rest)',
  );
}

/** Parses one ccxt OHLCV row; throws naming the series and the row when it is malformed. */
export function ohlcvRowToCandle(row: unknown, what: string): Candle {
  const v = Array.isArray(row) ? row.slice(0, 6).map((x) => (typeof x === 'number' ? x : Number(x))) : [];
  const problem =
    v.length < 6 ? 'expected [timestamp, open, high, low, close, volume]' : rowProblem(v, undefined);
  if (problem !== null)
    throw new QuantgateError(
      'EXCHANGE',
      `${what}: exchange sent a bad candle ${JSON.stringify(row)}: ${problem}`,
    );
  const [timestamp, open, high, low, close, volume] = v as [number, number, number, number, number, number];
  return { timestamp, open, high, low, close, volume };
}

async function withRetries<T>(
  fn: () => Promise<T>,
  opts: DownloadSeriesOptions,
  what: string,
  firstRequest: boolean,
  onRetry: () => void,
): Promise<T> {
  const max = Math.max(1, opts.maxAttempts ?? 6);
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (firstRequest && attempt === 1 && isUnreachable(e))
        throw unreachableError(opts.exchangeId, opts.url, e);
      if (!isRetryable(e) || attempt >= max)
        throw toQuantgateError(e, `${what} (attempt ${attempt} of ${max})`);
      const delay = backoffDelay(attempt - 1, opts.retryInitialMs ?? 1_000, opts.retryMaxMs ?? 30_000);
      opts.logger.warn({ err: describeError(e), attempt, delayMs: delay }, `${what}: retrying`);
      onRetry();
      await sleep(delay);
    }
  }
}

/** Keeps rows at or after `since`, closed by `now`, strictly increasing (exchanges may repeat the boundary row). */
function closedRows(page: readonly Candle[], since: number, now: number, tfMs: number): Candle[] {
  const out: Candle[] = [];
  for (const c of page)
    if (
      c.timestamp >= since &&
      c.timestamp + tfMs <= now &&
      c.timestamp > (out.at(-1)?.timestamp ?? -Infinity)
    )
      out.push(c);
  return out;
}

/**
 * Downloads one series into the CSV store: resumes after the last stored candle, pages forward
 * with `fetchOHLCV`, stores only closed candles and appends each page atomically, so an
 * interrupted download keeps every page it finished. Gaps on the exchange side stay gaps.
 */
export async function downloadSeries(opts: DownloadSeriesOptions): Promise<DownloadSeriesResult> {
  const tfMs = timeframeMs(opts.timeframe);
  const file = candlePath(opts.dataDir, opts.exchangeId, opts.timeframe, opts.symbol);
  const what = `${opts.exchangeId} ${opts.symbol} ${opts.timeframe}`;
  const stored = lastStoredTimestamp(file);
  const limit = opts.limit ?? DEFAULT_LIMIT[opts.exchangeId];
  let since = stored === undefined ? opts.since : Math.max(opts.since, stored + tfMs);
  let added = 0;
  let requests = 0;
  let retries = 0;
  for (;;) {
    const now = opts.now();
    if (since + tfMs > now) break;
    const rows = await withRetries(
      () => opts.exchange.fetchOHLCV(opts.symbol, opts.timeframe, since, limit),
      opts,
      what,
      requests === 0,
      () => retries++,
    );
    requests++;
    const page = rows.map((r) => ohlcvRowToCandle(r, what));
    const closed = closedRows(page, since, now, tfMs);
    if (closed.length > 0) {
      added += appendCandles(file, closed);
      opts.onProgress?.({ added, last: closed[closed.length - 1].timestamp });
    }
    const newest = page.reduce((m, c) => Math.max(m, c.timestamp), -Infinity);
    // A page with nothing at or after `since` means the exchange has no more history for us.
    if (newest < since) break;
    since = newest + tfMs;
  }
  const candles = existsSync(file) ? readCandleFile(file).candles : [];
  const result: DownloadSeriesResult = {
    file,
    added,
    first: candles[0]?.timestamp,
    last: candles.at(-1)?.timestamp,
    gaps: findGaps(candles, opts.timeframe),
    requests,
    retries,
  };
  opts.logger.info(
    { series: what, file, added, requests, retries, gaps: result.gaps.length },
    'download finished',
  );
  return result;
}
