import type { Timeframe } from '../core/types.ts';
import { isTimeframe } from '../core/types.ts';
import type { ExchangeProtocol, SimServer } from './server.ts';
import type { SimConnection } from './connection.ts';
import type { CandleUpdate, ReplaySeries } from './replay.ts';
import { json } from './types.ts';
import type { SimResponse } from './types.ts';
import { hyperliquidCoin, hyperliquidCtx, hyperliquidMeta, hyperliquidSpotMeta } from './markets.ts';

/** Hyperliquid REST (`POST /info`) and websocket (`/ws`): candle subscriptions and ping/pong. */
export function installHyperliquid(server: SimServer): void {
  const spotMeta = hyperliquidSpotMeta();
  const coinOf = (s: ReplaySeries) => hyperliquidCoin(s.symbol, spotMeta);
  const seriesByCoin = (coin: string, tf: Timeframe) =>
    server.replay
      .series()
      .find((s) => s.exchange === 'hyperliquid' && s.timeframe === tf && coinOf(s) === coin);
  const price = (symbol: string) => server.lastPrice('hyperliquid', symbol);

  server.registerRoute('POST', '/info', async (req) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const type = typeof body.type === 'string' ? body.type : '';
    const h = server.infoHandler(type);
    if (!h)
      return {
        status: 422,
        body: `Failed to deserialize the JSON body into the target type: unknown type ${type}`,
      };
    return h(body, req);
  });

  server.registerInfoType('meta', () => json(hyperliquidMeta()));
  server.registerInfoType('spotMeta', () => json(spotMeta));
  server.registerInfoType('metaAndAssetCtxs', () => {
    const meta = hyperliquidMeta();
    return json([meta, meta.universe.map((u) => hyperliquidCtx(price(`${u.name}/USDC:USDC`), true))]);
  });
  server.registerInfoType('spotMetaAndAssetCtxs', () =>
    json([
      spotMeta,
      spotMeta.universe.map((u) => {
        const base = spotMeta.tokens[u.tokens[0]];
        const name = base?.fullName?.startsWith('Unit ') ? base.name.slice(1) : base?.name;
        return hyperliquidCtx(price(`${name}/USDC`), false);
      }),
    ]),
  );
  server.registerInfoType('candleSnapshot', (body) => candleSnapshot(server, body, seriesByCoin));

  const protocol: ExchangeProtocol = {
    exchange: 'hyperliquid',
    matchesWs: (path) => path === '/ws',
    onOpen: () => undefined,
    onMessage: (conn, text) => onMessage(conn, text, seriesByCoin),
    frameFor: (u) => {
      const coin = coinOf(u.series);
      if (coin === undefined) return null;
      return {
        sub: `${coin}|${u.series.timeframe}`,
        frame: { channel: 'candle', data: candleData(coin, u) },
      };
    },
    candleOf: (frame) => frame.data as Record<string, unknown>,
    wrap: (_conn, _sub, frame) => JSON.stringify(frame),
  };
  server.addProtocol(protocol);
}

type CoinLookup = (coin: string, tf: Timeframe) => ReplaySeries | undefined;

function onMessage(conn: SimConnection, text: string, seriesByCoin: CoinLookup): void {
  let msg: { method?: unknown; subscription?: { type?: unknown; coin?: unknown; interval?: unknown } };
  try {
    msg = JSON.parse(text) as typeof msg;
  } catch {
    conn.send(JSON.stringify({ channel: 'error', data: `Invalid message: ${text.slice(0, 80)}` }));
    return;
  }
  if (msg.method === 'ping') {
    conn.send(JSON.stringify({ channel: 'pong' }));
    return;
  }
  if (msg.method === 'subscribe' || msg.method === 'unsubscribe') {
    const sub = msg.subscription ?? {};
    const coin = typeof sub.coin === 'string' ? sub.coin : '';
    const interval = typeof sub.interval === 'string' ? sub.interval : '';
    if (sub.type !== 'candle' || !isTimeframe(interval) || !seriesByCoin(coin, interval)) {
      conn.send(JSON.stringify({ channel: 'error', data: `Invalid subscription ${JSON.stringify(sub)}` }));
      return;
    }
    const key = `${coin}|${interval}`;
    if (msg.method === 'subscribe') conn.subscriptions.add(key);
    else conn.subscriptions.delete(key);
    conn.send(
      JSON.stringify({ channel: 'subscriptionResponse', data: { method: msg.method, subscription: sub } }),
    );
    return;
  }
  conn.send(JSON.stringify({ channel: 'error', data: `Unknown method ${String(msg.method)}` }));
}

function candleData(coin: string, u: CandleUpdate): Record<string, unknown> {
  const c = u.candle;
  return {
    t: c.timestamp,
    T: c.timestamp + u.series.tfMs - 1,
    s: coin,
    i: u.series.timeframe,
    o: String(c.open),
    c: String(c.close),
    h: String(c.high),
    l: String(c.low),
    v: String(c.volume),
    n: u.trades,
  };
}

/** candleSnapshot: candles overlapping [startTime, endTime] (the one containing startTime included), at most 5000, newest kept. */
function candleSnapshot(
  server: SimServer,
  body: Record<string, unknown>,
  seriesByCoin: CoinLookup,
): SimResponse {
  const req = (body.req ?? {}) as Record<string, unknown>;
  const coin = typeof req.coin === 'string' ? req.coin : '';
  const interval = typeof req.interval === 'string' ? req.interval : '';
  const start = Number(req.startTime);
  const end =
    req.endTime === undefined || req.endTime === null ? Number.MAX_SAFE_INTEGER : Number(req.endTime);
  if (!isTimeframe(interval) || !Number.isFinite(start) || !Number.isFinite(end)) {
    return { status: 422, body: 'Failed to deserialize the JSON body into the target type' };
  }
  const s = seriesByCoin(coin, interval);
  if (!s) return json([]);
  const rows = server.replay.query(s, start - s.tfMs + 1, end, 5000, true);
  return json(rows.map((c) => candleData(coin, { series: s, candle: c, trades: 100, final: true })));
}
