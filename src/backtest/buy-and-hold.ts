import type { EquityPoint, PriceBar } from './types.ts';

/** A candle of the execution timeframe; `t` is its close time (when its close became known). */
export type PricePoint = PriceBar;

/**
 * Equal-weight buy-and-hold: the starting balance is split across the symbols and each share is
 * bought at the first close the strategy could also have traded at, paying one taker fee and the
 * slippage; no rebalancing. Sampled at the strategy's equity-curve instants so the two compare.
 */
export function buyAndHoldCurve(
  prices: Readonly<Record<string, readonly PricePoint[]>>,
  sampleTimes: readonly number[],
  startingBalance: number,
  fee: number,
  slippage: number,
): EquityPoint[] {
  const symbols = Object.keys(prices).filter((s) => prices[s].length > 0);
  if (symbols.length === 0) return sampleTimes.map((t) => ({ t, equity: startingBalance, exposure: 0 }));
  const share = startingBalance / symbols.length;
  const qty = symbols.map((s) => (share * (1 - fee)) / (prices[s][0].close * (1 + slippage)));
  const idx = symbols.map(() => -1);
  return sampleTimes.map((t) => {
    let equity = 0;
    symbols.forEach((s, k) => {
      const ps = prices[s];
      while (idx[k] + 1 < ps.length && ps[idx[k] + 1].t <= t) idx[k]++;
      // Not yet bought (symbol starts later): its share is still cash.
      equity += idx[k] < 0 ? share : qty[k] * ps[idx[k]].close;
    });
    return { t, equity, exposure: equity };
  });
}
