import type { PricePoint } from './buy-and-hold.ts';
import type { EquityPoint } from './types.ts';

const DAY_MS = 86_400_000;

export interface MomentumOptions {
  readonly startingBalance: number;
  /** Taker fee per side and slippage (fractions), the same as the strategy pays. */
  readonly fee: number;
  readonly slippage: number;
  /** Days of the time-series momentum lookback (20 by default in the reports). */
  readonly lookbackDays: number;
  /** Perps: short while the lookback return is negative; spot: flat. */
  readonly allowShort: boolean;
}

/** The UTC day a close time belongs to: a close exactly at midnight ends the day before. */
function dayOf(closeTime: number): number {
  return Math.floor((closeTime - 1) / DAY_MS);
}

interface Sleeve {
  cash: number;
  qty: number;
  fees: number;
  trades: number;
}

/** Moves a sleeve to `target` (+1 long, 0 flat, −1 short) at `price`, paying fee and slippage. */
function rebalance(s: Sleeve, target: number, price: number, o: MomentumOptions): void {
  const current = Math.sign(s.qty);
  if (current === target) return;
  if (s.qty !== 0) {
    // Close: a long sells below, a short buys back above the price.
    const fill = s.qty > 0 ? price * (1 - o.slippage) : price * (1 + o.slippage);
    const notional = Math.abs(s.qty) * fill;
    s.cash += s.qty * fill - notional * o.fee;
    s.fees += notional * o.fee;
    s.qty = 0;
    s.trades++;
  }
  if (target !== 0 && s.cash > 0) {
    const fill = target > 0 ? price * (1 + o.slippage) : price * (1 - o.slippage);
    const notional = s.cash / (1 + o.fee);
    s.qty = (target * notional) / fill;
    s.cash -= target * notional + notional * o.fee;
    s.fees += notional * o.fee;
    s.trades++;
  }
}

export interface MomentumResult {
  readonly curve: EquityPoint[];
  readonly fees: number;
  /** Position changes (entries and exits) over all symbols. */
  readonly switches: number;
}

/**
 * The one-line trend rule every report shows beside buy-and-hold: equal-weight sleeves per symbol;
 * after each completed UTC day, long while the `lookbackDays` log return of the daily closes is
 * positive (short while negative on perps), flat otherwise; filled at the first close after the
 * day ends, with the strategy's fee and slippage. Uses only closes known at the fill (no look-ahead).
 */
export function momentumCurve(
  prices: Readonly<Record<string, readonly PricePoint[]>>,
  sampleTimes: readonly number[],
  o: MomentumOptions,
): MomentumResult {
  const symbols = Object.keys(prices).filter((s) => prices[s].length > 0);
  const share = symbols.length > 0 ? o.startingBalance / symbols.length : 0;
  const sleeves: Sleeve[] = symbols.map(() => ({ cash: share, qty: 0, fees: 0, trades: 0 }));
  const dayClose = symbols.map(() => new Map<number, number>());
  const idx = symbols.map(() => -1);
  const curve = sampleTimes.map((t) => {
    let equity = symbols.length > 0 ? 0 : o.startingBalance;
    let exposure = 0;
    symbols.forEach((sym, k) => {
      const ps = prices[sym];
      const s = sleeves[k];
      while (idx[k] + 1 < ps.length && ps[idx[k] + 1].t <= t) {
        const i = ++idx[k];
        const p = ps[i];
        const day = dayOf(p.t);
        if (i > 0 && dayOf(ps[i - 1].t) < day) {
          // The previous point ended a day: decide on completed days, fill at this close.
          const done = dayOf(ps[i - 1].t);
          const a = dayClose[k].get(done - o.lookbackDays);
          const b = dayClose[k].get(done);
          const r = a !== undefined && b !== undefined ? Math.log(b / a) : NaN;
          const target = r > 0 ? 1 : r < 0 && o.allowShort ? -1 : 0;
          rebalance(s, target, p.close, o);
        }
        dayClose[k].set(day, p.close);
        for (const d of dayClose[k].keys()) if (d < day - o.lookbackDays - 2) dayClose[k].delete(d);
      }
      const last = idx[k] >= 0 ? ps[idx[k]].close : 0;
      equity += s.cash + s.qty * last;
      exposure += Math.abs(s.qty * last);
    });
    return { t, equity, exposure };
  });
  return {
    curve,
    fees: sleeves.reduce((a, s) => a + s.fees, 0),
    switches: sleeves.reduce((a, s) => a + s.trades, 0),
  };
}
