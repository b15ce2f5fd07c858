/**
 * Recomputes every trade of a backtest's `--trades FILE.csv` from its fills alone, with code that
 * shares nothing with the runtime: fees = quantity × price × taker fee on both fills; funding
 * (perps) = Σ sign × quantity × close × rate over the funding instants (00/08/16 UTC) the position
 * was held at, each marked at the close of the first 5m candle closing at or after it (5m
 * execution candles: the CSV's times are the closes of the candles the fills were booked on);
 * PnL = sign × quantity × (exit − entry) − fees − funding. Prints the largest differences and
 * exits 1 when any trade differs by more than the tolerance, so a bookkeeping bug in the runtime
 * (fees, funding or short PnL) cannot hide behind a plausible total.
 *
 * Usage: npx tsx scripts/recompute-trades.ts --trades T.csv --data-dir DIR --taker-fee F
 *          [--funding-rate R] [--exchange binance] [--result result.json] [--tolerance 1e-6]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const EIGHT_HOURS = 8 * 3_600_000;
const FIVE_MINUTES = 300_000;

export interface Trade {
  n: number;
  symbol: string;
  side: 'long' | 'short';
  entryTime: number;
  exitTime: number;
  entryPrice: number;
  exitPrice: number;
  quantity: number;
  fees: number;
  funding: number;
  pnl: number;
}

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`recompute-trades: --${name} is required`);
  return v;
}

/** The rows of a `--trades` CSV. */
export function parseTrades(csv: string): Trade[] {
  const [head, ...lines] = csv.trim().split('\n');
  const cols = head!.split(',');
  const at = (row: string[], k: string): string => row[cols.indexOf(k)] ?? '';
  // The trade CSV quotes no field of these columns (symbols hold no comma).
  return lines.map((l) => {
    const r = l.split(',');
    return {
      n: Number(at(r, 'n')),
      symbol: at(r, 'symbol'),
      side: at(r, 'side') === 'short' ? 'short' : 'long',
      entryTime: Date.parse(at(r, 'entryTime')),
      exitTime: Date.parse(at(r, 'exitTime')),
      entryPrice: Number(at(r, 'entryPrice')),
      exitPrice: Number(at(r, 'exitPrice')),
      quantity: Number(at(r, 'quantity')),
      fees: Number(at(r, 'fees')),
      funding: Number(at(r, 'funding') || 0),
      pnl: Number(at(r, 'pnl')),
    };
  });
}

/** Close times (ascending) and close prices of one symbol's 5m candles. */
export interface Closes {
  readonly times: readonly number[];
  readonly prices: readonly number[];
}

/** The store layout <dir>/<exchange>/5m/<BTCUSDT>.csv. */
export function readCloses(dataDir: string, exchange: string, symbol: string): Closes {
  const stem = symbol.replace(/[/:]/g, '');
  const text = readFileSync(join(dataDir, exchange, '5m', `${stem}.csv`), 'utf8');
  const times: number[] = [];
  const prices: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    if (!line) continue;
    const f = line.split(',');
    times.push(Number(f[0]) + FIVE_MINUTES);
    prices.push(Number(f[4]));
  }
  return { times, prices };
}

/** Price of the first candle closing at or after `t` (binary search). */
function closeAtOrAfter(s: Closes, t: number): number {
  let lo = 0;
  let hi = s.times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= s.times.length)
    throw new Error(`recompute-trades: no candle closes at or after ${new Date(t).toISOString()}`);
  return s.prices[lo]!;
}

export interface Recomputed {
  readonly trades: number;
  readonly longs: number;
  readonly shorts: number;
  readonly pnl: number;
  readonly fees: number;
  /** Paid (negative: received), longs and shorts apart. */
  readonly fundingLongs: number;
  readonly fundingShorts: number;
  readonly reportedPnl: number;
  /** The largest absolute difference between a reported and a recomputed per-trade figure. */
  readonly worst: { readonly n: number; readonly field: string; readonly diff: number };
}

/** Recomputes `trades` from their fills; `closesOf` gives a symbol's 5m closes. */
export function recomputeTrades(
  trades: readonly Trade[],
  opts: { takerFee: number; fundingRate: number; closesOf: (symbol: string) => Closes },
): Recomputed {
  const series = new Map<string, Closes>();
  let worst = { n: 0, field: '', diff: 0 };
  const sum = { pnl: 0, fees: 0, longs: 0, shorts: 0, fundingLongs: 0, fundingShorts: 0, reported: 0 };
  for (const t of trades) {
    const sign = t.side === 'long' ? 1 : -1;
    const fees = t.quantity * (t.entryPrice + t.exitPrice) * opts.takerFee;
    let funding = 0;
    if (opts.fundingRate !== 0) {
      if (!series.has(t.symbol)) series.set(t.symbol, opts.closesOf(t.symbol));
      const s = series.get(t.symbol)!;
      // The CSV's times are the closes of the candles the fills were booked on; paper fills
      // (entries, and exits after a take-profit, stop or close signal) happen at that candle's
      // open. An instant is the position's when it falls after the entry fill and no later than
      // the exit fill.
      const entry = t.entryTime - FIVE_MINUTES;
      const first = Math.floor(entry / EIGHT_HOURS) * EIGHT_HOURS + EIGHT_HOURS;
      for (let i = first; i <= t.exitTime - FIVE_MINUTES; i += EIGHT_HOURS)
        funding += sign * t.quantity * closeAtOrAfter(s, i) * opts.fundingRate;
    }
    const pnl = sign * t.quantity * (t.exitPrice - t.entryPrice) - fees - funding;
    const checks: ReadonlyArray<readonly [string, number, number]> = [
      ['fees', fees, t.fees],
      ['funding', funding, t.funding],
      ['pnl', pnl, t.pnl],
    ];
    for (const [field, mine, theirs] of checks) {
      const diff = Math.abs(mine - theirs);
      if (diff > worst.diff) worst = { n: t.n, field, diff };
    }
    sum.pnl += pnl;
    sum.fees += fees;
    sum.reported += t.pnl;
    if (sign > 0) {
      sum.longs++;
      sum.fundingLongs += funding;
    } else {
      sum.shorts++;
      sum.fundingShorts += funding;
    }
  }
  return {
    trades: trades.length,
    longs: sum.longs,
    shorts: sum.shorts,
    pnl: sum.pnl,
    fees: sum.fees,
    fundingLongs: sum.fundingLongs,
    fundingShorts: sum.fundingShorts,
    reportedPnl: sum.reported,
    worst,
  };
}

function main(): void {
  const dataDir = arg('data-dir');
  const exchange = arg('exchange', 'binance');
  const tol = Number(arg('tolerance', '1e-6'));
  const r = recomputeTrades(parseTrades(readFileSync(arg('trades'), 'utf8')), {
    takerFee: Number(arg('taker-fee')),
    fundingRate: Number(arg('funding-rate', '0')),
    closesOf: (symbol) => readCloses(dataDir, exchange, symbol),
  });
  const out: Record<string, unknown> = { ...r };
  if (process.argv.includes('--result')) {
    const res = JSON.parse(readFileSync(arg('result'), 'utf8')) as Record<string, unknown>;
    const m = (res.metrics ?? res) as Record<string, unknown>;
    out.result = Object.fromEntries(
      ['startingBalance', 'finalEquity', 'totalReturn', 'fees', 'funding', 'trades'].map((k) => [k, m[k]]),
    );
  }
  console.log(JSON.stringify(out, null, 2));
  if (r.worst.diff > tol) {
    console.error(`recompute-trades: trade ${r.worst.n} ${r.worst.field} differs by ${r.worst.diff}`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
