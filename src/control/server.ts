import type { ServerResponse } from 'node:http';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ControlConfig } from '../config/index.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { isLoopbackHost } from '../config/index.ts';
import { loginPage, statusPage } from './page.ts';
import { buildStatus } from './status.ts';
import type { CloseOutcomeView, ControlTarget } from './status.ts';
import { bearerOf, newSessionId, tokenMatches } from './token.ts';

export interface ControlServerOptions {
  readonly config: ControlConfig;
  readonly token: string;
  readonly target: ControlTarget;
  readonly logger: Logger;
  readonly clock: Clock;
  /** How long a status-page login lasts (default 12 h). */
  readonly sessionMs?: number;
}

export interface ControlServer {
  /** `http://127.0.0.1:PORT` as bound (port 0 in the config → the port picked). */
  readonly url: string;
  readonly port: number;
  /** Something changed (a candle was decided, a trade, a command): push the status soon. */
  notify(): void;
  close(): Promise<void>;
}

const SESSION_COOKIE = 'qg_session';
/** Pushes closer together than this are merged into one (a close instant decides many candles). */
const PUSH_DEBOUNCE_MS = 200;

function cookieOf(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** Host without the port (`[::1]:8787` → `::1`). */
function hostName(header: string | undefined): string {
  const h = header ?? '';
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  return h.split(':')[0];
}

/**
 * The local control API and status page (fastify). Every `/api` route needs the token as
 * `Authorization: Bearer …`; the status page logs in once with a form POST and then holds an
 * HttpOnly, SameSite=Strict session cookie that is good for reading only (GET), so a page in
 * another site can neither read the status nor send a command. fastify's own request logging is
 * off: URLs and headers never reach the log.
 */
export async function startControlServer(o: ControlServerOptions): Promise<ControlServer> {
  const { config, token, target, clock } = o;
  const log = o.logger.child({ component: 'control' });
  const sessionMs = o.sessionMs ?? 12 * 3_600_000;
  const sessions = new Map<string, number>();
  const clients = new Set<ServerResponse>();
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 16_384, trustProxy: false });

  const sessionValid = (req: FastifyRequest): boolean => {
    const id = cookieOf(req, SESSION_COOKIE);
    if (id === undefined) return false;
    const until = sessions.get(id);
    if (until === undefined || until < Date.now()) {
      sessions.delete(id);
      return false;
    }
    return true;
  };
  const authorised = (req: FastifyRequest): boolean =>
    tokenMatches(bearerOf(req.headers.authorization), token) || (req.method === 'GET' && sessionValid(req));

  // The login form posts application/x-www-form-urlencoded; nothing else needs a parser for it.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.addHook('onRequest', async (req, reply) => {
    // DNS rebinding: a page on another name that resolves to 127.0.0.1 must not reach us.
    if (!config.allowRemote && !isLoopbackHost(hostName(req.headers.host)))
      return reply.code(421).send({ error: 'misdirected request: unexpected Host header' });
    reply.header('Cache-Control', 'no-store');
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    if (req.url.startsWith('/api/') && !authorised(req))
      return reply.code(401).send({ error: 'unauthorized: missing or wrong control token' });
  });

  const html = (reply: FastifyReply, body: string, nonce: string) =>
    reply
      .header(
        'Content-Security-Policy',
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      )
      .type('text/html; charset=utf-8')
      .send(body);

  app.get('/', async (req, reply) => {
    const nonce = newSessionId().slice(0, 22);
    return html(reply, sessionValid(req) ? statusPage(nonce) : loginPage(nonce), nonce);
  });

  app.post('/login', async (req, reply) => {
    const given = (req.body as Record<string, string> | undefined)?.token;
    if (!tokenMatches(given, token)) {
      log.warn('status page login refused: wrong token');
      const nonce = newSessionId().slice(0, 22);
      return html(reply.code(401), loginPage(nonce, 'Wrong token.'), nonce);
    }
    const id = newSessionId();
    sessions.set(id, Date.now() + sessionMs);
    reply.header(
      'Set-Cookie',
      `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(sessionMs / 1000)}`,
    );
    return reply.code(303).header('Location', '/').send();
  });

  app.post('/logout', async (req, reply) => {
    const id = cookieOf(req, SESSION_COOKIE);
    if (id !== undefined) sessions.delete(id);
    reply.header('Set-Cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
    return reply.code(303).header('Location', '/').send();
  });

  const status = () => buildStatus(target, clock.now());

  app.get('/api/status', async () => status());
  app.get('/api/positions', async () => ({ positions: status().positions }));

  app.get('/api/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 3000\n\n`);
    res.write(event(status()));
    clients.add(res);
    req.raw.on('close', () => clients.delete(res));
  });

  const command = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    log.info({ command: name }, 'control command');
    const r = await fn();
    notify();
    return r;
  };

  app.post('/api/pause', async () => {
    await command('pause', () => target.runtime.pauseEntries());
    return { paused: true, note: 'new entries paused; exits, take-profit and stop-loss keep working' };
  });
  app.post('/api/resume', async () => {
    await command('resume', () => target.runtime.resumeEntries());
    return { paused: false };
  });
  app.post('/api/close', async (req, reply) => {
    const body = (req.body ?? {}) as { symbol?: unknown; all?: unknown };
    if (body.all === true) {
      const symbols = target.runtime.status().openPositions.map((p) => p.symbol);
      const results: CloseOutcomeView[] = [];
      await command('close-all', async () => {
        for (const s of symbols) results.push(await target.runtime.closePosition(s));
      });
      return { results };
    }
    if (typeof body.symbol !== 'string' || body.symbol.length === 0)
      return reply.code(400).send({ error: 'expected {"symbol": "BTC/USDT"} or {"all": true}' });
    const symbol = body.symbol;
    const r = await command(`close ${symbol}`, () => target.runtime.closePosition(symbol));
    const code = r.result === 'sent' ? 200 : r.result === 'no_position' ? 404 : 409;
    return reply.code(code).send({ results: [r] });
  });
  app.post('/api/reload-models', async (_req, reply) => {
    const reload = target.reloadModels;
    if (reload === null)
      return reply.code(409).send({ error: 'model hot swap is off in this bot (no retrain service)' });
    return command('reload-models', reload);
  });

  app.setNotFoundHandler(async (_req, reply) => reply.code(404).send({ error: 'not found' }));
  app.setErrorHandler(async (e, _req, reply) => {
    log.error({ err: describeError(e) }, 'control request failed');
    return reply.code(500).send({ error: describeError(e).slice(0, 200) });
  });

  function event(s: unknown): string {
    return `event: status\ndata: ${JSON.stringify(s)}\n\n`;
  }
  let pushTimer: NodeJS.Timeout | undefined;
  function push(): void {
    pushTimer = undefined;
    if (clients.size === 0) return;
    let text: string;
    try {
      text = event(status());
    } catch (e) {
      log.warn({ err: describeError(e) }, 'status push failed');
      return;
    }
    for (const c of clients) c.write(text);
  }
  function notify(): void {
    if (pushTimer === undefined && clients.size > 0) pushTimer = setTimeout(push, PUSH_DEBOUNCE_MS);
  }
  const heartbeat = setInterval(push, config.refreshSeconds * 1000);
  heartbeat.unref();

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    clearInterval(heartbeat);
    const code = (e as NodeJS.ErrnoException).code;
    throw new QuantgateError(
      'CONFIG_INVALID',
      code === 'EADDRINUSE'
        ? `control.port: ${config.host}:${config.port} is already in use (another bot running? pick another control.port)`
        : `control.host / control.port: cannot listen on ${config.host}:${config.port} (${describeError(e)})`,
    );
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info({ url }, 'control API and status page listening');
  return {
    url,
    port,
    notify,
    async close() {
      clearInterval(heartbeat);
      if (pushTimer) clearTimeout(pushTimer);
      for (const c of clients) c.end();
      clients.clear();
      await app.close();
    },
  };
}
