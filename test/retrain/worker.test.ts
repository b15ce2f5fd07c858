import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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

describe('training in a worker thread', () => {
  it('trains a real model while the main thread keeps its latency (event-loop lag p99 < 50 ms)', async () => {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const out = join(tmp, 'ok');
    const o = await trainInWorker(request(out), limits).outcome;
    h.disable();
    if (!o.ok) throw new Error(o.message);
    expect(o.result.modelDir).toBe(out);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    expect(o.result.metrics?.samples).toBeGreaterThan(0);
    const p99 = h.percentile(99) / 1e6;
    expect(p99).toBeLessThan(50);
  }, 120_000);

  it('a whole cycle — data check, training, hold-out backtests, gate, promotion — keeps the lag too', async () => {
    const runner = createCycleRunner({
      config: scenarioConfig(join(tmp, 'cycle')),
      clock: new ManualClock(T0),
      logger: silentLogger(),
      alerts: { raise: () => undefined },
    });
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const first = await runner.run('5m', 'lag test');
    const second = await runner.run('5m', 'lag test, against the active model');
    h.disable();
    expect(first.status).toBe('promoted');
    expect(['promoted', 'rejected']).toContain(second.status);
    expect(second.verdict?.figures).toHaveProperty('activeVersion', first.active);
    for (const o of [first, second])
      expect(Object.keys(o.timings)).toEqual(expect.arrayContaining(['data-quality', 'train', 'evaluate']));
    expect(h.percentile(99) / 1e6).toBeLessThan(50);
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
