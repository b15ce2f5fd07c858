import type { Signal } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import type { Timeframe } from '../core/types.ts';
import type { EdgeLedger, LedgerBucket, LedgerEntry, TradeRecord } from './types.ts';

/**
 * Each trade's opening signal: the latest open signal of its symbol and direction decided on a
 * candle that closed no later than the entry fill. Trades opened by signals without a P(win)
 * (other plugins, older gates) are left out.
 */
export function ledgerEntries(
  trades: readonly TradeRecord[],
  signals: readonly Signal[],
  tf: Timeframe,
): LedgerEntry[] {
  const opens = new Map<string, Signal[]>();
  for (const s of signals) {
    if (s.action !== 'open' || s.pWin === undefined || s.expectedEdgeBps === undefined) continue;
    const key = `${s.symbol}|${s.direction}`;
    const list = opens.get(key) ?? [];
    list.push(s);
    opens.set(key, list);
  }
  const ms = timeframeMs(tf);
  const out: LedgerEntry[] = [];
  for (const t of trades) {
    const list = opens.get(`${t.symbol}|${t.direction}`) ?? [];
    let sig: Signal | undefined;
    for (const s of list) if (s.timestamp + ms <= t.entryTime) sig = s;
    if (!sig || sig.pWin === undefined || sig.expectedEdgeBps === undefined) continue;
    const notional = t.entryPrice * t.quantity;
    out.push({
      pWin: sig.pWin,
      expectedEdgeBps: sig.expectedEdgeBps,
      won: t.exitReason === 'take_profit',
      realisedBps: notional > 0 ? (t.pnl / notional) * 10_000 : 0,
    });
  }
  return out;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Take-profits against the promise: the realised win count, the sum of the promised P(win)s (its
 * expectation if they were right) and that Poisson-binomial count's variance. The backtest ledger
 * and the live monitor both judge the gate with these.
 */
export function promisedWins(entries: ReadonlyArray<Pick<LedgerEntry, 'pWin' | 'won'>>): {
  wins: number;
  expectedWins: number;
  variance: number;
} {
  let wins = 0;
  let expectedWins = 0;
  let variance = 0;
  for (const e of entries) {
    if (e.won) wins++;
    expectedWins += e.pWin;
    variance += e.pWin * (1 - e.pWin);
  }
  return { wins, expectedWins, variance };
}

/** Reliability of P(win) and expected vs realised edge, in `bins` equal-width P(win) buckets. */
export function edgeLedger(entries: readonly LedgerEntry[], bins = 10): EdgeLedger {
  const buckets: LedgerBucket[] = [];
  for (let b = 0; b < bins; b++) {
    const lo = b / bins;
    const hi = (b + 1) / bins;
    const xs = entries.filter((e) => e.pWin >= lo && (e.pWin < hi || (b === bins - 1 && e.pWin <= hi)));
    if (xs.length === 0) continue;
    buckets.push({
      lo,
      hi,
      count: xs.length,
      meanPWin: mean(xs.map((e) => e.pWin)),
      realisedWinRate: xs.filter((e) => e.won).length / xs.length,
      meanExpectedEdgeBps: mean(xs.map((e) => e.expectedEdgeBps)),
      meanRealisedBps: mean(xs.map((e) => e.realisedBps)),
    });
  }
  if (entries.length === 0)
    return {
      trades: 0,
      buckets,
      meanPWin: null,
      realisedWinRate: null,
      meanExpectedEdgeBps: null,
      meanRealisedBps: null,
      winZ: null,
    };
  const { wins, expectedWins, variance } = promisedWins(entries);
  return {
    trades: entries.length,
    buckets,
    meanPWin: expectedWins / entries.length,
    realisedWinRate: wins / entries.length,
    meanExpectedEdgeBps: mean(entries.map((e) => e.expectedEdgeBps)),
    meanRealisedBps: mean(entries.map((e) => e.realisedBps)),
    winZ: variance > 0 ? (wins - expectedWins) / Math.sqrt(variance) : null,
  };
}
