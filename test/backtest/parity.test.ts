import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeByCloseTime, runReplay, runtimeTarget } from '../../src/backtest/index.ts';
import { ManualClock, SecretRedactor, silentLogger } from '../../src/core/index.ts';
import type { Signal } from '../../src/core/index.ts';
import { CandleStream, createCcxtExchange } from '../../src/exchange/index.ts';
import { PaperExecutor, Runtime, StateFile } from '../../src/runtime/index.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import { START, fixtureCandles, waitFor } from '../simulator/helpers.ts';
import { RuleStrategy, SYMBOLS, lastClosed, processedAll, runtimeSeries } from '../runtime/harness.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const STEMS: Record<string, string> = { 'BTC/USDT': 'BTCUSDT', 'ETH/USDT': 'ETHUSDT', 'SOL/USDT': 'SOLUSDT' };
const FEE = 0.001;
const SLIPPAGE_BPS = 2;
const CASH = 100_000;
// 16 hours from 00:00 UTC: the 08:00 and 16:00 funding instants.
const STEPS = 192;
/** Perp funding per 8 h (paper and backtest charge it through the same runtime code). */
const RATE = 0.0001;

/**
 * Paper trading live (simulator → real ccxt → CandleStream → Runtime → PaperExecutor) and the
 * backtest (CSV candles → close-time replay → the same Runtime) on the same candles must make the
 * same decisions, send the same orders and get the same fills.
 */
