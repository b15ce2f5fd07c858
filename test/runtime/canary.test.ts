import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimExchange } from '../../src/simulator/index.ts';
import { installBinanceOrders } from '../../src/simulator/orders-binance.ts';
import { CLI, runCli } from '../support/cli.ts';
import { runtimeSeries } from './harness.ts';

const KEY = 'CANARYKEY0f3b9d27c4e14a8b95d0e6f1a2c3b4d5';
const SECRET = 'CANARYSECRET7e6d5c4b3a291807f6e5d4c3b2a1f0';
const env = { QUANTGATE_BINANCE_KEY: KEY, QUANTGATE_BINANCE_SECRET: SECRET };
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

  it('an error message with the keys set does not contain them', () => {
    const r = runCli(['live', '--live', '--config', join(dir, 'missing.yaml')], { env });
    expect(r.status).not.toBe(0);
    expectNoCanary(r.stdout + r.stderr, 'CLI error output');
  });
});
