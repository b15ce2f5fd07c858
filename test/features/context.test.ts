import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { featuresSchema } from '../../src/config/index.ts';
import type { FeaturesConfig } from '../../src/config/index.ts';
import type { QuantgateError } from '../../src/core/errors.ts';
import { timeframeMs } from '../../src/core/types.ts';
import type { Candle, Timeframe } from '../../src/core/types.ts';
import {
  assertContextStreamed,
  computeFeatures,
  ContextSeries,
  contextPlanFor,
  createIncrementalFeatures,
  featureNames,
  featureSpec,
  marketReferenceFor,
} from '../../src/features/index.ts';
import type { FeatureContextCandles } from '../../src/features/index.ts';
import { fixtureCandles, parseCandles, sameBits, shortFeatures } from './support.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const daily = (symbol: string): Candle[] =>
  parseCandles(
    readFileSync(join(HERE, '..', 'fixtures', 'candles', 'binance', '1d', `${symbol}.csv`), 'utf8'),
  );

/** Short base features plus both context groups at short spans (so the 41-day 5m fixture has many rows). */
const contextFeatures = (): FeaturesConfig =>
  featuresSchema.parse({
    ...shortFeatures(),
    overrides: undefined,
    marketContext: { enabled: true, returnLags: [1, 6], volatilityWindow: 12 },
    higherTimeframes: { enabled: true, timeframes: ['1h', '1d'], returnLags: [1, 3], volatilityWindow: 5 },
  });

interface Fixture {
  readonly eth5: Candle[];
  readonly btc5: Candle[];
  readonly eth1h: Candle[];
  readonly eth1d: Candle[];
}

const fixture = (): Fixture => ({
  eth5: fixtureCandles('5m', 'ETHUSDT'),
  btc5: fixtureCandles('5m', 'BTCUSDT'),
  eth1h: fixtureCandles('1h', 'ETHUSDT'),
  eth1d: daily('ETHUSDT'),
});

const contextOf = (f: Fixture): FeatureContextCandles => ({
  market: f.btc5,
  higher: { '1h': f.eth1h, '1d': f.eth1d },
});

type Order = 'context first' | 'context last';

/**
 * What a live plugin does: every candle in close-time order, same-instant candles in the given
 * order, each context candle pushed twice (a host hands it to `prepare` and then to `onCandle`).
 */
function stream(f: Fixture, cfg: FeaturesConfig, order: Order): Float32Array {
  const spec = featureSpec('5m', cfg);
  const market = new ContextSeries(spec.market!);
  const higher = spec.higher.map((h) => new ContextSeries(h));
  const inc = createIncrementalFeatures('5m', cfg, { market, higher });
  const w = inc.names.length;
  type Ev = { t: number; ctx: ContextSeries | null; c: Candle; i: number };
  const evs: Ev[] = [
    ...f.eth5.map((c, i) => ({ t: c.timestamp + 300_000, ctx: null, c, i })),
    ...f.btc5.map((c) => ({ t: c.timestamp + 300_000, ctx: market, c, i: -1 })),
    ...f.eth1h.map((c) => ({ t: c.timestamp + 3_600_000, ctx: higher[0], c, i: -1 })),
    ...f.eth1d.map((c) => ({ t: c.timestamp + 86_400_000, ctx: higher[1], c, i: -1 })),
  ];
  const rank = (e: Ev): number => (e.ctx === null ? 1 : 0) * (order === 'context first' ? 1 : -1);
  evs.sort((a, b) => a.t - b.t || rank(a) - rank(b));
  const out = new Float32Array(f.eth5.length * w).fill(NaN);
  for (const e of evs) {
    if (e.ctx) {
      e.ctx.push(e.c);
      e.ctx.push(e.c);
    } else {
      const row = inc.push(e.c);
      if (row) out.set(row, e.i * w);
    }
  }
  return out;
}

function validRows(m: { rows: Float32Array; length: number; names: readonly string[] }): number {
  const w = m.names.length;
  let n = 0;
  for (let i = 0; i < m.length; i++) if (Number.isFinite(m.rows[i * w + w - 1])) n++;
  return n;
}

