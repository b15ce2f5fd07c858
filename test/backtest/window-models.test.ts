import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWindowTrainer, trainingKey } from '../../src/backtest/window-models.ts';
import type { WalkForwardSlot } from '../../src/backtest/walk-forward.ts';
import { configSchema } from '../../src/config/index.ts';
import { createLogger } from '../../src/core/logger.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { TINY_MODEL } from '../support/tiny-model.ts';

const tmp = mkdtempSync(join(tmpdir(), 'qg-window-models-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = configSchema.parse({
  exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] },
  data: { dir: join(REPO_ROOT, 'test/fixtures/candles') },
  model: TINY_MODEL,
  strategy: { timeframes: ['5m'], executionTimeframe: '5m', fusion: { weights: { '5m': 1 } } },
  logging: { level: 'silent' },
});
const D = 86_400_000;
const slot = (day: number): WalkForwardSlot => {
  const t = Date.UTC(2021, 6, day);
  return { trainFrom: 0, trainTo: t, testFrom: t, testTo: t + D };
};
// The 5m fixtures start 2021-06-06: nothing to train on before then.
const early: WalkForwardSlot = { trainFrom: 0, trainTo: Date.UTC(2021, 5, 6, 2), testFrom: 0, testTo: 1 };

function logged(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } });
  return { logger, lines };
}

// Independent windows (no warm-start chain): each trains on its own, in parallel.
const scratchConfig = configSchema.parse({
  ...config,
  model: { ...config.model, warmStart: { ...config.model.warmStart, enabled: false } },
});

describe('walk-forward window models', () => {
  it('trains every planned window in worker threads, and a second run reuses them from the cache', async () => {
    const root = join(tmp, 'cache');
    const slots = [slot(10), slot(12)];
    const a = createWindowTrainer({ config: scratchConfig, logger: logged().logger, root, workers: 2 });
    a.plan(slots);
    const first = await Promise.all(slots.map((s) => a.models(s)));
    await a.stop();
    const versions = first.map((m) => m['5m']?.version);
    expect(versions.every((v) => typeof v === 'string')).toBe(true);
    expect(new Set(versions).size).toBe(2);
    const dirs = slots.map((s) => join(root, '5m', String(s.trainTo)));
    for (const d of dirs) expect(existsSync(join(d, 'manifest.json'))).toBe(true);
    const mtimes = dirs.map((d) => statSync(join(d, 'manifest.json')).mtimeMs);

    const { logger, lines } = logged();
    const b = createWindowTrainer({ config: scratchConfig, logger, root, workers: 2 });
    b.plan(slots);
    const again = await Promise.all(slots.map((s) => b.models(s)));
    await b.stop();
    expect(again.map((m) => m['5m']?.version)).toEqual(versions);
    expect(dirs.map((d) => statSync(join(d, 'manifest.json')).mtimeMs)).toEqual(mtimes);
    expect(lines.filter((l) => l.includes('model from the cache'))).toHaveLength(2);
  }, 120_000);

  it('a damaged cache entry is trained again (warned); too little history leaves the timeframe out', async () => {
    const root = join(tmp, 'damaged');
    const s = slot(10);
    const a = createWindowTrainer({ config, logger: logged().logger, root, workers: 0 });
    expect((await a.models(s))['5m']).toBeDefined();
    const dir = join(root, '5m', String(s.trainTo));
    const weights = readdirSync(dir).find((f) => f.endsWith('.bin'))!;
    unlinkSync(join(dir, weights));
    const { logger, lines } = logged();
    const b = createWindowTrainer({ config, logger, root, workers: 0 });
    expect((await b.models(s))['5m']).toBeDefined();
    expect(lines.join('\n')).toMatch(/cached model unusable, retraining/);
    expect(existsSync(join(dir, weights))).toBe(true);

    const none = await b.models(early);
    expect(none).toEqual({});
    expect(lines.join('\n')).toMatch(/timeframe not trained/);
  }, 120_000);

  it('stop() drops queued trainings without leaving a waiter hanging', async () => {
    const t = createWindowTrainer({ config, logger: logged().logger, root: join(tmp, 'stop'), workers: 1 });
    t.plan([slot(10), slot(11), slot(12)]);
    const last = t.models(slot(12)).then(
      () => 'resolved',
      (e: unknown) => String(e),
    );
    await t.stop();
    expect(await last).toMatch(/walk-forward stopped/);
  }, 60_000);

  it('the cache key changes with the training inputs and nothing else', () => {
    const k = trainingKey(config);
    expect(
      trainingKey(configSchema.parse({ ...config, risk: { ...config.risk, maxOpenPositions: 7 } })),
    ).toBe(k);
    expect(trainingKey({ ...config, model: { ...config.model, hidden: 9 } })).not.toBe(k);
    expect(trainingKey({ ...config, exchange: { ...config.exchange, symbols: ['BTC/USDT'] } })).not.toBe(k);
  });
});
