import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PaperBroker } from '../../src/exchange/paper-broker.ts';
import type { PaperBrokerOptions } from '../../src/exchange/paper-broker.ts';
import type { BrokerFill, BrokerOrderRequest } from '../../src/exchange/broker.ts';
import { QuantgateError } from '../../src/core/errors.ts';

const S = 'BTC/USDT';
const opts: PaperBrokerOptions = {
  startingBalance: 10_000,
  quoteCurrency: 'USDT',
  slippageBps: 10,
  takerFee: 0.001,
  makerFee: 0.0005,
};
const H = 3_600_000;

function candle(i: number, open: number, high: number, low: number, close: number) {
  return { symbol: S, timestamp: i * H, open, high, low, close };
}
function id(n: number): string {
  return `0x${n.toString(16).padStart(32, '0')}`;
}
function req(n: number, r: Partial<BrokerOrderRequest>): BrokerOrderRequest {
  return { clientOrderId: id(n), symbol: S, side: 'buy', type: 'market', amount: 1, ...r };
}

describe('PaperBroker fills', () => {
  it('fills a market order at the NEXT candle open plus slippage, with the taker fee', async () => {
    const b = new PaperBroker(opts);
    b.onCandle(candle(0, 100, 110, 90, 105));
    await b.submit(req(1, { amount: 2 }));
    expect(b.positionList()).toEqual([]); // nothing at the close it was decided on
    const fills = b.onCandle(candle(1, 106, 108, 104, 107));
    expect(fills).toHaveLength(1);
    const price = 106 * 1.001;
    expect(fills[0]!.price).toBeCloseTo(price, 10);
    expect(fills[0]!.fee).toBeCloseTo(2 * price * 0.001, 10);
    const [bal] = Object.values(await b.balances());
    expect(bal!.total).toBeCloseTo(10_000 - 2 * price * 1.001, 8);
    expect(b.equity()).toBeCloseTo(10_000 - 2 * price * 1.001 + 2 * 107, 8);
    const sell = await b.submit(req(2, { side: 'sell', amount: 2, reduceOnly: true }));
    expect(sell.state).toBe('open');
    expect(b.onCandle(candle(2, 110, 111, 109, 110))[0]!.price).toBeCloseTo(110 * 0.999, 10);
  });

  it('fills a limit order only when the range reaches it, at the maker fee and at the open if it gapped better', async () => {
    const b = new PaperBroker(opts);
    b.onCandle(candle(0, 100, 101, 99, 100));
    await b.submit(req(1, { type: 'limit', price: 95 }));
    expect(b.onCandle(candle(1, 100, 102, 96, 97))).toEqual([]);
    const [f] = b.onCandle(candle(2, 97, 98, 94, 96));
    expect(f).toMatchObject({ price: 95, liquidity: 'maker' });
    expect(f!.fee).toBeCloseTo(95 * 0.0005, 12);
    await b.submit(req(2, { type: 'limit', side: 'sell', price: 99, reduceOnly: true }));
    expect(b.onCandle(candle(3, 101, 102, 100, 101))[0]!.price).toBe(101); // opened above the limit
  });

  it.each([
    ['take-profit only', candle(2, 100, 111, 99, 110), 'tp', 110],
    ['stop only', candle(2, 100, 101, 94, 95), 'sl', 95 * 0.999],
    ['both in one candle: stop first (pessimistic)', candle(2, 100, 112, 94, 111), 'sl', 95 * 0.999],
    ['gap through the stop: fills at the open', candle(2, 90, 92, 88, 91), 'sl', 90 * 0.999],
  ] as const)('bracket exit, %s', async (_name, exitCandle, which, price) => {
    const b = new PaperBroker(opts);
    b.onCandle(candle(0, 100, 101, 99, 100));
    await b.submit(req(1, { bracket: { takeProfit: 110, stopLoss: 95 } }));
    b.onCandle(candle(1, 100, 101, 99.5, 100)); // entry at the open, neither exit touched
    expect(await b.openOrders(S)).toHaveLength(2);
    const fills = b.onCandle(exitCandle);
    expect(fills).toHaveLength(1);
    expect(fills[0]!.price).toBeCloseTo(price, 10);
    expect(fills[0]!.liquidity).toBe(which === 'tp' ? 'maker' : 'taker');
    expect(await b.openOrders(S)).toEqual([]); // the sibling was cancelled (one-cancels-other)
    expect(b.positionList()[0]!.amount).toBe(0);
  });

  it('exits of an entry can trigger inside the entry candle', async () => {
    const b = new PaperBroker(opts);
    b.onCandle(candle(0, 100, 101, 99, 100));
    await b.submit(req(1, { bracket: { takeProfit: 110, stopLoss: 95 } }));
    const fills = b.onCandle(candle(1, 100, 101, 94, 96));
    expect(fills.map((f) => f.side)).toEqual(['buy', 'sell']);
  });

  it('short bracket mirrored: stop above, take-profit below', async () => {
    const b = new PaperBroker(opts);
    b.onCandle(candle(0, 100, 101, 99, 100));
    await b.submit(req(1, { side: 'sell', bracket: { takeProfit: 90, stopLoss: 105 } }));
    b.onCandle(candle(1, 100, 101, 99, 100));
    const [f] = b.onCandle(candle(2, 100, 106, 89, 100));
    expect(f).toMatchObject({ side: 'buy', liquidity: 'taker' });
    expect(f!.price).toBeCloseTo(105 * 1.001, 10);
  });
});

