import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimExchange } from '../../src/simulator/index.ts';
import type { SimServer } from '../../src/simulator/index.ts';
import { CLI } from '../support/cli.ts';
import { mountSmallDisk } from '../support/full-disk.ts';
import { runtimeSeries } from '../runtime/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'qg-live-shutdown-'));
const disk = mountSmallDisk();
afterAll(() => {
  disk?.unmount();
  rmSync(dir, { recursive: true, force: true });
});

function liveConfig(sim: SimServer, stateDir: string): string {
  const series = runtimeSeries();
  const cfg = join(dir, `live-${sim.port}.yaml`);
  writeFileSync(
    cfg,
    [
      'exchange:',
      '  name: binance',
      `  symbols: [${series.map((s) => s.symbol).join(', ')}]`,
      `  urls: { rest: "http://127.0.0.1:${sim.port}/api/v3", ws: "ws://127.0.0.1:${sim.port}/stream/ws" }`,
      'data:',
      `  dir: ${join(dir, 'data')}`,
      `  modelsDir: ${join(dir, 'models')}`,
      `  stateDir: ${stateDir}`,
      'strategy: { timeframes: [5m] }',
      'logging: { level: info, statusIntervalSeconds: 0 }',
    ].join('\n'),
  );
  return cfg;
}

/** Runs `quantgate live` (paper); `during` runs once it has started (or at once if `waitStart` is false). */
async function runLive(
  cfg: string,
  during: (child: ReturnType<typeof spawn>) => Promise<void>,
  waitStart = true,
): Promise<{ code: number | null; stderr: string; out: string }> {
  let out = '';
  let stderr = '';
  const child = spawn(process.execPath, [CLI, 'live', '--config', cfg], { env: { ...process.env } });
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  if (waitStart) {
    const t0 = Date.now();
    while (!stderr.includes('runtime started') && Date.now() - t0 < 90_000 && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
  }
  await during(child);
  const code = await exited;
  return { code, stderr, out };
}

/** One line naming the code, no stack frame, no huge line of (minified) source (log lines are JSON). */
function expectOneLineError(stderr: string, code: string, file: string): void {
  const all = stderr.trim().split('\n');
  expect(all.every((l) => l.length < 2000)).toBe(true);
  expect(stderr).not.toMatch(/\n\s+at /);
  const lines = all.filter((l) => !l.startsWith('{'));
  expect(lines, stderr.slice(0, 2000)).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error \\[${code}\\]: `));
  expect(lines[0]).toContain(file);
  expect(lines[0].length).toBeLessThan(500);
}

describe('live shutdown and start failures', () => {
  it.skipIf(disk === null)(
    'SIGTERM with a full state disk: one-line WRITE_FAILED error, exit 9, lock released',
    async () => {
      const series = runtimeSeries();
      const sim = await startSimExchange({ series, startTime: series[0].candles[400].timestamp });
      const stateDir = join(disk!.dir, 'state');
      try {
        const r = await runLive(liveConfig(sim, stateDir), async (child) => {
          expect(existsSync(join(stateDir, 'runtime-state.json.lock'))).toBe(true);
          disk!.fill();
          child.kill('SIGTERM');
        });
        expect(r.stderr).toContain('runtime started');
        expectOneLineError(r.stderr, 'WRITE_FAILED', join(stateDir, 'runtime-state.json'));
        expect(r.code).toBe(9);
        expect(existsSync(join(stateDir, 'runtime-state.json.lock'))).toBe(false);
        // The last good state is still there for the restart.
        expect(existsSync(join(stateDir, 'runtime-state.json'))).toBe(true);
      } finally {
        disk!.free();
        await sim.close();
      }
    },
    150_000,
  );

  it('a corrupt state file: one-line STATE_CORRUPT error, exit 6, lock released', async () => {
    const series = runtimeSeries();
    const sim = await startSimExchange({ series, startTime: series[0].candles[400].timestamp });
    const stateDir = join(dir, 'corrupt-state');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, 'runtime-state.json'), '{"version": 1, "cash": ');
    try {
      const r = await runLive(liveConfig(sim, stateDir), async () => undefined, false);
      expectOneLineError(r.stderr, 'STATE_CORRUPT', join(stateDir, 'runtime-state.json'));
      expect(r.code).toBe(6);
      expect(existsSync(join(stateDir, 'runtime-state.json.lock'))).toBe(false);
    } finally {
      await sim.close();
    }
  }, 150_000);
});
