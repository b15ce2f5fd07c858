import type { SimServer } from './server.ts';
import { json } from './types.ts';
import type { SimResponse } from './types.ts';
import { hyperliquidCoin, hyperliquidMeta, hyperliquidSpotMeta } from './markets.ts';
import { SimAccount } from './orders-binance.ts';
import type { SimAccountOptions, SimOrder, SimReject } from './orders-binance.ts';

type Obj = Record<string, unknown>;

/**
 * Hyperliquid order endpoints as ccxt calls them: POST /exchange with a signed `action`
 * (`order`, `cancel`, `cancelByCloid`, plus the `approveBuilderFee` / `setReferrer` set-up
 * actions ccxt sends first) and the POST /info types `orderStatus`, `frontendOpenOrders`,
 * `openOrders`, `spotClearinghouseState`, `clearinghouseState`, `userAbstraction`. The EIP-712
 * signature is parsed but not verified. Spot and perp orders share one account; a perp's base
 * balance is its signed position (shorts negative, 1× margin in USDC), and a reduce-only order (`r`)
 * that would open or grow a position is refused.
 */
export function installHyperliquidOrders(server: SimServer, opts: SimAccountOptions): SimAccount {
  const acct = new SimAccount('hyperliquid', server, opts.balances, opts.feeRate ?? 0.00035);
  const spotMeta = hyperliquidSpotMeta();
  const perps = hyperliquidMeta().universe;
  const hlSeries = () => server.replay.series().filter((s) => s.exchange === 'hyperliquid');
  const symbolOfAsset = (a: number): string | undefined => {
    if (a >= 10_000) {
      const name = spotMeta.universe[a - 10_000]?.name;
      return hlSeries().find((s) => !s.symbol.includes(':') && hyperliquidCoin(s.symbol, spotMeta) === name)
        ?.symbol;
    }
    const name = perps[a]?.name;
    return name === undefined ? undefined : `${name}/USDC:USDC`;
  };
  const coinOf = (symbol: string) => hyperliquidCoin(symbol, spotMeta) ?? symbol.split('/')[0];

  server.registerRoute('POST', '/exchange', async (req) => {
    const body = (req.body ?? {}) as Obj;
    const action = (body.action ?? {}) as Obj;
    if (typeof body.nonce !== 'number' || typeof body.signature !== 'object' || body.signature === null)
      return hlErr('Missing nonce or signature.');
    switch (action.type) {
      case 'approveBuilderFee':
      case 'setReferrer':
        return json({ status: 'ok', response: { type: 'default' } });
      case 'order':
        return placeOrders(action);
      case 'cancel':
      case 'cancelByCloid':
        return cancelOrders(action);
      default:
        return hlErr(`Unknown action type ${String(action.type)}.`);
    }
  });

  async function placeOrders(action: Obj): Promise<SimResponse> {
    const list = Array.isArray(action.orders) ? (action.orders as Obj[]) : [];
    const statuses: unknown[] = [];
    for (const o of list) {
      const symbol = symbolOfAsset(Number(o.a));
      if (!symbol) {
        statuses.push({ error: `Invalid asset ${String(o.a)}.` });
        continue;
      }
      acct.createRequests++;
      const t = (o.t ?? {}) as { limit?: { tif?: string } };
      const ioc = t.limit?.tif === 'Ioc';
      const { result } = await acct.stalled(() =>
        acct.create({
          clientOrderId: typeof o.c === 'string' ? o.c : '',
          symbol,
          side: o.b === true ? 'buy' : 'sell',
          // ccxt sends market orders as IOC limits bounded by the slippage price.
          type: ioc ? 'market' : 'limit',
          amount: Number(o.s),
          price: Number(o.p),
          reduceOnly: o.r === true,
        }),
      );
      if (result === undefined) return { status: 502, body: 'Bad gateway (simulated stall).' };
      statuses.push('reject' in result ? { error: rejectText(result) } : orderStatusOf(result));
    }
    return json({ status: 'ok', response: { type: 'order', data: { statuses } } });
  }

  function cancelOrders(action: Obj): SimResponse {
    const list = Array.isArray(action.cancels) ? (action.cancels as Obj[]) : [];
    const statuses = list.map((c) => {
      const o = typeof c.cloid === 'string' ? acct.byClientId(c.cloid) : acct.byId(Number(c.o));
      return o && acct.cancel(o)
        ? 'success'
        : { error: 'Order was never placed, already canceled, or filled.' };
    });
    return json({ status: 'ok', response: { type: 'cancel', data: { statuses } } });
  }

  const entry = (o: SimOrder): Obj => ({
    children: [],
    cloid: o.clientOrderId || null,
    coin: coinOf(o.symbol),
    isPositionTpsl: false,
    isTrigger: false,
    limitPx: String(o.price),
    oid: o.id,
    orderType: 'Limit',
    origSz: String(o.amount),
    reduceOnly: o.reduceOnly === true,
    side: o.side === 'buy' ? 'B' : 'A',
    sz: String(o.amount - o.filled),
    tif: o.type === 'market' ? 'Ioc' : 'Gtc',
    timestamp: o.time,
    triggerCondition: 'N/A',
    triggerPx: '0.0',
    // Not in Hyperliquid's answer (it reports fills separately); kept so recovery knows the fill price.
    avgPx: o.filled > 0 ? String(o.cost / o.filled) : undefined,
  });

  server.registerInfoType('orderStatus', (body) => {
    const oid = body.oid;
    const o = typeof oid === 'string' && oid.startsWith('0x') ? acct.byClientId(oid) : acct.byId(Number(oid));
    if (!o) return json({ status: 'unknownOid' });
    const status = o.status === 'expired' ? 'canceled' : o.status;
    return json({ status: 'order', order: { order: entry(o), status, statusTimestamp: o.updateTime } });
  });
  const open = () => json(acct.openOrders().map(entry));
  server.registerInfoType('frontendOpenOrders', open);
  server.registerInfoType('openOrders', open);
  server.registerInfoType('userAbstraction', () => json('disabled'));
  server.registerInfoType('spotClearinghouseState', () =>
    json({
      balances: [...acct.balances].map(([coin, b]) => ({
        coin,
        token: 0,
        hold: String(b.locked),
        total: String(b.free + b.locked),
        entryNtl: '0.0',
      })),
    }),
  );
  server.registerInfoType('clearinghouseState', () => {
    const usdc = acct.balance('USDC');
    const value = String(usdc.free + usdc.locked);
    const summary = { accountValue: value, totalMarginUsed: '0.0', totalNtlPos: '0.0', totalRawUsd: value };
    return json({
      assetPositions: [],
      crossMaintenanceMarginUsed: '0.0',
      crossMarginSummary: summary,
      marginSummary: summary,
      time: server.now,
      withdrawable: String(usdc.free),
    });
  });
  return acct;
}

function orderStatusOf(o: SimOrder): Obj {
  if (o.filled > 0 && o.status !== 'open')
    return { filled: { totalSz: String(o.filled), avgPx: String(o.cost / o.filled), oid: o.id } };
  if (o.status === 'open') return { resting: { oid: o.id } };
  return { error: 'Order could not immediately match against any resting orders.' };
}

function rejectText(r: SimReject): string {
  switch (r.reject) {
    case 'insufficient':
      return 'Insufficient spot balance asset=10000';
    case 'duplicate':
      return 'Duplicate cloid.';
    case 'too_small':
      return 'Order has zero size.';
    case 'reduce_only':
      return 'Reduce only order would increase position.';
    default:
      return 'No liquidity available for market order.';
  }
}

function hlErr(message: string): SimResponse {
  return json({ status: 'err', response: message });
}
