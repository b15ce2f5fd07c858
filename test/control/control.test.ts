import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { SecretRedactor, createLogger, timeframeMs } from '../../src/core/index.ts';
import { readCandles } from '../../src/exchange/index.ts';
import type { Forecaster } from '../../src/models/index.ts';
import { startLive } from '../../src/app/index.ts';
import type { LiveHandle } from '../../src/app/index.ts';
import type { TradeRecord } from '../../src/runtime/index.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import type { SimServer } from '../../src/simulator/index.ts';
import { spawn } from 'node:child_process';
import { CLI, REPO_ROOT } from '../support/cli.ts';
import {
  CANDLE_STORE,
  TRAINED_SYMBOLS,
  TRAINED_TIMEFRAMES,
  tinyTradingConfig,
  trainTinyModels,
} from '../support/trained-models.ts';
import { stepCandles, storeSeries, waitSubscribed } from '../runtime/harness.ts';

const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'qg-control-'));
const TOKEN = 'test-control-token-0123456789abcdef';
const CHROMIUM = '/usr/bin/chromium';
// CI must render the page (.ci/run installs Chromium); elsewhere a missing browser skips that test.
const skipBrowser = !existsSync(CHROMIUM) && process.env.CI !== 'true';

const logLines: string[] = [];
let sim: SimServer;
let handle: LiveHandle;
let config: Config;
let base = '';
const trades: TradeRecord[] = [];
let trained: Partial<Record<string, Forecaster>> = {};

const api = (path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> => {
  const token = init.token === undefined ? TOKEN : init.token;
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers as object) } });
};
const json = async (r: Response): Promise<Record<string, unknown>> =>
  (await r.json()) as Record<string, unknown>;

beforeAll(async () => {
  const c = tinyTradingConfig(work);
  config = configSchema.parse({ ...c, control: { enabled: true, port: 0, refreshSeconds: 1 } });
  const last5m = Math.min(
    ...TRAINED_SYMBOLS.map((s) => readCandles(CANDLE_STORE, 'binance', '5m', s)!.candles.at(-1)!.timestamp),
  );
  const start = Math.floor((last5m - 86_400_000) / timeframeMs('1h')) * timeframeMs('1h');
  trained = await trainTinyModels(config, start);
  sim = await startSimExchange({
    series: storeSeries(CANDLE_STORE, TRAINED_SYMBOLS, TRAINED_TIMEFRAMES),
    startTime: start,
  });
  sim.advance();
  handle = await startLive(config, {
    live: false,
    logger: createLogger({ level: 'info', destination: { write: (s: string) => logLines.push(s) } }),
    redactor: new SecretRedactor([]),
    clock: sim.clock,
    urls: simUrls(sim, 'binance'),
    models: trained,
    // The retrain service without schedule, downloads or monitor: only its hot-swap path (reload-models).
    retrain: { refresh: false, schedule: false, monitor: false },
    stream: { checkIntervalMs: 20 },
    controlToken: TOKEN,
    onTrade: (t) => trades.push(t),
  });
  base = handle.control!.url;
  await waitSubscribed(sim, TRAINED_SYMBOLS.length * TRAINED_TIMEFRAMES.length, 180_000);
}, 300_000);

/** Waits for an element's whole text (a locator: runs beside the page's CSP, which forbids eval). */
async function textIs(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector, { hasText: new RegExp(`^${text}$`) }).waitFor({ timeout: 10_000 });
}

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for the page to change');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The real CLI in a child process, asynchronously: the bot it talks to runs in this process. */
function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

