import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSimExchange, simUrls, json } from '../../src/simulator/index.ts';
import type { SimServer } from '../../src/simulator/index.ts';
import { START, fixtureCandles, fixtureSeries, tick } from './helpers.ts';

const FIVE = 300_000;
const btc5 = fixtureCandles('5m', 'BTCUSDT');
const startIdx = btc5.findIndex((c) => c.timestamp === START);

/** A websocket client that records every text frame it receives. */
async function client(url: string): Promise<{ ws: WebSocket; frames: unknown[]; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  const frames: unknown[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  return { ws, frames, closed };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await tick(5);
  expect(cond()).toBe(true);
}

describe('local fake exchange', () => {
  let sim: SimServer;
  let bn: string;
  let hl: string;

  beforeAll(async () => {
    sim = await startSimExchange({
      series: fixtureSeries(['binance', 'hyperliquid'], ['BTC', 'SOL'], ['5m', '1h']),
      startTime: START,
      maxConnectionAgeMs: 3 * FIVE,
    });
    bn = simUrls(sim, 'binance').rest;
    hl = simUrls(sim, 'hyperliquid').rest;
  });
  afterAll(async () => sim?.close());

  const get = async (path: string) => {
    const r = await fetch(`${bn}${path}`);
    return { status: r.status, body: (await r.json()) as unknown };
  };
  const info = async (body: unknown) => {
    const r = await fetch(`${hl}/info`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    const text = await r.text();
    // Hyperliquid answers errors in plain text.
    return { status: r.status, body: r.ok ? (JSON.parse(text) as unknown) : text };
  };

  it('answers Binance ping, time and exchangeInfo (with a derived SOLUSDT)', async () => {
    expect(await get('/ping')).toEqual({ status: 200, body: {} });
    expect((await get('/time')).body).toEqual({ serverTime: sim.now });
    const ei = (await get('/exchangeInfo')).body as { symbols: Array<{ symbol: string; baseAsset: string }> };
    expect(ei.symbols.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(ei.symbols[2].baseAsset).toBe('SOL');
  });

  it('serves klines with startTime / endTime / limit semantics and validates parameters', async () => {
    const first = (await get(`/klines?symbol=BTCUSDT&interval=5m&startTime=${START - 10 * FIVE}&limit=3`))
      .body as unknown[][];
    expect(first.map((r) => r[0])).toEqual([START - 10 * FIVE, START - 9 * FIVE, START - 8 * FIVE]);
    expect(first[0].slice(1, 6)).toEqual(
      ['open', 'high', 'low', 'close', 'volume'].map((k) => String(btc5[startIdx - 10][k as 'open'])),
    );
    const last = (await get(`/klines?symbol=BTCUSDT&interval=5m&endTime=${START - FIVE}&limit=2`))
      .body as unknown[][];
    expect(last.map((r) => r[0])).toEqual([START - 2 * FIVE, START - FIVE]);
    // No times: the latest 500, ending with the candle in progress.
    const latest = (await get('/klines?symbol=BTCUSDT&interval=5m')).body as unknown[][];
    expect(latest).toHaveLength(144 + 1);
    expect(latest.at(-1)?.[0]).toBe(sim.now);
    expect(Number(latest.at(-1)?.[5])).toBeLessThan(btc5[startIdx].volume); // in progress
    expect((await get('/klines?symbol=BTCUSDT&interval=5m&limit=1001')).body).toMatchObject({ code: -1130 });
    expect((await get('/klines?symbol=NOPE&interval=5m')).body).toMatchObject({ code: -1121 });
    expect((await get('/klines?interval=5m')).status).toBe(400);
  });

  it('answers the next n REST requests with the injected status', async () => {
    sim.restErrors(2, 429, 'binance');
    expect((await get('/ping')).status).toBe(429);
    expect((await get('/ping')).body).toMatchObject({ code: -1003 });
    expect((await get('/ping')).status).toBe(200);
    sim.restErrors(1, 503, 'hyperliquid');
    expect((await info({ type: 'meta' })).status).toBe(503);
  });

  it('answers Hyperliquid info types, including the candle containing startTime', async () => {
    const meta = (await info({ type: 'meta' })).body as { universe: Array<{ name: string }> };
    expect(meta.universe.map((u) => u.name)).toEqual(expect.arrayContaining(['BTC', 'ETH', 'SOL']));
    const mac = (await info({ type: 'metaAndAssetCtxs' })).body as [unknown, Array<{ markPx: string }>];
    expect(mac[1][0].markPx).toBe(String(sim.lastPrice('hyperliquid', 'BTC/USDC:USDC')));
    const spot = (await info({ type: 'spotMeta' })).body as { tokens: Array<{ name: string }> };
    expect(spot.tokens.map((t) => t.name)).toEqual(expect.arrayContaining(['PURR', 'UBTC', 'USOL']));
    const snap = (
      await info({
        type: 'candleSnapshot',
        req: { coin: 'BTC', interval: '5m', startTime: START - 3 * FIVE + 1000, endTime: START - FIVE },
      })
    ).body as Array<{ t: number; c: string }>;
    expect(snap.map((c) => c.t)).toEqual([START - 3 * FIVE, START - 2 * FIVE, START - FIVE]);
    expect((await info({ type: 'nope' })).status).toBe(422);
  });

  it('streams Binance klines: ack, in-progress updates, the final one (x) and the next open', async () => {
    const c = await client(`${simUrls(sim, 'binance').ws}/0`);
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@kline_5m'], id: 7 }));
    await until(() => c.frames.length === 1);
    expect(c.frames[0]).toEqual({ result: null, id: 7 });
    const t0 = sim.now;
    sim.advance();
    await until(() => c.frames.length === 4);
    const ks = c.frames.slice(1).map((f) => (f as { k: { t: number; x: boolean; c: string } }).k);
    expect(ks.map((k) => [k.t, k.x])).toEqual([
      [t0, false],
      [t0, true],
      [t0 + FIVE, false],
    ]);
    expect(Number(ks[1].c)).toBe(btc5[startIdx].close);
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@kline_7m'], id: 8 }));
    await until(() => c.frames.length === 5);
    expect(c.frames[4]).toMatchObject({ id: 8, error: { code: 2 } });
    c.ws.close();
  });

  it('wraps events for combined streams and closes connections at the lifetime limit', async () => {
    const c = await client(`ws://127.0.0.1:${sim.port}/stream?streams=solusdt@kline_1h`);
    sim.advance();
    await until(() => c.frames.length >= 1);
    expect(c.frames[0]).toMatchObject({
      stream: 'solusdt@kline_1h',
      data: { e: 'kline', k: { s: 'SOLUSDT', i: '1h' } },
    });
    for (let i = 0; i < 3; i++) sim.advance();
    expect(await c.closed).toBe(1000);
  });

  it('speaks Hyperliquid ws: subscriptionResponse, candles, ping/pong, and stays silent on command', async () => {
    const c = await client(simUrls(sim, 'hyperliquid').ws);
    const sub = { type: 'candle', coin: 'SOL', interval: '5m' };
    c.ws.send(JSON.stringify({ method: 'subscribe', subscription: sub }));
    await until(() => c.frames.length === 1);
    expect(c.frames[0]).toEqual({
      channel: 'subscriptionResponse',
      data: { method: 'subscribe', subscription: sub },
    });
    sim.advance();
    await until(() => c.frames.length === 4);
    expect(c.frames[1]).toMatchObject({ channel: 'candle', data: { s: 'SOL', i: '5m' } });
    sim.silence(150, 'hyperliquid');
    c.ws.send(JSON.stringify({ method: 'ping' }));
    sim.advance();
    await tick(60);
    expect(c.frames).toHaveLength(4); // nothing while silent, not even the pong
    await until(() => c.frames.length === 8);
    // Held frames arrive afterwards, in the order they were produced (the ping was read after the advance).
    expect(c.frames.slice(4, 7).every((f) => (f as { channel: string }).channel === 'candle')).toBe(true);
    expect(c.frames[7]).toEqual({ channel: 'pong' });
    c.ws.close();
  });

  it('advances on a wall-clock timer for the demo, and stops', async () => {
    const t0 = sim.now;
    sim.startTimer(5);
    await until(() => sim.now >= t0 + 3 * FIVE);
    sim.stopTimer();
    const stopped = sim.now;
    await tick(40);
    expect(sim.now).toBe(stopped);
  });

  it('lets other modules add routes and info types', async () => {
    sim.registerRoute('GET', '/api/v3/openOrders', () => json([]));
    sim.registerInfoType('clearinghouseState', () => json({ assetPositions: [], time: sim.now }));
    expect((await get('/openOrders')).body).toEqual([]);
    expect((await info({ type: 'clearinghouseState' })).body).toEqual({ assetPositions: [], time: sim.now });
  });
});
