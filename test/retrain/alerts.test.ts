import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Logger } from '../../src/core/logger.ts';
import { createAlertSink, readRegistry } from '../../src/retrain/index.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface Hook {
  readonly url: string;
  readonly bodies: Record<string, unknown>[];
  close(): Promise<void>;
}

async function startHook(handler: Handler): Promise<Hook> {
  const bodies: Record<string, unknown>[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/secret-token`,
    bodies,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => raw.push(s) } });
  return { logger, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const ok: Handler = (_req, res) => res.end('ok');

describe('alert sink', () => {
  let dir: string;
  let hooks: Hook[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qg-alerts-'));
    hooks = [];
  });
  afterEach(async () => {
    await Promise.all(hooks.map((h) => h.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  async function hook(h: Handler): Promise<Hook> {
    const x = await startHook(h);
    hooks.push(x);
    return x;
  }

  it('logs by severity, stores every alert in the registry and posts those at or above minSeverity', async () => {
    const h = await hook(ok);
    const { logger, lines } = captureLogger();
    const registryFile = join(dir, 'state', 'registry.json');
    const clock = new ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5));
    const sink = createAlertSink({ logger, registryFile, webhookUrl: h.url, minSeverity: 'warning', clock });
    sink.raise({ severity: 'info', code: 'note', message: 'just so you know' });
    sink.raise({ severity: 'critical', code: 'rollback', message: 'rolled back 1h', timeframe: '1h' });
    sink.raise({ severity: 'warning', code: 'drift', message: 'drift on 5m', timeframe: '5m' });
    // Logged synchronously, before anything was awaited.
    expect(lines().map((l) => [l.level, l.alert, l.msg])).toEqual([
      [30, 'note', 'just so you know'],
      [50, 'rollback', 'rolled back 1h'],
      [40, 'drift', 'drift on 5m'],
    ]);
    await sink.flush();
    expect(h.bodies).toEqual([
      {
        source: 'quantgate',
        at: '2026-01-02T03:04:05.000Z',
        severity: 'critical',
        code: 'rollback',
        message: 'rolled back 1h',
        timeframe: '1h',
        droppedBefore: 0,
      },
      {
        source: 'quantgate',
        at: '2026-01-02T03:04:05.000Z',
        severity: 'warning',
        code: 'drift',
        message: 'drift on 5m',
        timeframe: '5m',
        droppedBefore: 0,
      },
    ]);
    const reg = readRegistry(registryFile);
    expect(reg.alerts.map((a) => [a.severity, a.code, a.timeframe])).toEqual([
      ['info', 'note', null],
      ['critical', 'rollback', '1h'],
      ['warning', 'drift', '5m'],
    ]);
    expect(sink.stats()).toMatchObject({ raised: 3, stored: 3, delivered: 2, deliveryFailures: 0 });
  });

  it('raise returns before the webhook has answered (it never waits for delivery)', async () => {
    let release: () => void = () => undefined;
    const answered = new Promise<void>((r) => (release = r));
    let arrived: () => void = () => undefined;
    const got = new Promise<void>((r) => (arrived = r));
    const h = await hook((_req, res) => {
      arrived();
      void answered.then(() => res.end('ok'));
    });
    const sink = createAlertSink({ logger: captureLogger().logger, webhookUrl: h.url });
    sink.raise({ severity: 'critical', code: 'x', message: 'm' });
    expect(h.bodies).toHaveLength(0);
    expect(sink.stats().delivered).toBe(0);
    await got;
    let flushed = false;
    const f = sink.flush().then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(flushed).toBe(false);
    release();
    await f;
    expect(sink.stats()).toMatchObject({ delivered: 1, deliveryFailures: 0 });
  });

  it('a hanging webhook times out, is logged, and the next alert is still delivered', async () => {
    let n = 0;
    const h = await hook((_req, res) => {
      if (n++ === 0) return; // never answers
      res.end('ok');
    });
    const { logger, lines } = captureLogger();
    const sink = createAlertSink({ logger, webhookUrl: h.url, webhookTimeoutMs: 150 });
    sink.raise({ severity: 'critical', code: 'first', message: 'lost' });
    sink.raise({ severity: 'critical', code: 'second', message: 'arrives' });
    await sink.flush();
    expect(sink.stats()).toMatchObject({ delivered: 1, deliveryFailures: 1 });
    expect(h.bodies.map((b) => b.code)).toEqual(['first', 'second']);
    const fail = lines().find((l) => l.msg === 'alert webhook delivery failed');
    expect(fail).toMatchObject({ code: 'first' });
    expect(String(fail?.err)).toContain('within 150 ms (alerts.webhookTimeoutMs)');
    // The token in the URL path is not written to the log.
    expect(JSON.stringify(lines())).not.toContain('secret-token');
  });

  it('an HTTP 500 is logged as a failed delivery', async () => {
    const h = await hook((_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    const { logger, lines } = captureLogger();
    const sink = createAlertSink({ logger, webhookUrl: h.url });
    sink.raise({ severity: 'warning', code: 'w', message: 'm' });
    await sink.flush();
    expect(sink.stats()).toMatchObject({ delivered: 0, deliveryFailures: 1 });
    const fail = lines().find((l) => l.msg === 'alert webhook delivery failed');
    expect(String(fail?.err)).toContain('HTTP 500');
  });

  it('a full queue drops the oldest waiting alerts, counts them and tells the receiver', async () => {
    let release: () => void = () => undefined;
    const answered = new Promise<void>((r) => (release = r));
    const h = await hook((_req, res) => void answered.then(() => res.end('ok')));
    const { logger, lines } = captureLogger();
    const sink = createAlertSink({ logger, webhookUrl: h.url, webhookQueueSize: 3 });
    for (let i = 0; i < 10; i++) sink.raise({ severity: 'critical', code: `a${i}`, message: 'm' });
    // a0 is in flight; a1..a6 were pushed out by a7..a9.
    expect(sink.stats().webhookDropped).toBe(6);
    expect(lines().filter((l) => String(l.msg).startsWith('alert webhook queue full'))).toHaveLength(6);
    release();
    await sink.flush();
    expect(h.bodies.map((b) => [b.code, b.droppedBefore])).toEqual([
      ['a0', 0],
      ['a7', 6],
      ['a8', 0],
      ['a9', 0],
    ]);
  });

  it('a registry that cannot be written is logged, never thrown, and the webhook still goes', async () => {
    const h = await hook(ok);
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    const { logger, lines } = captureLogger();
    const registryFile = join(dir, 'not-a-dir', 'registry.json');
    const sink = createAlertSink({ logger, registryFile, webhookUrl: h.url });
    expect(() => sink.raise({ severity: 'critical', code: 'c', message: 'm' })).not.toThrow();
    await sink.flush();
    expect(sink.stats()).toMatchObject({ stored: 0, storeFailures: 1, delivered: 1 });
    expect(lines().find((l) => String(l.msg).startsWith('could not store alerts'))).toMatchObject({
      registry: registryFile,
    });
  });

  it('alerts raised while a registry write is in flight are all stored, in order', async () => {
    const registryFile = join(dir, 'registry.json');
    const sink = createAlertSink({ logger: captureLogger().logger, registryFile });
    for (let i = 0; i < 25; i++) {
      sink.raise({ severity: 'info', code: `c${i}`, message: 'm' });
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await sink.flush();
    expect(readRegistry(registryFile).alerts.map((a) => a.code)).toEqual(
      Array.from({ length: 25 }, (_, i) => `c${i}`),
    );
  });

  it('an unusable webhook URL is a config error naming alerts.webhookUrl', () => {
    const logger = captureLogger().logger;
    expect(() => createAlertSink({ logger, webhookUrl: 'not a url' })).toThrow(/alerts\.webhookUrl/);
    expect(() => createAlertSink({ logger, webhookUrl: 'ftp://x/y' })).toThrow(/http:\/\/ or https:\/\//);
  });
});