afterAll(async () => {
  await handle?.stop();
  await sim?.close();
  for (const t of Object.values(trained)) t?.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('control API of the live paper runtime on the local exchange', () => {
  it('listens on 127.0.0.1 only and refuses a missing or wrong token', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const path of ['/api/status', '/api/positions', '/api/events']) {
      expect((await api(path, { token: null })).status).toBe(401);
      expect((await api(path, { token: 'wrong-token-wrong-token-wrong' })).status).toBe(401);
      // A prefix of the right token is wrong too (the comparison is over whole hashed values).
      expect((await api(path, { token: TOKEN.slice(0, -1) })).status).toBe(401);
    }
    for (const path of ['/api/pause', '/api/resume', '/api/close', '/api/reload-models'])
      expect((await api(path, { method: 'POST', token: null })).status).toBe(401);
    // The status page without a session is the login form; a wrong token gets no cookie.
    const page = await fetch(`${base}/`);
    expect(await page.text()).toContain('name="token"');
    const bad = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=nope',
      redirect: 'manual',
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    // A page on another host name that resolves here (DNS rebinding) is turned away.
    const { request } = await import('node:http');
    const port = new URL(base).port;
    const code = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/status',
          headers: { host: `evil.example:${port}`, authorization: `Bearer ${TOKEN}` },
        },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end();
    });
    expect(code).toBe(421);

    const ok = await api('/api/status');
    expect(ok.status).toBe(200);
    const s = await json(ok);
    expect(s.mode).toBe('paper');
    expect(s.risk).toEqual({ state: 'ACTIVE', paused: false });
    expect(s.models as unknown[]).toHaveLength(2);
    expect(s.stream).toHaveProperty('line');
  });

  it('pause refuses new entries while exits keep working; close goes out as a market exit; resume lifts it', async () => {
    const run = { runtime: handle.runtime, stream: handle.stream };
    const stepUntil = async (cond: () => boolean, max: number): Promise<void> => {
      for (let i = 0; i < max && !cond(); i++) await stepCandles(sim, run, 1);
    };
    // Trade until a position is open.
    await stepUntil(() => Object.keys(handle.runtime.snapshot.positions).length > 0, 200);
    const open = Object.keys(handle.runtime.snapshot.positions);
    expect(open.length, 'the tiny demo-threshold models opened a position').toBeGreaterThan(0);

    const p = await api('/api/pause', { method: 'POST' });
    expect(p.status).toBe(200);
    expect(handle.runtime.status().risk).toEqual({ state: 'ACTIVE', paused: true });
    const opensBefore = trades.filter((t) => t.kind === 'open').length;
    // Entries the strategy wants are refused with reason `paused` (counted by the runtime).
    await stepUntil(() => (handle.runtime.snapshot.decisions.skipped.paused ?? 0) > 0, 150);
    expect(handle.runtime.snapshot.decisions.skipped.paused ?? 0).toBeGreaterThan(0);
    expect(trades.filter((t) => t.kind === 'open').length).toBe(opensBefore);

    // Exits keep working while paused: a position that closed meanwhile left by an exit order.
    for (const sym of open)
      if (handle.runtime.snapshot.positions[sym] === undefined)
        expect(trades.some((t) => t.symbol === sym && t.kind !== 'open' && t.qty > 0)).toBe(true);
    if (Object.keys(handle.runtime.snapshot.positions).length === 0) {
      // All closed: let the strategy open another one to close by hand.
      await api('/api/resume', { method: 'POST' });
      await stepUntil(() => Object.keys(handle.runtime.snapshot.positions).length > 0, 200);
      await api('/api/pause', { method: 'POST' });
    }
    // While paused, an operator close is an exit: sent now, filled at the next candle's open (paper).
    const symbol = Object.keys(handle.runtime.snapshot.positions)[0];
    expect(symbol).toBeDefined();
    const r = await api('/api/close', { method: 'POST', body: JSON.stringify({ symbol }) });
    expect(r.status).toBe(200);
    const body = (await json(r)) as { results: Array<{ result: string; clientOrderId: string }> };
    expect(body.results[0].result).toBe('sent');
    expect(
      handle.runtime.snapshot.pending.some((x) => x.kind === 'manual_close' && x.symbol === symbol),
    ).toBe(true);
    // A second close while the first waits for its fill is refused, not doubled.
    expect((await api('/api/close', { method: 'POST', body: JSON.stringify({ symbol }) })).status).toBe(409);
    await stepCandles(sim, run, 1);
    expect(handle.runtime.snapshot.positions[symbol]).toBeUndefined();
    const fill = trades.find((t) => t.clientOrderId === body.results[0].clientOrderId)!;
    expect(fill.kind).toBe('manual_close');
    expect(fill.side).toBe('sell');
    expect(fill.qty).toBeGreaterThan(0);
    expect(fill.pnl).toBeDefined();
    expect((await api('/api/close', { method: 'POST', body: JSON.stringify({ symbol }) })).status).toBe(404);

    expect((await api('/api/resume', { method: 'POST' })).status).toBe(200);
    expect(handle.runtime.status().risk).toEqual({ state: 'ACTIVE', paused: false });
    const all = await api('/api/close', { method: 'POST', body: JSON.stringify({ all: true }) });
    expect(all.status).toBe(200);
    const results = ((await json(all)).results ?? []) as Array<{ result: string }>;
    for (const r of results) expect(['sent', 'order_pending']).toContain(r.result);
    expect(results.length).toBe(Object.keys(handle.runtime.snapshot.positions).length);

    const reload = await api('/api/reload-models', { method: 'POST' });
    expect(reload.status).toBe(200);
    const rb = (await json(reload)) as { after: Record<string, string>; changed: string[] };
    expect(rb.changed).toEqual([]);
    expect(rb.after['5m']).toBe(trained['5m']!.version);
  }, 300_000);

  it.skipIf(skipBrowser)(
    'the status page renders in headless Chromium and follows server-sent events',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        await page.goto(`${base}/`);
        await page.fill('#token', TOKEN);
        await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
        // The token is not in the URL or anywhere the page script can read: an HttpOnly cookie holds a session id.
        expect(page.url()).not.toContain(TOKEN);
        expect(await page.evaluate('document.cookie')).toBe('');
        await textIs(page, '#conn', 'live');
        expect(await page.textContent('#risk')).toBe('ACTIVE');
        expect(await page.textContent('#equity')).toMatch(/^[\d,]+\.\d\d$/);
        expect(await page.locator('#equity-chart path').count()).toBe(1);
        expect(await page.locator('#models tr').count()).toBe(3);

        // A command from another shell shows up without a reload (pushed as an event).
        await api('/api/pause', { method: 'POST' });
        await textIs(page, '#risk', 'PAUSED');
        const before = await page.textContent('#updated');
        await stepCandles(sim, { runtime: handle.runtime, stream: handle.stream }, 2);
        await waitFor(async () => (await page.textContent('#updated')) !== before, 10_000);
        if (process.env.QG_STATUS_SCREENSHOT)
          await page.screenshot({ path: process.env.QG_STATUS_SCREENSHOT, fullPage: true });
        await api('/api/resume', { method: 'POST' });
        await textIs(page, '#risk', 'ACTIVE');
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );

  it('CLI: status and pause against the running bot, exit 7 on a wrong token, exit 4 when no bot answers', async () => {
    const cfg = join(work, 'cli.yaml');
    writeFileSync(cfg, `control:\n  port: ${new URL(base).port}\n`);
    const st = await runCli(['status', '--config', cfg], { QUANTGATE_CONTROL_TOKEN: TOKEN });
    expect(st.stderr).toBe('');
    expect(st.status).toBe(0);
    expect(st.stdout).toMatch(/^paper on binance/);
    expect(st.stdout).toContain('risk: ACTIVE');
    const wrong = await runCli(['positions', '--config', cfg], {
      QUANTGATE_CONTROL_TOKEN: 'another-token-0123456789',
    });
    expect(wrong.status).toBe(7);
    expect(wrong.stderr).toMatch(/refused the control token/);
    expect(wrong.stderr).not.toContain('another-token-0123456789');
    // Neither a symbol nor --all is a usage error, found before the bot is asked anything.
    const bare = await runCli(['close', '--config', cfg], { QUANTGATE_CONTROL_TOKEN: TOKEN });
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/give one symbol/);
    const none = join(work, 'none.yaml');
    writeFileSync(none, 'control:\n  port: 9\n');
    const down = await runCli(['pause', '--config', none], { QUANTGATE_CONTROL_TOKEN: TOKEN });
    expect(down.status).toBe(4);
    expect(down.stderr).toMatch(/no bot answers on http:\/\/127\.0\.0\.1:9/);
  }, 120_000);

  it('the token never reaches the log; commands are logged by name', () => {
    const text = logLines.join('');
    expect(text).toContain('"command":"pause"');
    expect(text).toContain('control API and status page listening');
    expect(text).not.toContain(TOKEN);
  });
});

describe('control API start-up checks', () => {
  it('refuses to start without a token, and a non-loopback host without allowRemote', async () => {
    const c = configSchema.parse({ ...tinyTradingConfig(work), control: { enabled: true } });
    const env = process.env.QUANTGATE_CONTROL_TOKEN;
    delete process.env.QUANTGATE_CONTROL_TOKEN;
    try {
      await expect(
        startLive(c, {
          live: false,
          logger: createLogger({ level: 'silent' }),
          redactor: new SecretRedactor([]),
        }),
      ).rejects.toThrow(/QUANTGATE_CONTROL_TOKEN is not set/);
    } finally {
      if (env !== undefined) process.env.QUANTGATE_CONTROL_TOKEN = env;
    }
    const r = configSchema.safeParse({ ...tinyTradingConfig(work), control: { host: '0.0.0.0' } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/control\.allowRemote: true/);
    expect(
      configSchema.safeParse({ ...tinyTradingConfig(work), control: { host: '0.0.0.0', allowRemote: true } })
        .success,
    ).toBe(true);
  });
});
