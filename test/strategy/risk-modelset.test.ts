import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { ModelSet } from '../../src/strategy/index.ts';
import { FakeForecaster, forecast } from './support.ts';
import { RiskManager } from '../../src/runtime/index.ts';

const risk = parseConfig({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } }).risk;
const DAY = 86_400_000;
const T0 = Date.UTC(2021, 5, 1, 10);
const entry = (over: Partial<Parameters<RiskManager['checkEntry']>[0]> = {}) => ({
  now: T0,
  symbol: 'BTC/USDT',
  price: 100,
  quantity: 5,
  equity: 10_000,
  openPositions: 0,
  symbolNotional: 0,
  totalNotional: 0,
  ...over,
});

describe('RiskManager', () => {
  it('halts on the daily loss limit until the next UTC day', () => {
    const r = new RiskManager(risk, silentLogger(), 10_000, T0);
    expect(r.update(T0 + 1000, 9_600)).toBe('ACTIVE');
    expect(r.update(T0 + 2000, 9_400)).toBe('HALTED'); // 6 % > 5 %
    const v = r.checkEntry(entry());
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toBe('risk_halted');
    expect(r.update(T0 + 3 * 3_600_000, 9_500)).toBe('HALTED'); // same UTC day
    expect(r.update(Math.floor(T0 / DAY) * DAY + DAY + 60_000, 9_500)).toBe('ACTIVE');
  });

  it('a manual halt survives the day change until resume()', () => {
    const r = new RiskManager(risk, silentLogger(), 10_000, T0);
    r.halt();
    expect(r.update(T0 + 2 * DAY, 10_000)).toBe('HALTED');
    r.resume();
    expect(r.state).toBe('ACTIVE');
  });

  it('reduces sizes past the max drawdown and recovers at half of it', () => {
    const r = new RiskManager({ ...risk, dailyLossLimit: 1 }, silentLogger(), 10_000, T0);
    r.update(T0, 12_000);
    expect(r.update(T0 + DAY, 10_000)).toBe('REDUCING'); // 16.7 % from the 12k peak
    const v = r.checkEntry(entry({ quantity: 4 }));
    expect(v.ok && v.quantity).toBeCloseTo(2);
    expect(r.update(T0 + 2 * DAY, 11_500)).toBe('ACTIVE'); // 4.2 % < 7.5 %
  });

  it('enforces max positions, notional caps and the order rate', () => {
    const r = new RiskManager(risk, silentLogger(), 10_000, T0);
    const full = r.checkEntry(entry({ openPositions: 3 }));
    expect(!full.ok && full.reason).toBe('max_positions');
    const capped = r.checkEntry(entry({ quantity: 50, symbolNotional: 1_500 }));
    expect(capped.ok && capped.quantity).toBeCloseTo(5); // 500 of room at price 100
    const none = r.checkEntry(entry({ totalNotional: 5_000 }));
    expect(!none.ok && none.reason).toBe('max_notional');
    for (let i = 0; i < risk.maxOrdersPerMinute; i++) r.recordOrder(T0 - 1000);
    const rate = r.checkEntry(entry());
    expect(!rate.ok && rate.reason).toBe('order_rate');
    expect(r.checkEntry(entry({ now: T0 + 60_000 })).ok).toBe(true);
  });

  it('an operator pause refuses new entries only, survives a snapshot and is lifted by resume()', () => {
    const r = new RiskManager(risk, silentLogger(), 10_000, T0);
    r.pause();
    const v = r.checkEntry(entry());
    expect(!v.ok && v.reason).toBe('paused');
    // The state machine keeps running underneath (exits never pass through checkEntry).
    expect(r.update(T0 + 1000, 10_000)).toBe('ACTIVE');
    const r2 = new RiskManager(risk, silentLogger(), 1, 0);
    r2.restore(JSON.parse(JSON.stringify(r.snapshot())));
    expect(r2.paused).toBe(true);
    r2.resume();
    expect(r2.paused).toBe(false);
    expect(r2.checkEntry(entry()).ok).toBe(true);
    // A state saved before the flag existed is not paused.
    const { paused: _omit, ...old } = r.snapshot();
    r2.restore(old);
    expect(r2.paused).toBe(false);
  });

  it('snapshot/restore round-trips', () => {
    const r = new RiskManager(risk, silentLogger(), 10_000, T0);
    r.update(T0 + 1, 9_000);
    const r2 = new RiskManager(risk, silentLogger(), 1, 0);
    r2.restore(JSON.parse(JSON.stringify(r.snapshot())));
    expect(r2.snapshot()).toEqual(r.snapshot());
  });
});

describe('ModelSet', () => {
  const f = (v: string) => new FakeForecaster(v, '5m', [], 1, () => forecast({}));
  const input = [{ symbol: 'BTC/USDT', features: new Float32Array(1) }];

  it('a swap takes effect only at the next candle boundary and frees the old model', () => {
    const a = f('a');
    const b = f('b');
    const set = new ModelSet(silentLogger(), { '5m': a });
    set.swap('5m', b);
    expect(set.predict('5m', input)?.[0].modelVersion).toBe('a');
    set.beginCandle();
    expect(set.predict('5m', input)?.[0].modelVersion).toBe('b');
    expect(a.disposed).toBe(true);
    expect(b.disposed).toBe(false);
  });

  it('falls back to the baseline when the model is missing or throws', () => {
    const base = f('baseline:rq');
    const broken = new FakeForecaster('broken', '5m', [], 1, () => {
      throw new Error('boom');
    });
    const set = new ModelSet(silentLogger(), { '5m': broken }, { '5m': base, '1h': base });
    expect(set.predict('5m', input)?.[0].modelVersion).toBe('baseline:rq');
    expect(set.predict('1h', input)?.[0].modelVersion).toBe('baseline:rq');
    expect(set.fallbackCount).toBe(2);
    expect(new ModelSet(silentLogger()).predict('5m', input)).toBeNull();
  });
});
