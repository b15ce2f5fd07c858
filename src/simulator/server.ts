import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Logger } from '../core/logger.ts';
import { silentLogger } from '../core/logger.ts';
import type { Clock } from '../core/clock.ts';
import type { ExchangeId } from '../core/types.ts';
import { describeError } from '../core/errors.ts';
import { Replay } from './replay.ts';
import type { CandleUpdate } from './replay.ts';
import type { InfoHandler, RouteHandler, SimRequest, SimResponse, SimSeriesInput } from './types.ts';
import { SimConnection } from './connection.ts';
import { emptyFaultTable, malformedFrames } from './faults.ts';
import type { FaultTable } from './faults.ts';

/** What an exchange protocol module plugs into the server. */
export interface ExchangeProtocol {
  readonly exchange: ExchangeId;
  /** Whether this module serves a websocket upgrade on `path` (query string excluded). */
  matchesWs(path: string): boolean;
  onOpen(conn: SimConnection, url: URL): void;
  onMessage(conn: SimConnection, text: string): void;
  /** Frames for one replay update, keyed by subscription name; null when nobody can subscribe to it. */
  frameFor(u: CandleUpdate, eventTime: number): { sub: string; frame: Record<string, unknown> } | null;
  /** The innermost candle object of a frame (the malformed-frame generator corrupts it). */
  candleOf(frame: Record<string, unknown>): Record<string, unknown>;
  /** Wraps a frame for a connection (e.g. Binance combined streams). */
  wrap(conn: SimConnection, sub: string, frame: Record<string, unknown>): string;
}

export interface SimServerOptions {
  readonly series: readonly SimSeriesInput[];
  /** Simulated start time (ms); see ReplayOptions.startTime. */
  readonly startTime: number;
  readonly updatesPerCandle?: number;
  /** Simulated age after which the server closes a websocket, like Binance's 24-hour limit. */
  readonly maxConnectionAgeMs?: number;
  readonly logger?: Logger;
  readonly host?: string;
}

export interface SimStats {
  restRequests: number;
  restErrorsInjected: number;
  wsConnections: number;
  wsFramesSent: number;
  wsDisconnectsInjected: number;
  malformedSent: number;
}

/**
 * A real HTTP + websocket server on 127.0.0.1 that plays exchanges to real ccxt. It owns the
 * replay (simulated time), a route table and the fault switches; exchange protocols plug in.
 * Order endpoints can be added later with `registerRoute` / `registerInfoType`, using `now`
 * and `lastPrice`.
 */
export class SimServer {
  readonly replay: Replay;
  readonly clock: Clock;
  readonly faults: FaultTable = emptyFaultTable();
  readonly stats: SimStats = {
    restRequests: 0,
    restErrorsInjected: 0,
    wsConnections: 0,
    wsFramesSent: 0,
    wsDisconnectsInjected: 0,
    malformedSent: 0,
  };
  private readonly routes = new Map<string, RouteHandler>();
  private readonly infoTypes = new Map<string, InfoHandler>();
  private readonly protocols: ExchangeProtocol[] = [];
  private readonly conns = new Set<SimConnection>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly log: Logger;
  private readonly maxAge: number;
  private timer: NodeJS.Timeout | undefined;
  private flushTimers = new Set<NodeJS.Timeout>();
  private portNo = 0;

  constructor(opts: SimServerOptions) {
    this.replay = new Replay(opts.series, {
      startTime: opts.startTime,
      updatesPerCandle: opts.updatesPerCandle,
    });
    this.clock = this.replay.clock;
    this.log = opts.logger ?? silentLogger();
    this.maxAge = opts.maxConnectionAgeMs ?? 24 * 3_600_000;
    this.http = createServer((req, res) => void this.handleHttp(req, res));
    // autoPong off: a silent exchange must not answer pings either, or clients never notice.
    this.wss = new WebSocketServer({ noServer: true, autoPong: false });
    this.http.on('upgrade', (req, socket, head) => this.handleUpgrade(req, socket, head));
    this.replay.onUpdate((u) => this.publish(u));
  }

