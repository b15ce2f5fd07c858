import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { QuantgateError } from '../core/errors.ts';
import type { Candle, ExchangeId, Timeframe } from '../core/types.ts';
import { findGaps, rowProblem } from './csv-store.ts';
import type { ReadOptions, ReadResult } from './csv-store.ts';
import { readFeatherColumns } from './feather.ts';

/** Freqtrade's file stem of a pair: BTC/USDT → BTC_USDT, BTC/USDC:USDC → BTC_USDC_USDC. */
export function freqtradePair(symbol: string): string {
  return symbol.replace(/[/:]/g, '_');
}

/**
 * Where Freqtrade keeps one series, in the order they are tried: `<dir>/<exchange>/` (its
 * `user_data/data` layout) then `<dir>/` itself (data.dir pointed at `user_data/data/<exchange>`);
 * feather (its default), then json and json.gz. Perpetuals (`BTC/USDC:USDC`) live in `futures/`
 * with a `-futures` suffix.
 */
export function freqtradePaths(
  dataDir: string,
  exchange: ExchangeId,
  timeframe: Timeframe,
  symbol: string,
): string[] {
  const pair = freqtradePair(symbol);
  const swap = symbol.includes(':');
  const name = swap ? `${pair}-${timeframe}-futures` : `${pair}-${timeframe}`;
  const dirs = [join(dataDir, exchange), dataDir].map((d) => (swap ? join(d, 'futures') : d));
  return dirs.flatMap((d) => ['feather', 'json', 'json.gz'].map((ext) => join(d, `${name}.${ext}`)));
}

function invalid(path: string, why: string, row?: number): QuantgateError {
  return new QuantgateError('DATA_INVALID', `${path}${row === undefined ? '' : `: row ${row}`}: ${why}`, {
    file: path,
    ...(row === undefined ? {} : { row }),
  });
}

/** The rows of a Freqtrade json candle file: `[[open_time_ms, open, high, low, close, volume], …]`. */
function jsonRows(path: string, bytes: Buffer): { rows: number; row(i: number): number[] } {
  let text: string;
  try {
    text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (e) {
    throw invalid(path, `not a readable gzip file (${(e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw invalid(path, `not valid JSON, truncated? (${(e as Error).message.slice(0, 120)})`);
  }
  if (!Array.isArray(doc))
    throw invalid(path, 'expected a JSON array of [timestamp, open, high, low, close, volume] rows');
  const rows = doc as unknown[];
  return {
    rows: rows.length,
    // A malformed row is handed on as it is: the shared row check names it (or skips it).
    row: (i) => {
      const r = rows[i];
      return Array.isArray(r) ? r.map((x) => (typeof x === 'number' ? x : NaN)) : [];
    },
  };
}

/**
 * Reads and validates one Freqtrade candle file (feather, json or json.gz) with the CSV store's
 * rules: strictly increasing open times, OHLC consistency, finite non-negative numbers. A bad row
 * is an error naming the file and row (1-based), or is skipped and counted with `skipBadRows`.
 */
export function readFreqtradeFile(path: string, opts: ReadOptions = {}): ReadResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new QuantgateError(
      'DATA_MISSING',
      `${path}: cannot read candle file (${code ?? 'unknown error'})`,
      {
        file: path,
      },
    );
  }
  const src = path.endsWith('.feather') ? readFeatherColumns(path, bytes) : jsonRows(path, bytes);
  const candles: Candle[] = [];
  let skipped = 0;
  let prev: number | undefined;
  for (let i = 0; i < src.rows; i++) {
    const v = src.row(i);
    const problem = rowProblem(v, prev);
    if (problem !== null) {
      if (opts.skipBadRows) {
        skipped++;
        continue;
      }
      throw invalid(path, problem, i + 1);
    }
    prev = v[0];
    if (opts.from !== undefined && v[0] < opts.from) continue;
    if (opts.to !== undefined && v[0] >= opts.to) continue;
    candles.push({ timestamp: v[0], open: v[1], high: v[2], low: v[3], close: v[4], volume: v[5] });
  }
  return { candles, skipped, gaps: opts.timeframe ? findGaps(candles, opts.timeframe) : [] };
}

/** The first Freqtrade file of a series that exists, or undefined. */
export function findFreqtradeFile(
  dataDir: string,
  exchange: ExchangeId,
  timeframe: Timeframe,
  symbol: string,
): string | undefined {
  return freqtradePaths(dataDir, exchange, timeframe, symbol).find((p) => existsSync(p));
}
