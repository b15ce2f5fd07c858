import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClosedCandle } from '../../src/core/index.ts';
import { SecretRedactor, silentLogger } from '../../src/core/index.ts';
import {
  CcxtBroker,
  createCcxtExchange,
  newClientOrderId,
  pointPrivateApi,
} from '../../src/exchange/index.ts';
import { Runtime, StateFile, liveExecutor, signedQty } from '../../src/runtime/index.ts';
import { marketCanShort } from '../../src/app/index.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import { installHyperliquidOrders } from '../../src/simulator/orders-hyperliquid.ts';
import { START, fixtureCandles } from '../simulator/helpers.ts';
import { RuleStrategy } from '../runtime/harness.ts';

const TMP = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PERPS = { 'BTC/USDC:USDC': 'BTCUSDT', 'ETH/USDC:USDC': 'ETHUSDT' } as const;
const SYMBOLS = Object.keys(PERPS) as Array<keyof typeof PERPS>;
const FEE = 0.00035;

async function setup() {
  const series = SYMBOLS.map((symbol) => ({
    exchange: 'hyperliquid' as const,
    symbol,
    timeframe: '5m' as const,
    candles: fixtureCandles('5m', PERPS[symbol]),
  }));
  const sim = await startSimExchange({ series, startTime: START });
  const acct = installHyperliquidOrders(sim, { balances: { USDC: 100_000 }, feeRate: FEE });
  sim.advance();
  const urls = simUrls(sim, 'hyperliquid');
  const logger = silentLogger();
  const ex = await createCcxtExchange({
    exchange: 'hyperliquid',
    market: 'swap',
    urls,
    rateLimit: false,
    timeoutMs: 5000,
    logger,
    credentials: {
      walletAddress: `0x${randomBytes(20).toString('hex')}`,
      privateKey: `0x${randomBytes(32).toString('hex')}`,
    },
  });
  pointPrivateApi(ex, 'hyperliquid', urls.rest);
  await ex.loadMarkets();
  const broker = new CcxtBroker({
    exchange: ex,
    exchangeId: 'hyperliquid',
    logger,
    redactor: new SecretRedactor([]),
    queryDelayMs: 20,
  });
  return { sim, acct, ex, broker, series };
}

describe('CcxtBroker shorts on Hyperliquid perps (local simulator)', () => {
  it('the runtime opens shorts with sells and closes them with reduce-only buys; positions equal the exchange’s', async () => {
    const { sim, acct, ex, broker, series } = await setup();
    try {
      expect(SYMBOLS.every((s) => marketCanShort(ex, s))).toBe(true);
      const dir = mkdtempSync(join(TMP, 'qg-hl-shorts-'));
      dirs.push(dir);
      const strategy = new RuleStrategy();
      strategy.mode = 'both';
      const runtime = new Runtime({
        exchange: 'hyperliquid',
        executionTimeframe: '5m',
        plugin: strategy,
        executor: liveExecutor(broker, FEE),
        store: new StateFile(dir, new SecretRedactor([])),
        clock: sim.clock,
        logger: silentLogger(),
        startingCash: 100_000,
        canShort: (s) => marketCanShort(ex, s),
      });
      await runtime.start();
      const closed = (symbol: string, t: number): ClosedCandle => {
        const c = series.find((s) => s.symbol === symbol)!.candles.find((k) => k.timestamp === t)!;
        return { ...c, exchange: 'hyperliquid', symbol, timeframe: '5m' };
      };
      for (let i = 0; i < 120; i++) {
        sim.advance();
        const t = Math.floor(sim.now / 300_000) * 300_000 - 300_000;
        for (const s of SYMBOLS) await runtime.onCandle(closed(s, t));
      }
      await runtime.stop();
      const st = runtime.snapshot;
      const filled = acct.orders.filter((o) => o.filled > 0);
      const shortOpens = st.trades.filter((t) => t.kind === 'open' && t.side === 'sell' && t.qty > 0);
      const shortCloses = st.trades.filter((t) => t.kind !== 'open' && t.side === 'buy' && t.qty > 0);
      expect(shortOpens.length).toBeGreaterThanOrEqual(3);
      expect(shortCloses.length).toBeGreaterThanOrEqual(2);
      // Every close reached the exchange as reduce-only, every open without the flag.
      const byId = new Map(filled.map((o) => [o.clientOrderId, o]));
      for (const t of st.trades.filter((x) => x.qty > 0))
        expect(byId.get(t.clientOrderId)?.reduceOnly === true, `${t.kind} ${t.side}`).toBe(t.kind !== 'open');
      // The exchange's signed positions are the runtime's.
      for (const s of SYMBOLS) {
        const base = s.split('/')[0];
        const p = st.positions[s];
        expect(acct.balance(base).free, s).toBeCloseTo(p ? signedQty(p) : 0, 9);
      }
      expect(st.decisions.skipped.short_not_supported_on_spot ?? 0).toBe(0);
    } finally {
      await sim.close();
    }
  }, 120_000);

  it('a reduce-only order that would open or grow a position is refused', async () => {
    const { sim, broker } = await setup();
    try {
      const price = sim.lastPrice('hyperliquid', 'BTC/USDC:USDC')!;
      const order = (side: 'buy' | 'sell', reduceOnly: boolean) =>
        broker.submit({
          clientOrderId: newClientOrderId(),
          symbol: 'BTC/USDC:USDC',
          side,
          type: 'market',
          amount: 0.01,
          price,
          reduceOnly,
        });
      // Flat: a reduce-only sell would open a short.
      expect((await order('sell', true)).state).toBe('rejected');
      expect((await order('sell', false)).state).toBe('filled');
      // Short 0.01: a reduce-only sell would grow it; a reduce-only buy closes it.
      expect((await order('sell', true)).state).toBe('rejected');
      expect((await order('buy', true)).state).toBe('filled');
      // Flat again: a second reduce-only buy would open a long.
      expect((await order('buy', true)).state).toBe('rejected');
    } finally {
      await sim.close();
    }
  }, 60_000);
});