describe('market context and higher-timeframe features', () => {
  const cfg = contextFeatures();

  it('appends mkt_ and htf_ columns after the own features, names carrying their spans', () => {
    const names = featureNames('5m', cfg);
    expect(names.slice(-9)).toEqual([
      'mkt_ret_1',
      'mkt_ret_6',
      'mkt_lvol_12',
      'htf_1h_ret_1',
      'htf_1h_ret_3',
      'htf_1h_lvol_5',
      'htf_1d_ret_1',
      'htf_1d_ret_3',
      'htf_1d_lvol_5',
    ]);
    // A timeframe not longer than the row's own adds nothing: 1h rows get only the 1d context.
    expect(featureNames('1h', cfg).filter((n) => n.startsWith('htf_'))).toEqual([
      'htf_1d_ret_1',
      'htf_1d_ret_3',
      'htf_1d_lvol_5',
    ]);
    // Off by default: the default feature list has neither group.
    expect(featureNames('5m', featuresSchema.parse({})).some((n) => /^(mkt|htf)_/.test(n))).toBe(false);
  });

  it('streaming == batch bit for bit on real ETH/BTC 5m, 1h, 1d candles, whatever the same-instant order', () => {
    const f = fixture();
    const batch = computeFeatures(f.eth5, '5m', cfg, contextOf(f));
    expect(validRows(batch)).toBeGreaterThan(10_000);
    for (const order of ['context first', 'context last'] as const)
      expect(sameBits(stream(f, cfg, order), batch.rows), order).toBe(true);
  });

  it('the reference symbol reads its own previous row (BTC rows are valid and lag themselves by one candle)', () => {
    const btc = fixtureCandles('5m', 'BTCUSDT');
    const m = computeFeatures(btc, '5m', cfg, {
      market: btc,
      higher: { '1h': fixtureCandles('1h', 'BTCUSDT'), '1d': daily('BTCUSDT') },
    });
    const w = m.names.length;
    const ret1 = m.names.indexOf('ret_1');
    const mkt1 = m.names.indexOf('mkt_ret_1');
    let checked = 0;
    for (let i = m.firstValid + 1; i < m.length; i++) {
      if (!Number.isFinite(m.rows[i * w]) || !Number.isFinite(m.rows[(i - 1) * w])) continue;
      if (btc[i].timestamp - btc[i - 1].timestamp !== 300_000) continue;
      expect(m.rows[i * w + mkt1]).toBe(m.rows[(i - 1) * w + ret1]);
      checked++;
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it("no look-ahead: changing any BTC, 1h or 1d candle closing at or after a row's close never changes that row", () => {
    const f = fixture();
    const full = computeFeatures(f.eth5, '5m', cfg, contextOf(f));
    const w = full.names.length;
    for (const k of [3000, 7000, 11_000]) {
      const closeK = f.eth5[k].timestamp + 300_000;
      const bump = (cs: Candle[], tf: Timeframe): Candle[] =>
        cs.map((c) =>
          c.timestamp + timeframeMs(tf) >= closeK
            ? { ...c, open: c.open * 1.3, high: c.high * 1.5, low: c.low * 0.9, close: c.close * 1.2 }
            : c,
        );
      const changed = computeFeatures(f.eth5, '5m', cfg, {
        market: bump(f.btc5, '5m'),
        higher: { '1h': bump(f.eth1h, '1h'), '1d': bump(f.eth1d, '1d') },
      });
      expect(
        sameBits(changed.rows.subarray(0, (k + 1) * w), full.rows.subarray(0, (k + 1) * w)),
        `cut ${k}`,
      ).toBe(true);
      // The perturbation is visible later (so this test can fail).
      expect(sameBits(changed.rows.subarray((k + 1) * w), full.rows.subarray((k + 1) * w))).toBe(false);
    }
  });

  it('as-of boundary: a 1h candle opening 10:00 is invisible to the 5m rows closing up to 11:00, visible from 11:05', () => {
    const f = fixture();
    const names = featureNames('5m', cfg);
    const col = names.indexOf('htf_1h_ret_1');
    const w = names.length;
    // A 5m candle opening 10:55 (closes 11:00), well after the warm-ups.
    const i = f.eth5.findIndex(
      (c, j) =>
        j > 2000 &&
        new Date(c.timestamp).getUTCHours() === 10 &&
        new Date(c.timestamp).getUTCMinutes() === 55,
    );
    const open10 = f.eth5[i].timestamp - 55 * 60_000;
    const h = f.eth1h.findIndex((c) => c.timestamp === open10);
    expect(h).toBeGreaterThan(0);
    const full = computeFeatures(f.eth5, '5m', cfg, contextOf(f));
    const eth1h = f.eth1h.map((c, j) => (j === h ? { ...c, close: c.close * 1.01, high: c.high * 1.01 } : c));
    const changed = computeFeatures(f.eth5, '5m', cfg, {
      ...contextOf(f),
      higher: { '1h': eth1h, '1d': f.eth1d },
    });
    // Rows closing ≤ 11:00 (the 10:55 candle and before) do not see it …
    expect(sameBits(changed.rows.subarray(0, (i + 1) * w), full.rows.subarray(0, (i + 1) * w))).toBe(true);
    // … the row closing 11:05 does: its 1h return is the 10:00 candle's.
    expect(changed.rows[(i + 1) * w + col]).not.toBe(full.rows[(i + 1) * w + col]);
    expect(changed.rows[(i + 1) * w + col]).toBeCloseTo(Math.log(eth1h[h].close / eth1h[h - 1].close), 6);
  });

  it('same-instant market candle: BTC closing with ETH is invisible to that ETH row, visible to the next', () => {
    const f = fixture();
    const names = featureNames('5m', cfg);
    const col = names.indexOf('mkt_ret_1');
    const w = names.length;
    const i = 5000;
    const b = f.btc5.findIndex((c) => c.timestamp === f.eth5[i].timestamp);
    const btc5 = f.btc5.map((c, j) => (j === b ? { ...c, close: c.close * 1.01, high: c.high * 1.01 } : c));
    const full = computeFeatures(f.eth5, '5m', cfg, contextOf(f));
    const changed = computeFeatures(f.eth5, '5m', cfg, { ...contextOf(f), market: btc5 });
    expect(sameBits(changed.rows.subarray(0, (i + 1) * w), full.rows.subarray(0, (i + 1) * w))).toBe(true);
    expect(changed.rows[(i + 1) * w + col]).toBeCloseTo(Math.log(btc5[b].close / btc5[b - 1].close), 6);
  });

  it('a missing reference row blanks the row instead of serving a stale value', () => {
    const f = fixture();
    const w = featureNames('5m', cfg).length;
    const i = 6000;
    // BTC stops two candles before row i closes: rows from i on have no fresh enough reference.
    const cut = f.btc5.filter((c) => c.timestamp + 300_000 < f.eth5[i].timestamp - 300_000);
    const m = computeFeatures(f.eth5, '5m', cfg, { ...contextOf(f), market: cut });
    expect(Number.isFinite(m.rows[(i - 2) * w])).toBe(true);
    expect(Number.isFinite(m.rows[i * w])).toBe(false);
  });
});

describe('context configuration', () => {
  const cfg = contextFeatures();

  it('resolves the reference from the configured symbols (BTC/USDT spot, BTC/USDC:USDC perps)', () => {
    expect(marketReferenceFor('5m', cfg, ['ETH/USDT', 'BTC/USDT'])).toBe('BTC/USDT');
    expect(marketReferenceFor('5m', cfg, ['ETH/USDC:USDC', 'BTC/USDC:USDC'])).toBe('BTC/USDC:USDC');
    const explicit = featuresSchema.parse({ marketContext: { enabled: true, symbol: 'ETH/USDT' } });
    expect(marketReferenceFor('5m', explicit, ['BTC/USDT', 'ETH/USDT'])).toBe('ETH/USDT');
    expect(marketReferenceFor('5m', featuresSchema.parse({}), ['SOL/USDT'])).toBeNull();
  });

  it('fails naming the key when there is no reference or it is not streamed', () => {
    const err = (fn: () => unknown): QuantgateError => {
      try {
        fn();
      } catch (e) {
        return e as QuantgateError;
      }
      throw new Error('expected an error');
    };
    const none = err(() => marketReferenceFor('5m', cfg, ['ETH/USDT', 'SOL/USDT']));
    expect(none.code).toBe('CONFIG_INVALID');
    expect(none.message).toContain('features.marketContext.symbol');
    const explicit = featuresSchema.parse({ ...cfg, marketContext: { enabled: true, symbol: 'BTC/USDT' } });
    const plan = contextPlanFor('ETH/USDT', '5m', explicit, ['ETH/USDT']);
    const notStreamed = err(() => assertContextStreamed(plan, ['ETH/USDT'], ['5m', '1h', '1d']));
    expect(notStreamed.message).toContain('features.marketContext.symbol');
    const noDaily = err(() =>
      assertContextStreamed(contextPlanFor('BTC/USDT', '5m', cfg, ['BTC/USDT']), ['BTC/USDT'], ['5m', '1h']),
    );
    expect(noDaily.code).toBe('CONFIG_INVALID');
    expect(noDaily.message).toContain('features.higherTimeframes.timeframes: 1d is not streamed');
  });

  it('refuses to compute context columns without their series', () => {
    expect(() => computeFeatures(fixtureCandles('5m', 'ETHUSDT'), '5m', cfg)).toThrow(/market reference/);
    expect(() => createIncrementalFeatures('5m', cfg)).toThrow(/marketContext/);
  });
});