describe('parity: live runtime (paper, via the local exchange) vs backtest', () => {
  it('identical signals, orders (longs and shorts), fills, funding and equity over 16 hours on 3 symbols', async () => {
    const logger = silentLogger();
    // ---- live ---------------------------------------------------------------------------
    const sim = await startSimExchange({ series: runtimeSeries(), startTime: START });
    sim.advance();
    const urls = simUrls(sim, 'binance');
    const ex = await createCcxtExchange({
      exchange: 'binance',
      market: 'spot',
      urls,
      rateLimit: false,
      timeoutMs: 2000,
      logger,
    });
    // Longs and shorts, as on a perp market (both sides are told the market can short).
    const liveStrategy = new RuleStrategy();
    liveStrategy.mode = 'both';
    const dir = mkdtempSync(join(tmpdir(), 'qg-parity-'));
    dirs.push(dir);
    const ref: { rt?: Runtime } = {};
    const runtime = new Runtime({
      exchange: 'binance',
      executionTimeframe: '5m',
      plugin: liveStrategy,
      executor: new PaperExecutor(FEE, SLIPPAGE_BPS),
      store: new StateFile(dir, new SecretRedactor([])),
      clock: sim.clock,
      logger,
      startingCash: CASH,
      canShort: () => true,
      fundingRatePer8h: RATE,
    });
    ref.rt = runtime;
    await runtime.start();
    const stream = new CandleStream({
      exchange: 'binance',
      ccxt: ex,
      series: SYMBOLS.map((symbol) => ({ symbol, timeframe: '5m' as const })),
      clock: sim.clock,
      logger,
      warmupCandles: 300,
      closeGraceMs: 60_000,
      reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
      checkIntervalMs: 20,
    });
    stream.onCandle((c, info) => void runtime.onCandle(c, info));
    let warmEnd = 0;
    let lastLive = 0;
    try {
      await stream.start();
      const subscribed = () => sim.connections('binance').some((c) => c.subscriptions.size >= SYMBOLS.length);
      await waitFor(() => subscribed() && processedAll({ runtime }, lastClosed(sim)), 10_000, 'live warm-up');
      await runtime.idle();
      warmEnd = lastClosed(sim);
      for (let i = 0; i < STEPS; i++) {
        sim.advance();
        await waitFor(() => processedAll({ runtime }, lastClosed(sim)), 10_000, `live step ${i}`);
        await runtime.idle();
      }
      lastLive = lastClosed(sim);
    } finally {
      await stream.stop();
      await runtime.stop();
      await sim.close();
    }
    const live = runtime.snapshot;

    // ---- backtest -----------------------------------------------------------------------
    const series = SYMBOLS.map((symbol) => ({
      symbol,
      timeframe: '5m' as const,
      // The stream backfilled at most 300 candles up to warmEnd; the replay starts from the same ones.
      candles: [
        ...fixtureCandles('5m', STEMS[symbol])
          .filter((c) => c.timestamp <= warmEnd)
          .slice(-300),
        ...fixtureCandles('5m', STEMS[symbol]).filter(
          (c) => c.timestamp > warmEnd && c.timestamp <= lastLive,
        ),
      ],
    }));
    const events = mergeByCloseTime('binance', series);
    const clock = new ManualClock(0);
    const btStrategy = new RuleStrategy();
    btStrategy.mode = 'both';
    const target = await runtimeTarget({
      exchange: 'binance',
      executionTimeframe: '5m',
      plugin: btStrategy,
      clock,
      logger,
      startingBalance: CASH,
      feeRate: FEE,
      slippageBps: SLIPPAGE_BPS,
      fundingRatePer8h: RATE,
      canShort: () => true,
    });
    // Live, the stream's backfill (candles up to warmEnd) is history: the backtest warms the same.
    const warm = events.filter((e) => e.candle.timestamp <= warmEnd);
    for (const e of warm) {
      clock.set(Math.max(clock.now(), e.closeTime));
      await target.warm(e.candle);
    }
    const out = await runReplay(events.slice(warm.length), target, clock, { executionTimeframe: '5m' });
    const bt = target.runtime.snapshot;
    await target.close();

    // ---- same decisions, orders, fills -------------------------------------------------------
    expect(out.candles).toBe(STEPS * SYMBOLS.length);
    // Decisions after the warm-up (the runtime ignores signals on history); symbols closing at the
    // same instant may arrive in any order live, so compare in (time, symbol) order.
    const order = (xs: readonly Signal[]) =>
      xs
        .filter((x) => x.timestamp > warmEnd)
        .sort((a, b) => a.timestamp - b.timestamp || a.symbol.localeCompare(b.symbol));
    expect(out.signals.length).toBeGreaterThan(3);
    expect(order(out.signals)).toEqual(order(liveStrategy.signals));
    expect(order(btStrategy.signals)).toEqual(order(liveStrategy.signals));
    const key = (t: (typeof live.trades)[number]) => ({
      id: t.clientOrderId,
      kind: t.kind,
      qty: t.qty,
      price: t.price,
      fee: t.fee,
      t: t.candleTime,
    });
    expect(bt.trades.length).toBeGreaterThan(3);
    const byTime = (a: ReturnType<typeof key>, b: ReturnType<typeof key>) =>
      a.t - b.t || a.id.localeCompare(b.id);
    expect(bt.trades.map(key).sort(byTime)).toEqual(live.trades.map(key).sort(byTime));
    expect(out.fills.length).toBe(bt.trades.filter((t) => t.qty > 0).length);
    // Shorts were opened and closed, and funding was charged, on both sides alike.
    expect(bt.trades.some((t) => t.kind === 'open' && t.side === 'sell' && t.qty > 0)).toBe(true);
    expect(bt.trades.some((t) => t.kind !== 'open' && t.side === 'buy' && t.qty > 0)).toBe(true);
    expect(Math.abs(live.funding ?? 0)).toBeGreaterThan(0);
    expect(bt.funding).toBe(live.funding);
    expect(target.account.funding()).toBe(live.funding);
    expect(bt.realizedPnl).toBe(live.realizedPnl);
    expect(bt.cash).toBeCloseTo(live.cash, 9);
    expect(bt.positions).toEqual(live.positions);
    expect(bt.decisions).toEqual(live.decisions);
    expect(target.account.trades().length).toBe(
      bt.trades.filter((t) => t.kind !== 'open' && t.qty > 0).length,
    );
  }, 120_000);
});
