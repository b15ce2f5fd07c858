import { describe, expect, it } from 'vitest';
import type { ClosedCandle } from '../../src/core/types.ts';
import { PaperExecutor } from '../../src/runtime/index.ts';

const candle = (timestamp: number, open: number, symbol = 'BTC/USDT'): ClosedCandle => ({
  exchange: 'binance',
  symbol,
  timeframe: '5m',
  timestamp,
  open,
  high: open * 1.01,
  low: open * 0.99,
  close: open * 1.005,
  volume: 1,
});
const order = (id: string, side: 'buy' | 'sell' = 'buy', symbol = 'BTC/USDT') => ({
  clientOrderId: id,
  symbol,
  side,
  type: 'market' as const,
  amount: 2,
  price: 100,
});

describe('PaperExecutor', () => {
  it('accepts a market order and fills it at the next candle open of its symbol, with slippage and fee', async () => {
    const ex = new PaperExecutor(0.001, 10);
    const r = await ex.submit(order('0x1'));
    expect(r.state).toBe('open');
    expect(r.filled).toBe(0);
    ex.onCandle(candle(300_000, 50, 'ETH/USDT')); // another symbol: nothing happens
    expect((await ex.fetch('0x1'))?.state).toBe('open');
    ex.onCandle(candle(300_000, 101));
    const f = await ex.fetch('0x1');
    expect(f?.state).toBe('filled');
    expect(f?.averagePrice).toBeCloseTo(101 * 1.001, 9);
    expect(f?.fee).toBeCloseTo(2 * 101 * 1.001 * 0.001, 9);
    const s = await ex.submit(order('0x2', 'sell'));
    expect(s.state).toBe('open');
    ex.onCandle(candle(600_000, 102));
    expect((await ex.fetch('0x2'))?.averagePrice).toBeCloseTo(102 * 0.999, 9);
  });

  it('is idempotent by client order id and survives snapshot/restore while an order waits', async () => {
    const ex = new PaperExecutor(0.001, 0);
    await ex.submit(order('0xa'));
    expect((await ex.submit(order('0xa'))).state).toBe('open');
    const copy = new PaperExecutor(0.001, 0);
    copy.restore(JSON.parse(JSON.stringify(ex.snapshot())));
    copy.onCandle(candle(300_000, 99));
    expect((await copy.fetch('0xa'))?.averagePrice).toBe(99);
    expect((await copy.submit(order('0xa'))).state).toBe('filled');
  });

  it('rejects a non-positive amount', async () => {
    const r = await new PaperExecutor(0.001, 0).submit({ ...order('0xz'), amount: 0 });
    expect(r.state).toBe('rejected');
    expect(r.rejectReason).toBe('invalid_order');
  });
});
