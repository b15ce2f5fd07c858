import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimExchange } from '../../src/simulator/index.ts';
import { installBinanceOrders } from '../../src/simulator/orders-binance.ts';
import { CLI, runCli } from '../support/cli.ts';
import { configFromOptions, loadConfigModule } from '../../src/cli/run.ts';
import { createLogger } from '../../src/core/logger.ts';
import { SecretRedactor, secretValuesFromEnv } from '../../src/core/secrets.ts';
import { createAlertSink } from '../../src/retrain/index.ts';
import { runtimeSeries } from './harness.ts';

const KEY = 'CANARYKEY0f3b9d27c4e14a8b95d0e6f1a2c3b4d5';
const SECRET = 'CANARYSECRET7e6d5c4b3a291807f6e5d4c3b2a1f0';
const env = { QUANTGATE_BINANCE_KEY: KEY, QUANTGATE_BINANCE_SECRET: SECRET };
// A webhook URL whose every part is a credential (#18 item 2): user, password, path token, query.
const HOOK_USER = 'canaryuser3c1a';
const HOOK_PASS = 'CANARYPASS9f2e71';
const HOOK_TOKEN = 'CANARYTOKEN7d1c44b2';
const HOOK_QUERY = 'CANARYQUERY55aa';
const HOOK_URL = `http://${HOOK_USER}:${HOOK_PASS}@127.0.0.1:9/services/${HOOK_TOKEN}?sig=${HOOK_QUERY}`;
const dir = mkdtempSync(join(tmpdir(), 'qg-canary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function allFiles(d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

function expectNoCanary(text: string, where: string): void {
  expect(text.includes(KEY), `API key found in ${where}`).toBe(false);
  expect(text.includes(SECRET), `API secret found in ${where}`).toBe(false);
  for (const part of [HOOK_USER, HOOK_PASS, HOOK_TOKEN, HOOK_QUERY])
    expect(text.includes(part), `webhook credential ${part} found in ${where}`).toBe(false);
}

describe('API keys never leave the environment', () => {
  it('live --live with canary keys at trace level: no log line, output, state file or error contains them', async () => {
    const series = runtimeSeries();
    const start = series[0].candles[400].timestamp;
    const sim = await startSimExchange({ series, startTime: start });
    installBinanceOrders(sim, { balances: { USDT: 10_000 }, feeRate: 0.001 });
    const cfg = join(dir, 'live.yaml');
    writeFileSync(
      cfg,
      [
        'exchange:',
        '  name: binance',
        `  symbols: [${series.map((s) => s.symbol).join(', ')}]`,
        `  urls: { rest: "http://127.0.0.1:${sim.port}/api/v3", ws: "ws://127.0.0.1:${sim.port}/stream/ws" }`,
        '  warmupCandles: 50',
        'data:',
        `  dir: ${join(dir, 'data')}`,
        `  modelsDir: ${join(dir, 'models')}`,
        `  stateDir: ${join(dir, 'state')}`,
        'strategy: { timeframes: [5m] }',
        'logging: { level: trace, statusIntervalSeconds: 1 }',
        `alerts: { webhookUrl: "${HOOK_URL}", minSeverity: info, webhookTimeoutMs: 500 }`,
      ].join('\n'),
    );
    let out = '';
    const child = spawn(process.execPath, [CLI, 'live', '--live', '--config', cfg], {
      env: { ...process.env, ...env },
    });
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const t0 = Date.now();
      while (!out.includes('runtime started') && Date.now() - t0 < 90_000 && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 200));
      expect(out).toContain('runtime started');
      for (let i = 0; i < 5; i++) {
        sim.advance();
        await new Promise((r) => setTimeout(r, 300));
      }
      // A loaded machine logs the same lines later, not fewer: wait for them rather than a fixed time.
      const t1 = Date.now();
      while (out.split('\n').length <= 20 && Date.now() - t1 < 30_000 && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 200));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await sim.close();
    }
    // The signed account/reconciliation calls went out with the key, and the run logged at trace level.
    expect(out.split('\n').length).toBeGreaterThan(20);
    expectNoCanary(out, 'stdout/stderr');
    const files = allFiles(dir).filter((f) => f !== cfg);
    expect(files.some((f) => f.includes('state'))).toBe(true);
    for (const f of files) expectNoCanary(readFileSync(f, 'utf8'), f);
  }, 150_000);

  it('webhook credentials: a failed delivery (fetch echoes the URL), the stored alert and the log are scrubbed', async () => {
    const lines: string[] = [];
    // A logger that knows no secret: the alert sink must scrub the fetch error itself.
    const logger = createLogger({
      level: 'trace',
      format: 'json',
      destination: { write: (l) => lines.push(l) },
      redactor: new SecretRedactor([]),
    });
    const registryFile = join(dir, 'hook-registry.json');
    const sink = createAlertSink({
      logger,
      registryFile,
      webhookUrl: HOOK_URL,
      minSeverity: 'info',
      webhookTimeoutMs: 500,
    });
    sink.raise({ severity: 'critical', code: 'CANARY', message: 'a test alert' });
    await sink.flush();
    expect(sink.stats().deliveryFailures).toBe(1);
    const logged = lines.join('');
    expect(logged).toContain('alert webhook delivery failed');
    expectNoCanary(logged, 'alert sink log');
    expectNoCanary(readFileSync(registryFile, 'utf8'), 'stored alerts');
    // The config loader registers the URL's parts: any later redactor (CLI errors, loggers) scrubs them.
    const cfg = join(dir, 'hook.yaml');
    writeFileSync(cfg, `alerts: { webhookUrl: "${HOOK_URL}" }\n`);
    await loadConfigModule(); // as the CLI's preAction hook does before any command runs
    configFromOptions({ config: [cfg] });
    const r = new SecretRedactor(secretValuesFromEnv({}));
    const leak = `TypeError: Request cannot be constructed from a URL that includes credentials: ${HOOK_URL} (path /services/${HOOK_TOKEN}?sig=${HOOK_QUERY}, decoded ${decodeURIComponent(HOOK_URL)})`;
    expectNoCanary(r.redact(leak), 'redacted error text');
    expect(() => createAlertSink({ logger, webhookUrl: `notaurl ${HOOK_PASS}` })).toThrow(/not a valid URL/);
    try {
      createAlertSink({ logger, webhookUrl: `notaurl ${HOOK_PASS}` });
    } catch (e) {
      expectNoCanary(String(e), 'invalid-URL error');
    }
  });

  it('an error message with the keys set does not contain them', () => {
    const r = runCli(['live', '--live', '--config', join(dir, 'missing.yaml')], { env });
    expect(r.status).not.toBe(0);
    expectNoCanary(r.stdout + r.stderr, 'CLI error output');
  });
});
