import type { ClosedCandle, Timeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import type { OrderResult } from '../exchange/index.ts';
import type { PendingIntent, RuntimeState, TradeRecord } from './state.ts';
import { signedQty } from './state.ts';

/**
 * The portfolio: positions with direction, cash, fees, realised and unrealised PnL and perp
 * funding, all in the runtime's state — one place for the accounting both hosts (live and the
 * backtest through the same runtime) share. Pure functions over the state; the runtime decides
 * when they run.
 */

/** Perp funding instants: every 8 h from 00:00 UTC. */
export const FUNDING_INTERVAL_MS = 8 * 3_600_000;

export interface BookOptions {
  /** Fee rate assumed when a fill reports none. */
  readonly feeRate: number;
  readonly executionTimeframe: Timeframe;
  /** Funding is charged (paper/backtest perps): closing trades carry their share of it. */
  readonly funded: boolean;
}

/** Open positions marked at the last price: Σ ±(last − entry) × qty (short: entry − last). */
export function unrealizedPnl(s: Readonly<RuntimeState>): number {
  return Object.values(s.positions).reduce(
    (a, p) => a + signedQty(p) * ((s.lastPrices[p.symbol] ?? p.entryPrice) - p.entryPrice),
    0,
  );
}

/**
 * Books an order's final result into the state (cash, fees, position, realised PnL) and returns
 * the trade to record; `refused` is the skip reason of an order that filled nothing.
 */
export function bookResult(
  s: RuntimeState,
  i: PendingIntent,
  r: OrderResult,
  o: BookOptions,
): { readonly trade: TradeRecord; readonly refused?: string } {
  if (r.filled <= 0 || r.averagePrice === undefined) {
    return {
      refused: `order_${r.rejectReason ?? r.state}`,
      trade: { ...tradeBase(i, r), qty: 0, price: 0, fee: 0, reason: r.message },
    };
  }
  const fee = r.fee ?? r.filled * r.averagePrice * o.feeRate;
  s.fees += fee;
  s.decisions.executed++;
  // Files from before shorts: every open was a buy, every close a sell.
  const opens = i.kind === 'open';
  if (opens) {
    const direction = i.direction ?? (i.side === 'buy' ? 'long' : 'short');
    const long = direction === 'long';
    // A short's sale proceeds go to cash; its value (−qty × price) is in the equity.
    s.cash += (long ? -1 : 1) * r.filled * r.averagePrice - fee;
    const openedAt = i.candleTime;
    s.positions[i.symbol] = {
      symbol: i.symbol,
      direction,
      qty: r.filled,
      entryPrice: r.averagePrice,
      // No level given: never hit (MAX_VALUE survives JSON, Infinity does not).
      takeProfit: i.takeProfit ?? (long ? Number.MAX_VALUE : 0),
      stopLoss: i.stopLoss ?? (long ? 0 : Number.MAX_VALUE),
      openedAt,
      clientOrderId: i.clientOrderId,
      entryFee: fee,
      // Held from the decision candle's close (when the order went out).
      fundedUntil: fundingInstantAtOrBefore(openedAt + timeframeMs(o.executionTimeframe)),
      funding: 0,
    };
    return { trade: { ...tradeBase(i, r), direction, qty: r.filled, price: r.averagePrice, fee } };
  }
  const p = s.positions[i.symbol];
  const sign = p ? signedQty({ qty: 1, direction: p.direction }) : 1;
  s.cash += sign * r.filled * r.averagePrice - fee;
  let pnl = -fee;
  let funding: number | undefined;
  if (p) {
    const share = Math.min(1, r.filled / p.qty);
    funding = (p.funding ?? 0) * share;
    pnl += sign * (r.averagePrice - p.entryPrice) * r.filled - p.entryFee * share - funding;
    const rest = p.qty - r.filled;
    if (rest > p.qty * 1e-9)
      s.positions[i.symbol] = {
        ...p,
        qty: rest,
        entryFee: p.entryFee * (1 - share),
        funding: (p.funding ?? 0) - funding,
      };
    else delete s.positions[i.symbol];
  }
  s.realizedPnl += pnl;
  return {
    trade: {
      ...tradeBase(i, r),
      direction: p?.direction ?? 'long',
      qty: r.filled,
      price: r.averagePrice,
      fee,
      pnl,
      ...(funding !== undefined && o.funded ? { funding } : {}),
    },
  };
}

/**
 * Charges the funding instants that passed by this candle's close to `c.symbol`'s position,
 * marked at the close (paper/backtest perps; the same code for both hosts).
 */
export function chargeFunding(s: RuntimeState, c: ClosedCandle, rate: number): void {
  const p = s.positions[c.symbol];
  if (rate === 0 || !p) return;
  const close = c.timestamp + timeframeMs(c.timeframe);
  let until = p.fundedUntil ?? fundingInstantAtOrBefore(p.openedAt);
  let paid = 0;
  for (let t = until + FUNDING_INTERVAL_MS; t <= close; t += FUNDING_INTERVAL_MS) {
    paid += signedQty(p) * c.close * rate;
    until = t;
  }
  if (until === p.fundedUntil) return;
  s.cash -= paid;
  s.funding = (s.funding ?? 0) + paid;
  s.positions[c.symbol] = { ...p, funding: (p.funding ?? 0) + paid, fundedUntil: until };
}

export function fundingInstantAtOrBefore(t: number): number {
  return Math.floor(t / FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS;
}

function tradeBase(
  i: PendingIntent,
  r: OrderResult,
): Pick<
  TradeRecord,
  'clientOrderId' | 'symbol' | 'side' | 'kind' | 'candleTime' | 'state' | 'pWin' | 'expectedEdgeBps'
> {
  return {
    clientOrderId: i.clientOrderId,
    symbol: i.symbol,
    side: i.side,
    kind: i.kind,
    candleTime: i.candleTime,
    state: r.state,
    ...(i.pWin !== undefined ? { pWin: i.pWin } : {}),
    ...(i.expectedEdgeBps !== undefined ? { expectedEdgeBps: i.expectedEdgeBps } : {}),
  };
}
