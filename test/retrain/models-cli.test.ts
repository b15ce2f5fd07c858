import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { initBackend } from '../../src/models/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import {
  addAlert,
  MAX_ALERTS,
  promoteVersion,
  readActivePointer,
  readRegistry,
  registryPath,
  updateRegistry,
} from '../../src/retrain/index.ts';
import { CLI, REPO_ROOT, runCli } from '../support/cli.ts';
import { saveTinyVersion, storeContext } from './fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'qg-models-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ctx = storeContext(tmp, new ManualClock(Date.UTC(2026, 0, 1)));
const modelsDir = ctx.modelsDir;
const stateDir = join(tmp, 'state');
const configPath = join(tmp, 'config.yaml');

beforeAll(async () => {
  await initBackend();
  writeFileSync(
    configPath,
    stringify({
      exchange: { name: 'binance', symbols: ['BTC/USDT'] },
      data: { modelsDir, stateDir },
      logging: { level: 'warn' },
    }),
  );
  await saveTinyVersion(modelsDir, '1h', 'v1');
  await saveTinyVersion(modelsDir, '1h', 'v2');
});

function runAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('quantgate models (child process)', () => {
  it('list --json, promote (while another process writes the registry), show, rollback', async () => {
    const list = runCli(['models', 'list', '--timeframe', '1h', '--json', '--config', configPath]);
    expect(list.stderr).toBe('');
    const vs = JSON.parse(list.stdout) as {
      version: string;
      timeframe: string;
      status: string;
      createdAt: string;
      metrics: unknown;
      gate: unknown;
    }[];
    expect(vs.map((v) => v.version).sort()).toEqual(['v1', 'v2']);
    for (const v of vs) {
      expect(v).toMatchObject({ timeframe: '1h', status: 'candidate', gate: null });
      expect(typeof v.createdAt).toBe('string');
      expect(v.metrics).toBeTypeOf('object');
    }

    // In process (each CLI start costs seconds on a loaded machine): v1 active first.
    await promoteVersion(ctx, '1h', 'v1', 'first');
    // The CLI promotes v2 while this process keeps writing alerts: neither loses the other's update.
    const child = runAsync([
      'models',
      'promote',
      'v2',
      '--timeframe',
      '1h',
      '--json',
      '--config',
      configPath,
    ]);
    let done = false;
    void child.then(() => (done = true));
    let writes = 0;
    while (!done) {
      const i = writes++;
      await updateRegistry(registryPath(stateDir), (reg) =>
        addAlert(reg, {
          at: new Date().toISOString(),
          severity: 'info',
          code: `bot${i}`,
          message: 'tick',
          timeframe: null,
        }),
      );
      await sleep(25);
    }
    const pr = await child;
    expect(pr.stderr).toBe('');
    expect(JSON.parse(pr.stdout)).toMatchObject({ timeframe: '1h', active: 'v2' });
    const reg = readRegistry(registryPath(stateDir));
    expect(reg.alerts.filter((a) => a.code.startsWith('bot'))).toHaveLength(Math.min(writes, MAX_ALERTS));
    expect(reg.versions.find((v) => v.version === 'v2')?.status).toBe('active');
    expect(readActivePointer(modelsDir, '1h')).toBe('v2');

    expect(reg.versions.find((v) => v.version === 'v1')).toMatchObject({ status: 'retired', seed: 1 });

    const rb = runCli(['models', 'rollback', '--timeframe', '1h', '--config', configPath]);
    expect(rb.status).toBe(0);
    expect(rb.stdout).toContain('v2 → v1');
    expect(readActivePointer(modelsDir, '1h')).toBe('v1');
  }, 120_000);
});
