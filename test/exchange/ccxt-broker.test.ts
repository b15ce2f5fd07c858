import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../../src/core/index.ts';
import { QuantgateError, SecretRedactor, createLogger } from '../../src/core/index.ts';
import { createCcxtExchange } from '../../src/exchange/ccxt-factory.ts';
import {
  CcxtBroker,
  credentialsFromEnv,
  newClientOrderId,
  pointPrivateApi,
} from '../../src/exchange/ccxt-broker.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import type { SimServer } from '../../src/simulator/index.ts';
import { installBinanceOrders } from '../../src/simulator/orders-binance.ts';
import type { SimAccount } from '../../src/simulator/orders-binance.ts';
import { installHyperliquidOrders } from '../../src/simulator/orders-hyperliquid.ts';
import { START, fixtureCandles } from '../simulator/helpers.ts';

const CANARY_KEY = `canaryKEY${randomBytes(12).toString('hex')}`;
const CANARY_SECRET = `canarySECRET${randomBytes(12).toString('hex')}`;
const HL_KEY = `0x${randomBytes(32).toString('hex')}`;
const HL_WALLET = `0x${randomBytes(20).toString('hex')}`;

interface Setup {
  sim: SimServer;
  acct: SimAccount;
  broker: CcxtBroker;
  logText: () => string;
  btc: string;
  quote: string;
}

async function setup(exchange: ExchangeId): Promise<Setup> {
  const quote = exchange === 'binance' ? 'USDT' : 'USDC';
  const btc = `BTC/${quote}`;
  const eth = `ETH/${quote}`;
  const sim = await startSimExchange({
    series: [
      { exchange, symbol: btc, timeframe: '5m', candles: fixtureCandles('5m', 'BTCUSDT') },
      { exchange, symbol: eth, timeframe: '5m', candles: fixtureCandles('5m', 'ETHUSDT') },
    ],
    startTime: START,
  });
  const balances = { [quote]: 1_000_000, BTC: 1 };
  const acct =
    exchange === 'binance'
      ? installBinanceOrders(sim, { balances })
      : installHyperliquidOrders(sim, { balances: { ...balances, UBTC: 0 } });
  for (let i = 0; i < 3; i++) sim.advance();
  const lines: string[] = [];
  const redactor = new SecretRedactor([CANARY_KEY, CANARY_SECRET, HL_KEY]);
  const logger = createLogger({
    level: 'debug',
    redactor,
    destination: { write: (s: string) => lines.push(s) },
  });
  const urls = simUrls(sim, exchange);
  const ex = await createCcxtExchange({
    exchange,
    market: 'spot',
    urls,
    rateLimit: false,
    timeoutMs: 1000,
    logger,
    credentials:
      exchange === 'binance'
        ? { apiKey: CANARY_KEY, secret: CANARY_SECRET }
        : { walletAddress: HL_WALLET, privateKey: HL_KEY },
  });
  pointPrivateApi(ex, exchange, urls.rest);
  ex.timeout = 10_000;
  await ex.loadMarkets();
  // Short request timeout from here on, so the stalled responses below time out quickly.
  ex.timeout = 1000;
  const broker = new CcxtBroker({ exchange: ex, exchangeId: exchange, logger, redactor, queryDelayMs: 20 });
  return { sim, acct, broker, logText: () => lines.join(''), btc, quote };
}

/** Hyperliquid spot books BTC as its Unit token; the account keys it by the unified base. */
const baseBalance = (s: Setup) => s.acct.balance('BTC');

