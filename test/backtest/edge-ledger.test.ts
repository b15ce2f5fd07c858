import { describe, expect, it } from 'vitest';
import { edgeLedger, ledgerEntries } from '../../src/backtest/edge-ledger.ts';
import type { TradeRecord } from '../../src/backtest/types.ts';
import type { Signal } from '../../src/core/types.ts';

const M5 = 300_000;
function signal(symbol: string, t: number, pWin: number, edge: number): Signal {
  return {
    exchange: 'binance',
    symbol,
    timestamp: t,
    action: 'open',
    direction: 'long',
    confidence: pWin,
    riskReward: 1,
    pWin,
    expectedEdgeBps: edge,
    size: 1,
    price: 100,
    takeProfit: 101,
    stopLoss: 99,
    modelVersions: {},
    reason: '',
  };
}
function trade(symbol: string, entryTime: number, pnl: number, exitReason: string): TradeRecord {
  return {
    symbol,
    timeframe: '5m',
    direction: 'long',
    entryTime,
    exitTime: entryTime + 10 * M5,
    entryPrice: 100,
    exitPrice: 100 + pnl,
    quantity: 1,
    pnl,
    fees: 0.2,
    funding: 0,
    predictedRiskReward: 1,
    stopLoss: 99,
    exitReason,
  };
}

describe('edge ledger', () => {
  it('joins each trade to its opening signal (same symbol, decided before the fill)', () => {
    const signals = [signal('A', 0, 0.55, 10), signal('B', 0, 0.75, 40), signal('A', 20 * M5, 0.65, 25)];
    // A's first trade fills at the open after candle 0 closes; a later signal must not be used.
    const trades = [
      trade('A', M5, 1, 'take_profit'),
      trade('B', M5, -1, 'stop_loss'),
      trade('A', 21 * M5, 0.5, 'signal_close'),
    ];
    const e = ledgerEntries(trades, signals, '5m');
    expect(e.map((x) => x.pWin)).toEqual([0.55, 0.75, 0.65]);
    expect(e.map((x) => x.won)).toEqual([true, false, false]);
    expect(e[0].realisedBps).toBeCloseTo(100, 9); // pnl 1 on notional 100
  });

  it('buckets P(win), realised win rate and expected vs realised bps on known inputs', () => {
    const entries = [
      { pWin: 0.52, expectedEdgeBps: 10, won: true, realisedBps: 90 },
      { pWin: 0.58, expectedEdgeBps: 20, won: false, realisedBps: -110 },
      { pWin: 0.71, expectedEdgeBps: 50, won: true, realisedBps: 100 },
      { pWin: 1, expectedEdgeBps: 70, won: true, realisedBps: 120 },
    ];
    const l = edgeLedger(entries);
    expect(l.trades).toBe(4);
    expect(l.buckets.map((b) => [b.lo, b.count])).toEqual([
      [0.5, 2],
      [0.7, 1],
      [0.9, 1],
    ]);
    expect(l.buckets[0].meanPWin).toBeCloseTo(0.55, 12);
    expect(l.buckets[0].realisedWinRate).toBe(0.5);
    expect(l.buckets[0].meanExpectedEdgeBps).toBe(15);
    expect(l.buckets[0].meanRealisedBps).toBe(-10);
    expect(l.realisedWinRate).toBe(0.75);
    const expected = 0.52 + 0.58 + 0.71 + 1;
    const sd = Math.sqrt(0.52 * 0.48 + 0.58 * 0.42 + 0.71 * 0.29);
    expect(l.winZ).toBeCloseTo((3 - expected) / sd, 12);
  });

  it('an empty ledger says so (no figures from nothing)', () => {
    const l = edgeLedger([]);
    expect(l).toMatchObject({ trades: 0, buckets: [], meanPWin: null, winZ: null });
  });
});
