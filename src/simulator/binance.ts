import type { Candle, Timeframe } from '../core/types.ts';
import { isTimeframe, timeframeMs } from '../core/types.ts';
import type { ExchangeProtocol, SimServer } from './server.ts';
import type { SimConnection } from './connection.ts';
import type { CandleUpdate } from './replay.ts';
import { json } from './types.ts';
import type { SimRequest, SimResponse } from './types.ts';
import { binanceExchangeInfo, binanceMarketId } from './markets.ts';

/** Binance spot REST (`/api/v3/...`) and websocket streams (`/stream/ws/<n>`, `/stream?streams=`). */
export function installBinance(server: SimServer): void {
  const seriesById = (marketId: string, tf: Timeframe) =>
    server.replay
      .series()
      .find((s) => s.exchange === 'binance' && binanceMarketId(s.symbol) === marketId && s.timeframe === tf);

  server.registerRoute('GET', '/api/v3/ping', () => json({}));
  server.registerRoute('GET', '/api/v3/time', () => json({ serverTime: server.now }));
  server.registerRoute('GET', '/api/v3/exchangeInfo', () => json(binanceExchangeInfo(server.now)));
  server.registerRoute('GET', '/api/v3/klines', (req) => klines(server, req, seriesById));

  const protocol: ExchangeProtocol = {
    exchange: 'binance',
    matchesWs: (path) => path === '/stream' || path.startsWith('/stream/ws'),
    onOpen: (conn, url) => {
      const streams = url.searchParams.get('streams');
      if (conn.combined && streams) for (const s of streams.split('/')) conn.subscriptions.add(s);
    },
    onMessage: (conn, text) => onMessage(conn, text, seriesById),
    frameFor: (u, eventTime) => {
      const id = binanceMarketId(u.series.symbol);
      return { sub: `${id.toLowerCase()}@kline_${u.series.timeframe}`, frame: klineEvent(id, u, eventTime) };
    },
    candleOf: (frame) =>
      frame.data
        ? ((frame.data as Record<string, unknown>).k as Record<string, unknown>)
        : (frame.k as Record<string, unknown>),
    wrap: (conn, sub, frame) => JSON.stringify(conn.combined ? { stream: sub, data: frame } : frame),
  };
  server.addProtocol(protocol);
}

type SeriesLookup = (marketId: string, tf: Timeframe) => ReturnType<SimServer['replay']['find']>;

function onMessage(conn: SimConnection, text: string, seriesById: SeriesLookup): void {
  let msg: { method?: unknown; params?: unknown; id?: unknown };
  try {
    msg = JSON.parse(text) as typeof msg;
  } catch {
    conn.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } }));
    return;
  }
  const id = msg.id ?? null;
  const params = Array.isArray(msg.params) ? (msg.params as unknown[]) : [];
  if (msg.method === 'SUBSCRIBE' || msg.method === 'UNSUBSCRIBE') {
    for (const p of params) {
      const m = typeof p === 'string' ? /^([a-z0-9]+)@kline_(\w+)$/.exec(p) : null;
      if (!m || !isTimeframe(m[2]) || !seriesById(m[1].toUpperCase(), m[2])) {
        conn.send(
          JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown stream ${String(p)}` }, id }),
        );
        return;
      }
    }
    for (const p of params as string[]) {
      if (msg.method === 'SUBSCRIBE') conn.subscriptions.add(p);
      else conn.subscriptions.delete(p);
    }
    conn.send(JSON.stringify({ result: null, id }));
  } else if (msg.method === 'LIST_SUBSCRIPTIONS') {
    conn.send(JSON.stringify({ result: [...conn.subscriptions], id }));
  } else {
    conn.send(
      JSON.stringify({
        error: { code: 2, msg: `Invalid request: unknown method ${String(msg.method)}` },
        id,
      }),
    );
  }
}

function klineEvent(marketId: string, u: CandleUpdate, eventTime: number): Record<string, unknown> {
  const c = u.candle;
  const tf = u.series.tfMs;
  return {
    e: 'kline',
    E: eventTime,
    s: marketId,
    k: {
      t: c.timestamp,
      T: c.timestamp + tf - 1,
      s: marketId,
      i: u.series.timeframe,
      f: 100,
      L: 100 + u.trades,
      o: String(c.open),
      c: String(c.close),
      h: String(c.high),
      l: String(c.low),
      v: String(c.volume),
      n: u.trades,
      x: u.final,
      q: String(c.volume * c.close),
      V: String(c.volume / 2),
      Q: String((c.volume / 2) * c.close),
      B: '0',
    },
  };
}

function klineRow(c: Candle, tfMs: number): unknown[] {
  return [
    c.timestamp,
    String(c.open),
    String(c.high),
    String(c.low),
    String(c.close),
    String(c.volume),
    c.timestamp + tfMs - 1,
    String(c.volume * c.close),
    100,
    String(c.volume / 2),
    String((c.volume / 2) * c.close),
    '0',
  ];
}

function bad(code: number, msg: string): SimResponse {
  return { status: 400, body: { code, msg } };
}

/** GET /api/v3/klines with Binance's startTime / endTime / limit semantics (limit 1…1000, default 500). */
function klines(server: SimServer, req: SimRequest, seriesById: SeriesLookup): SimResponse {
  const symbol = req.query.get('symbol');
  const interval = req.query.get('interval');
  if (!symbol) return bad(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
  if (!interval)
    return bad(-1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.");
  if (!isTimeframe(interval)) return bad(-1120, 'Invalid interval.');
  const limitRaw = req.query.get('limit');
  const limit = limitRaw === null ? 500 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    return bad(-1130, "Data sent for parameter 'limit' is not valid.");
  const s = seriesById(symbol, interval);
  if (!s) return bad(-1121, 'Invalid symbol.');
  const startRaw = req.query.get('startTime');
  const endRaw = req.query.get('endTime');
  const start = startRaw === null ? Number.NaN : Number(startRaw);
  const end = endRaw === null ? Number.NaN : Number(endRaw);
  if ((startRaw !== null && !Number.isFinite(start)) || (endRaw !== null && !Number.isFinite(end))) {
    return bad(-1100, 'Illegal characters found in a parameter.');
  }
  // Binance returns candles whose open time is ≥ startTime and ≤ endTime; with only endTime (or
  // neither) it returns the latest `limit` candles.
  const rows =
    startRaw !== null
      ? server.replay.query(s, start, endRaw !== null ? end : Number.MAX_SAFE_INTEGER, limit, false)
      : server.replay.query(s, 0, endRaw !== null ? end : Number.MAX_SAFE_INTEGER, limit, true);
  return json(rows.map((c) => klineRow(c, timeframeMs(interval))));
}