describe('PaperBroker orders and state', () => {
  it('is idempotent per client order id: the same id twice is one order and one fill', async () => {
    const b = new PaperBroker(opts);
    b.onCandle(candle(0, 100, 101, 99, 100));
    const first = await b.submit(req(7, {}));
    const second = await b.submit(req(7, { amount: 5 }));
    expect(second).toBe(first);
    expect(b.onCandle(candle(1, 100, 101, 99, 100))).toHaveLength(1);
    expect(b.positionList()[0]!.amount).toBe(1);
  });

  it('rejects a malformed client id, an impossible bracket and an unaffordable buy', async () => {
    const b = new PaperBroker(opts);
    expect(() => b.submit(req(1, { clientOrderId: 'abc' }))).toThrow(QuantgateError);
    const bad = await b.submit(req(2, { bracket: { takeProfit: 90, stopLoss: 95 } }));
    expect(bad.state).toBe('rejected');
    expect(bad.rejectReason).toContain('stopLoss < takeProfit');
    await b.submit(req(3, { amount: 1000 }));
    b.onCandle(candle(0, 100, 101, 99, 100));
    const [o] = [...b.snapshot().orders].filter((x) => x.clientOrderId === id(3));
    expect(o).toMatchObject({ state: 'rejected', rejectReason: 'insufficient_funds' });
    expect((await b.cancel(id(3)))!.state).toBe('rejected');
  });

  it('cancels an open order and emits order updates and fills to listeners', async () => {
    const b = new PaperBroker(opts);
    const states: string[] = [];
    const fills: BrokerFill[] = [];
    b.onOrderUpdate((o) => states.push(`${o.clientOrderId.slice(-1)}:${o.state}`));
    const off = b.onFill((f) => fills.push(f));
    await b.submit(req(1, { type: 'limit', price: 50 }));
    await b.cancel(id(1));
    b.onCandle(candle(0, 100, 101, 40, 100));
    await b.submit(req(2, {}));
    b.onCandle(candle(1, 100, 101, 99, 100));
    off();
    await b.submit(req(3, { side: 'sell', reduceOnly: true }));
    b.onCandle(candle(2, 100, 101, 99, 100));
    expect(states).toEqual(['1:open', '1:canceled', '2:open', '2:filled', '3:open', '3:filled']);
    expect(fills.map((f) => f.clientOrderId)).toEqual([id(2)]);
  });
});

describe('PaperBroker PnL on real candles', () => {
  const rows = readFileSync(new URL('../fixtures/candles/binance/1h/BTCUSDT.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .slice(1, 401)
    .map((l, i) => {
      const [, o, h, lo, c] = l.split(',').map(Number);
      return candle(i, o!, h!, lo!, c!);
    });

  /** Every 7th candle: a bracketed entry alternating long/short, sized from the close. */
  async function drive(b: PaperBroker, from: number, to: number, fills: BrokerFill[]): Promise<void> {
    for (let i = from; i < to; i++) {
      const c = rows[i]!;
      fills.push(...b.onCandle(c));
      if (i % 7 === 0 && (await b.openOrders(S)).length === 0) {
        const long = (i / 7) % 2 === 0;
        const side = long ? 'buy' : 'sell';
        const bracket = long
          ? { takeProfit: c.close * 1.01, stopLoss: c.close * 0.99 }
          : { takeProfit: c.close * 0.99, stopLoss: c.close * 1.01 };
        await b.submit({ clientOrderId: id(i + 1), symbol: S, side, type: 'market', amount: 0.05, bracket });
      }
    }
  }

  it('equity and per-symbol PnL equal a recomputation from the fills alone', async () => {
    const b = new PaperBroker(opts);
    const fills: BrokerFill[] = [];
    await drive(b, 0, rows.length, fills);
    expect(fills.length).toBeGreaterThan(40);
    let cash = opts.startingBalance;
    let amount = 0;
    for (const f of fills) {
      const q = f.side === 'buy' ? f.amount : -f.amount;
      cash -= q * f.price + f.fee;
      amount += q;
      const rate = f.liquidity === 'maker' ? opts.makerFee : opts.takerFee;
      expect(f.fee).toBeCloseTo(f.amount * f.price * rate, 10);
    }
    const last = rows.at(-1)!.close;
    const expected = cash + amount * last;
    expect(b.equity()).toBeCloseTo(expected, 6);
    const [p] = b.positionList();
    expect(p!.amount).toBeCloseTo(amount, 12);
    expect(p!.realisedPnl + p!.unrealisedPnl).toBeCloseTo(expected - opts.startingBalance, 6);
  });

  it('snapshot → JSON → restore mid-run continues exactly like an uninterrupted run', async () => {
    const straight = new PaperBroker(opts);
    await drive(straight, 0, rows.length, []);
    const first = new PaperBroker(opts);
    await drive(first, 0, 200, []);
    const resumed = PaperBroker.restore(opts, JSON.parse(JSON.stringify(first.snapshot())));
    await drive(resumed, 200, rows.length, []);
    expect(resumed.snapshot()).toEqual(straight.snapshot());
  });
});
