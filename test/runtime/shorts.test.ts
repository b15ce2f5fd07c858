import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClosedCandle } from '../../src/core/index.ts';
import { SecretRedactor, silentLogger } from '../../src/core/index.ts';
import { PaperExecutor, Runtime, StateFile, equityOf } from '../../src/runtime/index.ts';
import type { RuntimeState, TradeRecord } from '../../src/runtime/index.ts';
import { FEE, RuleStrategy, SYMBOLS, runtimeSeries } from './harness.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(TMP, 'qg-shorts-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const RATE = 0.0001;
const CASH = 100_000;
const series = runtimeSeries();
// 25 hours of 5m candles from 12:00 UTC: three funding instants.
const TIMES = series[0].candles.map((c) => c.timestamp).slice(0, 300);
// The state is fsynced after every candle: on a memory file system that costs nothing.
const TMP = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const closed = (symbol: string, t: number): ClosedCandle => {
  const c = series.find((s) => s.symbol === symbol)!.candles.find((k) => k.timestamp === t)!;
  return { ...c, exchange: 'binance', symbol, timeframe: '5m' };
};

async function run(
  canShort: boolean,
  fundingRatePer8h: number,
): Promise<{ st: RuntimeState; strategy: RuleStrategy; unrealized: number }> {
  const strategy = new RuleStrategy();
  strategy.mode = 'both';
  const runtime = new Runtime({
    exchange: 'binance',
    executionTimeframe: '5m',
    plugin: strategy,
    executor: new PaperExecutor(FEE, 2),
    store: new StateFile(tempDir(), new SecretRedactor([])),
    clock: { now: () => 0 },
    logger: silentLogger(),
    startingCash: CASH,
    canShort: canShort ? () => true : undefined,
    fundingRatePer8h,
  });
  await runtime.start();
  for (const t of TIMES) for (const s of SYMBOLS) await runtime.onCandle(closed(s, t));
  await runtime.stop();
  return { st: runtime.snapshot, strategy, unrealized: runtime.status().unrealizedPnl };
}

/**
 * Cash, realised PnL and funding recomputed from the fills and the candles alone: each round trip
 * is an open and the close after it; funding at every 00/08/16 UTC instant the position was held
 * over, on qty × that instant's close, longs paying and shorts receiving.
 */
function recompute(trades: readonly TradeRecord[]): { cash: number; realized: number; funding: number } {
  let cash = CASH;
  let realized = 0;
  let funding = 0;
  const open = new Map<string, TradeRecord>();
  const fundingOf = (o: TradeRecord, closeDecided: number): number => {
    let f = 0;
    const heldFrom = o.candleTime + 300_000;
    for (
      let t = Math.floor(heldFrom / 28_800_000) * 28_800_000 + 28_800_000;
      t <= closeDecided;
      t += 28_800_000
    ) {
      const mark = closed(o.symbol, t - 300_000).close;
      f += (o.side === 'sell' ? -1 : 1) * o.qty * mark * RATE;
    }
    return f;
  };
  for (const t of trades) {
    if (!(t.qty > 0)) continue;
    if (t.kind === 'open') {
      cash += (t.side === 'buy' ? -1 : 1) * t.qty * t.price - t.fee;
      open.set(t.symbol, t);
      continue;
    }
    const o = open.get(t.symbol)!;
    const sign = o.side === 'buy' ? 1 : -1;
    // Funding is charged through the close of the candle the position was still held on.
    const f = fundingOf(o, t.candleTime + 300_000);
    cash += sign * t.qty * t.price - t.fee - f;
    realized += sign * (t.price - o.price) * t.qty - o.fee - t.fee - f;
    funding += f;
    open.delete(t.symbol);
  }
  for (const o of open.values()) {
    const f = fundingOf(o, TIMES[TIMES.length - 1] + 300_000);
    cash -= f;
    funding += f;
  }
  return { cash, realized, funding };
}

describe('shorts and funding (perps, paper)', () => {
  it('SELL signals open shorts, mirrored TP/SL close them, funding is charged; PnL equals a recomputation from the fills', async () => {
    const { st, strategy, unrealized } = await run(true, RATE);
    const fills = st.trades.filter((t) => t.qty > 0);
    const shortsOpened = fills.filter((t) => t.kind === 'open' && t.side === 'sell');
    const shortsClosed = fills.filter((t) => t.kind !== 'open' && t.side === 'buy');
    const longsOpened = fills.filter((t) => t.kind === 'open' && t.side === 'buy');
    expect(shortsOpened.length).toBeGreaterThanOrEqual(5);
    expect(longsOpened.length).toBeGreaterThanOrEqual(5);
    expect(shortsClosed.map((t) => t.kind)).toEqual(expect.arrayContaining(['take_profit', 'stop_loss']));
    expect(shortsOpened.every((t) => t.direction === 'short')).toBe(true);
    expect(shortsClosed.every((t) => t.direction === 'short')).toBe(true);
    expect(st.decisions.skipped.short_not_supported_on_spot ?? 0).toBe(0);
    // Mirrored levels: a short's take-profit is touched by a low at or below it, its stop by a high
    // at or above it (the exit then fills at the next open).
    for (const c of shortsClosed) {
      const o = [...shortsOpened]
        .reverse()
        .find((x) => x.symbol === c.symbol && x.candleTime < c.candleTime)!;
      const sig = strategy.signals.find((x) => x.symbol === o.symbol && x.timestamp === o.candleTime)!;
      expect(sig.takeProfit).toBeLessThan(sig.price);
      expect(sig.stopLoss).toBeGreaterThan(sig.price);
      const k = closed(c.symbol, c.candleTime);
      if (c.kind === 'take_profit') expect(k.low).toBeLessThanOrEqual(sig.takeProfit);
      if (c.kind === 'stop_loss') expect(k.high).toBeGreaterThanOrEqual(sig.stopLoss);
    }
    const r = recompute(st.trades);
    expect(st.funding).toBeDefined();
    expect(Math.abs(st.funding!)).toBeGreaterThan(0);
    expect(st.funding!).toBeCloseTo(r.funding, 9);
    expect(st.cash).toBeCloseTo(r.cash, 6);
    expect(st.realizedPnl).toBeCloseTo(r.realized, 6);
    // Equity marks shorts negatively: cash + Σ ±qty × last price.
    let eq = st.cash;
    for (const p of Object.values(st.positions))
      eq += (p.direction === 'short' ? -1 : 1) * p.qty * st.lastPrices[p.symbol];
    expect(equityOf(st)).toBeCloseTo(eq, 9);
    // Unrealised PnL of what is still open, shorts gaining when the price falls.
    let u = 0;
    for (const p of Object.values(st.positions))
      u +=
        (p.direction === 'short'
          ? p.entryPrice - st.lastPrices[p.symbol]
          : st.lastPrices[p.symbol] - p.entryPrice) * p.qty;
    expect(unrealized).toBeCloseTo(u, 9);
  });

  it('on spot (no market that can short) every SELL entry is refused, whatever the flag', async () => {
    const { st } = await run(false, 0);
    expect(st.trades.filter((t) => t.side === 'sell' && t.kind === 'open')).toEqual([]);
    expect(st.decisions.skipped.short_not_supported_on_spot).toBeGreaterThan(5);
    expect(st.funding ?? 0).toBe(0);
  });
});