describe.each(['binance', 'hyperliquid'] as const)('CcxtBroker on %s (local simulator)', (exchange) => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(exchange);
  });
  afterAll(async () => {
    await s?.sim.close();
  });

  it('fills a market order at the last price and moves the balances', async () => {
    const price = s.sim.lastPrice(exchange, s.btc)!;
    const quoteBefore = s.acct.balance(s.quote).free;
    const baseBefore = baseBalance(s).free;
    const r = await s.broker.submit({
      clientOrderId: newClientOrderId(),
      symbol: s.btc,
      side: 'buy',
      type: 'market',
      amount: 0.01,
      price,
    });
    expect(r.message ?? r.state).toBe('filled');
    expect(r.filled).toBeCloseTo(0.01, 10);
    expect(r.averagePrice).toBeCloseTo(price, 6);
    expect(baseBalance(s).free - baseBefore).toBeCloseTo(0.01, 10);
    expect(quoteBefore - s.acct.balance(s.quote).free).toBeCloseTo(
      0.01 * price * (1 + (exchange === 'binance' ? 0.001 : 0.00035)),
      6,
    );
  });

  it('rests a limit order, lists it as open, cancels it by client id', async () => {
    const price = s.sim.lastPrice(exchange, s.btc)!;
    const id = newClientOrderId();
    const r = await s.broker.submit({
      clientOrderId: id,
      symbol: s.btc,
      side: 'buy',
      type: 'limit',
      amount: 0.01,
      price: Math.round(price * 0.5),
    });
    expect(r.state).toBe('open');
    const open = await s.broker.openOrders([s.btc]);
    expect(open.map((o) => o.clientOrderId)).toContain(id);
    const c = await s.broker.cancel(id, s.btc);
    expect(c?.state).toBe('canceled');
    expect((await s.broker.openOrders([s.btc])).map((o) => o.clientOrderId)).not.toContain(id);
  });

  it('maps an insufficient balance to a clear reject reason', async () => {
    const price = s.sim.lastPrice(exchange, s.btc)!;
    const r = await s.broker.submit({
      clientOrderId: newClientOrderId(),
      symbol: s.btc,
      side: 'sell',
      type: 'market',
      amount: 50,
      price,
    });
    expect(r.state).toBe('rejected');
    expect(r.rejectReason).toBe('insufficient_funds');
    expect(r.message).toBeTruthy();
  });

  it('reports a partial fill as partially_filled with the filled quantity', async () => {
    s.acct.faults.partials = 1;
    s.acct.faults.partialFraction = 0.4;
    const price = s.sim.lastPrice(exchange, s.btc)!;
    const r = await s.broker.submit({
      clientOrderId: newClientOrderId(),
      symbol: s.btc,
      side: 'buy',
      type: 'market',
      amount: 0.05,
      price,
    });
    expect(r.state).toBe('partially_filled');
    expect(r.filled).toBeCloseTo(0.02, 8);
    expect(r.remaining).toBeCloseTo(0.03, 8);
  });

  it('100 submissions with responses delayed past the timeout: 0 duplicate orders', async () => {
    const before = s.acct.orders.length;
    const ids = Array.from({ length: 100 }, () => newClientOrderId());
    // 80 accepted-then-stalled, 20 stalled-without-booking (those must be resubmitted exactly once).
    const results = [];
    for (let batch = 0; batch < 5; batch++) {
      s.acct.faults.stalls = 20;
      s.acct.faults.stallMs = 2000;
      s.acct.faults.stallAccepts = batch < 4;
      const price = s.sim.lastPrice(exchange, s.btc)!;
      results.push(
        ...(await Promise.all(
          ids.slice(batch * 20, batch * 20 + 20).map((clientOrderId) =>
            s.broker.submit({
              clientOrderId,
              symbol: s.btc,
              side: 'buy',
              type: 'market',
              amount: 0.001,
              price,
            }),
          ),
        )),
      );
    }
    const booked = s.acct.orders.slice(before);
    const perId = new Map<string, number>();
    for (const o of booked) perId.set(o.clientOrderId, (perId.get(o.clientOrderId) ?? 0) + 1);
    expect(booked.length).toBe(100);
    expect([...perId.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(perId.keys())).toEqual(new Set(ids));
    expect(results.every((r) => r.state === 'filled')).toBe(true);
    expect(results.filter((r) => r.recovered).length).toBe(80);
    // Asking again for the same client id returns the same order, never a new one.
    await s.broker.submit({
      clientOrderId: ids[0],
      symbol: s.btc,
      side: 'buy',
      type: 'market',
      amount: 0.001,
      price: 1,
    });
    expect(s.acct.orders.length).toBe(before + 100);
  }, 60_000);

  it('reconciles at start-up: the exchange wins and differences are reported', async () => {
    const price = s.sim.lastPrice(exchange, s.btc)!;
    const resting = newClientOrderId();
    await s.broker.submit({
      clientOrderId: resting,
      symbol: s.btc,
      side: 'buy',
      type: 'limit',
      amount: 0.01,
      price: Math.round(price * 0.5),
    });
    const ghost = newClientOrderId();
    const rep = await s.broker.reconcile({ openOrderIds: [ghost], balances: { [s.quote]: 1 } }, [s.btc]);
    expect(rep.openOrders.map((o) => o.clientOrderId)).toContain(resting);
    expect(rep.differences.some((d) => d.includes(ghost))).toBe(true);
    expect(rep.differences.some((d) => d.includes(resting))).toBe(true);
    expect(rep.differences.some((d) => d.startsWith(`balance ${s.quote}`))).toBe(true);
    expect(rep.balances[s.quote].total).toBeCloseTo(
      s.acct.balance(s.quote).free + s.acct.balance(s.quote).locked,
      4,
    );
  });

  it('never writes the API secrets into a log line', () => {
    const text = s.logText();
    expect(text.length).toBeGreaterThan(0);
    for (const v of [CANARY_KEY, CANARY_SECRET, HL_KEY]) expect(text).not.toContain(v);
  });
});

describe('credentials for --live', () => {
  it('refuses missing keys naming the environment variables', () => {
    let err: unknown;
    try {
      credentialsFromEnv('binance', { QUANTGATE_BINANCE_KEY: 'abcdefgh' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantgateError);
    expect((err as QuantgateError).code).toBe('SECRETS_MISSING');
    expect((err as QuantgateError).message).toContain('QUANTGATE_BINANCE_SECRET');
    expect((err as QuantgateError).message).not.toContain('abcdefgh');
    expect(() => credentialsFromEnv('hyperliquid', {})).toThrow(
      /QUANTGATE_HYPERLIQUID_WALLET and QUANTGATE_HYPERLIQUID_PRIVATE_KEY/,
    );
  });
});
