import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { WorkerTrainRequest } from '../../src/retrain/index.ts';
import { createCycleRunner, trainInWorker } from '../../src/retrain/index.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { TINY_MODEL } from '../support/tiny-model.ts';
import { T0, scenarioConfig } from './bot.ts';

const tmp = mkdtempSync(join(tmpdir(), 'qg-retrain-worker-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = configSchema.parse({
  exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] },
  data: { dir: join(REPO_ROOT, 'test/fixtures/candles'), modelsDir: join(tmp, 'models') },
  model: TINY_MODEL,
  logging: { level: 'silent' },
});

function request(outDir: string): WorkerTrainRequest {
  return {
    config,
    timeframe: '5m',
    symbols: ['BTC/USDT', 'ETH/USDT'],
    exchange: 'binance',
    dataDir: config.data.dir,
    outDir,
    epochs: 1,
  };
}

const limits = { memoryMb: 1024, timeoutMs: 120_000, logger: silentLogger() };

/**
 * The share of wall time the main thread's event loop spent running callbacks while `work` ran
 * (performance.eventLoopUtilization). Training on the main thread makes it ≈ 1; in a worker the main
 * thread only waits. Unlike an event-loop-lag percentile it does not grow when other processes
 * take the cores: a waiting thread stays idle however slowly it is scheduled.
 */
async function mainThreadBusy<T>(work: () => Promise<T>): Promise<{ value: T; busy: number }> {
  const start = performance.eventLoopUtilization();
  const value = await work();
  return { value, busy: performance.eventLoopUtilization(start).utilization };
}

describe('training in a worker thread', () => {
  it('trains a real model while the main thread stays free (event loop mostly idle)', async () => {
    const out = join(tmp, 'ok');
    const { value: o, busy } = await mainThreadBusy(() => trainInWorker(request(out), limits).outcome);
    if (!o.ok) throw new Error(o.message);
    expect(o.result.modelDir).toBe(out);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    expect(o.result.metrics?.samples).toBeGreaterThan(0);
    expect(busy).toBeLessThan(0.25);
  }, 120_000);

  it('a whole cycle — data check, training, hold-out backtests, gate, promotion — keeps the main thread free too', async () => {
    const runner = createCycleRunner({
      config: scenarioConfig(join(tmp, 'cycle')),
      clock: new ManualClock(T0),
      logger: silentLogger(),
      alerts: { raise: () => undefined },
    });
    const { value: runs, busy } = await mainThreadBusy(async () => [
      await runner.run('5m', 'lag test'),
      await runner.run('5m', 'lag test, against the active model'),
    ]);
    const [first, second] = runs;
    expect(first.status).toBe('promoted');
    expect(['promoted', 'rejected']).toContain(second.status);
    expect(second.verdict?.figures).toHaveProperty('activeVersion', first.active);
    for (const o of [first, second])
      expect(Object.keys(o.timings)).toEqual(expect.arrayContaining(['data-quality', 'train', 'evaluate']));
    expect(busy).toBeLessThan(0.25);
  }, 180_000);

  it('a killed worker, a timeout and an out-of-memory worker are outcomes, never a throw', async () => {
    const killed = trainInWorker(request(join(tmp, 'killed')), limits);
    setTimeout(() => void killed.terminate(), 300);
    const timeout = trainInWorker(request(join(tmp, 'timeout')), { ...limits, timeoutMs: 300 });
    const oom = trainInWorker(request(join(tmp, 'oom')), { ...limits, memoryMb: 4 });
    const [k, t, m] = await Promise.all([killed.outcome, timeout.outcome, oom.outcome]);
    expect(k).toMatchObject({ ok: false, failure: 'crash' });
    expect(t).toMatchObject({ ok: false, failure: 'timeout' });
    expect(t.ok ? '' : t.message).toContain('retrain.worker.timeoutMinutes');
    expect(m).toMatchObject({ ok: false, failure: 'oom' });
    expect(m.ok ? '' : m.message).toContain('retrain.worker.memoryMb = 4');
    for (const d of ['killed', 'timeout', 'oom'])
      expect(existsSync(join(tmp, d, 'manifest.json'))).toBe(false);
  }, 60_000);

  it('a training error (too little history) comes back with its code', async () => {
    const o = await trainInWorker({ ...request(join(tmp, 'short')), from: Date.UTC(2100, 0, 1) }, limits)
      .outcome;
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.failure).toBe('error');
    expect(o.code).not.toBeNull();
    expect(o.code).not.toBe('INTERNAL');
  }, 60_000);
});