  async listen(host = '127.0.0.1'): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(0, host, () => resolve());
    });
    this.portNo = (this.http.address() as AddressInfo).port;
  }

  get port(): number {
    return this.portNo;
  }

  get now(): number {
    return this.replay.now;
  }

  lastPrice(exchange: ExchangeId, symbol: string): number | undefined {
    return this.replay.lastPrice(exchange, symbol);
  }

  addProtocol(p: ExchangeProtocol): void {
    this.protocols.push(p);
  }

  /** Adds (or replaces) an HTTP route; `path` is exact, without query string. */
  registerRoute(method: string, path: string, handler: RouteHandler): void {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  /** Adds (or replaces) a Hyperliquid `POST /info` request type. */
  registerInfoType(type: string, handler: InfoHandler): void {
    this.infoTypes.set(type, handler);
  }

  infoHandler(type: string): InfoHandler | undefined {
    return this.infoTypes.get(type);
  }

  connections(exchange?: ExchangeId): SimConnection[] {
    return [...this.conns].filter((c) => c.open && (!exchange || c.exchange === exchange));
  }

  /** Releases the next step of every series. Returns false when the data is exhausted. */
  advance(): boolean {
    const more = this.replay.advance();
    this.enforceMaxAge();
    return more;
  }

  /** Drives `advance` on a wall-clock timer (the demo); stops by itself at the end of data. */
  startTimer(intervalMs: number): void {
    this.stopTimer();
    this.timer = setInterval(() => {
      if (!this.advance()) this.stopTimer();
    }, intervalMs);
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  // ---- faults ------------------------------------------------------------------------------

  /** Abruptly drops every websocket (of one exchange, or all). */
  dropConnections(exchange?: ExchangeId): number {
    const list = this.connections(exchange);
    for (const c of list) c.ws.terminate();
    this.stats.wsDisconnectsInjected += list.length;
    return list.length;
  }

  /** Sends nothing (frames held, pings unanswered) for `ms` of wall-clock time. */
  silence(ms: number, exchange?: ExchangeId): void {
    const until = Date.now() + ms;
    for (const ex of this.exchangesOf(exchange))
      this.faults[ex].silentUntil = Math.max(this.faults[ex].silentUntil, until);
    const t = setTimeout(() => {
      this.flushTimers.delete(t);
      for (const c of this.connections(exchange)) c.flush();
    }, ms + 1);
    this.flushTimers.add(t);
  }

  duplicate(n: number, exchange?: ExchangeId): void {
    for (const ex of this.exchangesOf(exchange)) this.faults[ex].duplicates += n;
  }

  outOfOrder(n: number, exchange?: ExchangeId): void {
    for (const ex of this.exchangesOf(exchange)) this.faults[ex].outOfOrder += n;
  }

  /** Answers the next n REST requests with `status` (429, 5xx…). */
  restErrors(n: number, status: number, exchange?: ExchangeId): void {
    for (const ex of this.exchangesOf(exchange)) {
      this.faults[ex].restErrors += n;
      this.faults[ex].restErrorStatus = status;
    }
  }

  /** Sends n malformed frames now on every subscribed connection. Returns how many were sent. */
  malformed(
    n: number,
    exchange?: ExchangeId,
    makeFrames?: (p: ExchangeProtocol, sub: string) => string[],
  ): number {
    let sent = 0;
    for (const c of this.connections(exchange)) {
      const p = this.protocolOf(c.exchange);
      const sub = [...c.subscriptions][0];
      if (!p || sub === undefined) continue;
      const frames = makeFrames ? makeFrames(p, sub) : this.defaultMalformed(p, c, sub, n);
      for (const f of frames) {
        c.send(f);
        sent++;
      }
    }
    this.stats.malformedSent += sent;
    return sent;
  }

  isSilent(exchange: ExchangeId): boolean {
    return Date.now() < this.faults[exchange].silentUntil;
  }

  async close(): Promise<void> {
    this.stopTimer();
    for (const t of this.flushTimers) clearTimeout(t);
    for (const c of this.conns) c.ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  // ---- internals ---------------------------------------------------------------------------

  private exchangesOf(exchange?: ExchangeId): ExchangeId[] {
    return exchange ? [exchange] : ['binance', 'hyperliquid'];
  }

  private protocolOf(exchange: ExchangeId): ExchangeProtocol | undefined {
    return this.protocols.find((p) => p.exchange === exchange);
  }

  private defaultMalformed(p: ExchangeProtocol, c: SimConnection, sub: string, n: number): string[] {
    const last = c.lastFrame.get(sub);
    const base = last ? (JSON.parse(last) as Record<string, unknown>) : undefined;
    if (!base) return Array.from({ length: n }, () => 'not json');
    return malformedFramesFor(p, base, n);
  }

  private publish(u: CandleUpdate): void {
    const p = this.protocolOf(u.series.exchange);
    if (!p) return;
    const f = p.frameFor(u, this.replay.now);
    if (!f) return;
    const faults = this.faults[u.series.exchange];
    for (const c of this.conns) {
      if (c.exchange !== u.series.exchange || !c.open || !c.subscriptions.has(f.sub)) continue;
      const text = p.wrap(c, f.sub, f.frame);
      const previous = c.lastFrame.get(f.sub);
      c.send(text);
      this.stats.wsFramesSent++;
      if (faults.duplicates > 0) {
        faults.duplicates--;
        c.send(text);
      }
      if (faults.outOfOrder > 0 && previous !== undefined) {
        faults.outOfOrder--;
        c.send(previous);
      }
      c.lastFrame.set(f.sub, text);
    }
  }

  private enforceMaxAge(): void {
    for (const c of this.conns) {
      if (c.open && this.replay.now - c.openedAtSim >= this.maxAge) {
        c.ws.close(1000, 'connection lifetime exceeded');
        this.stats.wsDisconnectsInjected++;
      }
    }
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = this.protocols.find((x) => x.matchesWs(url.pathname));
    if (!p) {
      socket.write('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => this.onWsOpen(p, ws, url));
  }

  private onWsOpen(p: ExchangeProtocol, ws: WebSocket, url: URL): void {
    const combined = p.exchange === 'binance' && url.pathname === '/stream';
    const conn = new SimConnection(p.exchange, ws, url.pathname, this.replay.now, combined, () =>
      this.isSilent(p.exchange),
    );
    this.conns.add(conn);
    this.stats.wsConnections++;
    ws.on('ping', (data) => {
      if (!this.isSilent(p.exchange)) ws.pong(data);
    });
    ws.on('message', (data) => {
      try {
        p.onMessage(conn, data.toString());
      } catch (e) {
        this.log.warn({ err: describeError(e) }, 'simulator: websocket message handler failed');
      }
    });
    ws.on('close', () => this.conns.delete(conn));
    ws.on('error', () => this.conns.delete(conn));
    p.onOpen(conn, url);
  }

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.restRequests++;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      const raw = await readBody(req);
      const exchange: ExchangeId = url.pathname.startsWith('/api/') ? 'binance' : 'hyperliquid';
      const f = this.faults[exchange];
      if (f.restErrors > 0) {
        f.restErrors--;
        this.stats.restErrorsInjected++;
        send(res, errorResponse(exchange, f.restErrorStatus));
        return;
      }
      const handler = this.routes.get(`${method} ${url.pathname}`);
      if (!handler) {
        send(res, { status: 404, body: { code: -1, msg: `simulator: no route ${method} ${url.pathname}` } });
        return;
      }
      let body: unknown = undefined;
      const form = String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
      // Binance signed POSTs send url-encoded forms (added for the order endpoints).
      if (raw.length > 0 && form) body = Object.fromEntries(new URLSearchParams(raw));
      else if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          send(res, { status: 400, body: { code: -1, msg: 'simulator: request body is not JSON' } });
          return;
        }
      }
      const sreq: SimRequest = {
        method,
        path: url.pathname,
        query: url.searchParams,
        body,
        headers: req.headers,
      };
      send(res, await handler(sreq));
    } catch (e) {
      this.log.error({ err: describeError(e) }, 'simulator: route failed');
      send(res, { status: 500, body: { code: -1, msg: `simulator: ${describeError(e)}` } });
    }
  }
}

function malformedFramesFor(p: ExchangeProtocol, base: Record<string, unknown>, n: number): string[] {
  return malformedFrames(base, (f) => p.candleOf(f), n);
}

function errorResponse(exchange: ExchangeId, status: number): SimResponse {
  const msg = status === 429 ? 'Too many requests.' : 'Service unavailable (simulated).';
  return exchange === 'binance'
    ? { status, body: { code: status === 429 ? -1003 : -1001, msg } }
    : { status, body: msg };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: SimResponse): void {
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  res.writeHead(r.status, { 'content-type': 'application/json', ...(r.headers ?? {}) });
  res.end(text);
}
