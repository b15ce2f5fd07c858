import { describe, expect, it } from 'vitest';
import { momentumCurve } from '../../src/backtest/momentum-reference.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2021, 0, 1);
/** Hourly closes (close times) following a daily log-return path. */
function hourly(dailyLogReturn: (day: number) => number, days: number, start = 100) {
  const out: Array<{ t: number; close: number }> = [];
  let price = start;
  for (let d = 0; d < days; d++)
    for (let h = 1; h <= 24; h++) {
      price *= Math.exp(dailyLogReturn(d) / 24);
      out.push({ t: T0 + d * DAY + h * 3_600_000, close: price });
    }
  return out;
}
const opts = { startingBalance: 1000, fee: 0.001, slippage: 0.0002, lookbackDays: 20, allowShort: false };

describe('20-day time-series momentum reference', () => {
  it('flat until the lookback is known, then long in an up-trend, paying one fee and slippage', () => {
    const ps = hourly(() => 0.01, 40);
    const r = momentumCurve(
      { X: ps },
      ps.map((p) => p.t),
      opts,
    );
    // Before day 21 has begun the rule cannot know a 20-day return: all cash.
    const beforeKnown = r.curve.filter((p) => p.t <= T0 + 21 * DAY);
    expect(beforeKnown.every((p) => p.equity === 1000 && p.exposure === 0)).toBe(true);
    // Entered at the first close after day 20 (index 0 = day 0) ended, held to the end.
    const entry = ps.find((p) => p.t > T0 + 21 * DAY)!;
    const qty = 1000 / (1 + opts.fee) / (entry.close * (1 + opts.slippage));
    const last = ps[ps.length - 1];
    expect(r.curve[r.curve.length - 1].equity).toBeCloseTo(qty * last.close, 6);
    expect(r.switches).toBe(1);
    expect(r.fees).toBeCloseTo((1000 / (1 + opts.fee)) * opts.fee, 9);
  });

  it('exits to cash when the trend turns; shorts only where allowed (perps)', () => {
    const ps = hourly((d) => (d < 30 ? 0.01 : -0.02), 70);
    const spot = momentumCurve(
      { X: ps },
      ps.map((p) => p.t),
      opts,
    );
    const perp = momentumCurve(
      { X: ps },
      ps.map((p) => p.t),
      { ...opts, allowShort: true },
    );
    const end = (r: typeof spot) => r.curve[r.curve.length - 1];
    expect(end(spot).exposure).toBe(0); // long, then flat
    expect(spot.switches).toBe(2);
    expect(perp.switches).toBe(3); // long, close, short
    expect(end(perp).equity).toBeGreaterThan(end(spot).equity); // the short earned in the down-trend
  });

  it('no look-ahead: cutting the future changes no earlier equity', () => {
    const ps = hourly((d) => Math.sin(d / 5) * 0.02, 80);
    const full = momentumCurve(
      { X: ps, Y: ps.map((p) => ({ ...p, close: p.close * 2 })) },
      ps.map((p) => p.t),
      opts,
    );
    const cut = ps.slice(0, 1000);
    const part = momentumCurve(
      { X: cut, Y: cut.map((p) => ({ ...p, close: p.close * 2 })) },
      cut.map((p) => p.t),
      opts,
    );
    expect(part.curve).toEqual(full.curve.slice(0, part.curve.length));
  });
});
