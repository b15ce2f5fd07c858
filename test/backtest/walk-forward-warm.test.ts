import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chainedName, createWindowTrainer } from '../../src/backtest/window-models.ts';
import type { WalkForwardSlot } from '../../src/backtest/walk-forward.ts';
import { configSchema } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { NetworkForecaster } from '../../src/models/index.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { TINY_MODEL } from '../support/tiny-model.ts';

const tmp = mkdtempSync(join(tmpdir(), 'qg-wf-warm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FIXTURES = join(REPO_ROOT, 'test/fixtures/candles');
// No test slice: the latest 15 % of every window's candles calibrate it.
const cfg = (dir: string, backtest: Record<string, unknown> = {}): Config =>
  configSchema.parse({
    exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] },
    data: { dir },
    model: { ...TINY_MODEL, split: { train: 0.7, validation: 0.15, calibration: 0.15 } },
    backtest,
    strategy: { timeframes: ['5m'], executionTimeframe: '5m', fusion: { weights: { '5m': 1 } } },
    logging: { level: 'silent' },
  });
const D = 86_400_000;
const slot = (day: number): WalkForwardSlot => {
  const t = Date.UTC(2021, 6, day);
  return { trainFrom: 0, trainTo: t, testFrom: t, testTo: t + D };
};
const meta = (dir: string): { warmStart: { parent: string | null; used: boolean } } =>
  JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as {
    warmStart: { parent: string | null; used: boolean };
  };
const bytes = (dir: string): string[] =>
  // model.json and metrics.json carry the training's wall-clock time (version, createdAt).
  ['weights.bin', 'calibration.json', 'normalisation.json'].map((f) =>
    readFileSync(join(dir, f)).toString('base64'),
  );

/** Trains a chain over `slots` and returns each window's model directory. */
async function chain(config: Config, root: string, slots: WalkForwardSlot[], workers = 2): Promise<string[]> {
  const t = createWindowTrainer({ config, logger: silentLogger(), root, workers });
  t.plan(slots);
  try {
    const dirs: string[] = [];
    for (const s of slots) {
      const m = await t.models(s);
      dirs.push((m['5m'] as NetworkForecaster).dir!);
      m['5m']!.dispose();
    }
    return dirs;
  } finally {
    await t.stop();
  }
}

describe('walk-forward with warm start', () => {
  it('chains each window to the previous one; the cache name carries the whole chain of parents', async () => {
    const config = cfg(FIXTURES);
    const root = join(tmp, 'chain');
    const slots = [slot(10), slot(11), slot(12)];
    const dirs = await chain(config, root, slots);
    const [a, b, c] = dirs.map(meta);
    expect(a.warmStart).toMatchObject({ used: false, parent: null });
    const version = (d: string): string =>
      (JSON.parse(readFileSync(join(d, 'model.json'), 'utf8')) as { version: string }).version;
    expect(b.warmStart).toMatchObject({ used: true, parent: version(dirs[0]) });
    expect(c.warmStart).toMatchObject({ used: true, parent: version(dirs[1]) });
    const n0 = String(slots[0].trainTo);
    const n1 = chainedName(slots[1].trainTo, n0);
    expect(dirs).toEqual([n0, n1, chainedName(slots[2].trainTo, n1)].map((n) => join(root, '5m', n)));
    // Same retrain time, another parent → another cache entry (trained, not reused).
    expect(chainedName(slots[2].trainTo, n0)).not.toBe(chainedName(slots[2].trainTo, n1));
    const skip = await chain(config, root, [slot(10), slot(12)]);
    expect(skip[0]).toBe(dirs[0]);
    expect(skip[1]).toBe(join(root, '5m', chainedName(slots[2].trainTo, n0)));
    expect(meta(skip[1]).warmStart.parent).toBe(version(dirs[0]));
  }, 180_000);

  it('backtest.retrainEvery: a timeframe keeps its model between retrains, and the chain skips the kept windows', async () => {
    const config = cfg(FIXTURES, { retrainEvery: { '5m': 2 } });
    const dirs = await chain(config, join(tmp, 'every'), [slot(10), slot(11), slot(12)], 0);
    expect(dirs[1]).toBe(dirs[0]);
    expect(dirs[2]).not.toBe(dirs[0]);
    expect(meta(dirs[2]).warmStart.used).toBe(true);
  }, 120_000);

  it('sees no future candle: changing every candle from a window on changes no model of an earlier window', async () => {
    // A copy of the store whose candles opening at or after July 12 are rewritten.
    const cut = slot(12).trainTo;
    const dataDir = join(tmp, 'tampered');
    cpSync(join(FIXTURES, 'binance/5m'), join(dataDir, 'binance/5m'), { recursive: true });
    for (const sym of ['BTCUSDT', 'ETHUSDT']) {
      const file = join(dataDir, 'binance/5m', `${sym}.csv`);
      const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
      // A different path, not just a rescaled one (the features are scale-free).
      const out = lines.map((l, row) => {
        const [ts, ...v] = l.split(',');
        if (Number(ts) < cut) return l;
        const f = 1 + 0.02 * ((row % 7) - 3);
        return [ts, ...v.map((x, i) => String(Number(x) * (i < 4 ? f : 3)))].join(',');
      });
      writeFileSync(file, `${[head, ...out].join('\n')}\n`);
    }
    const slots = [slot(10), slot(11), slot(12), slot(14)];
    const clean = await chain(cfg(FIXTURES), join(tmp, 'la-clean'), slots);
    const dirty = await chain(cfg(dataDir), join(tmp, 'la-dirty'), slots);
    // Windows up to the cut (July 12 trains on candles closed by then): bit-identical models.
    for (let k = 0; k < 3; k++) expect(bytes(dirty[k])).toEqual(bytes(clean[k]));
    // The window after the cut did see the changed candles (the test can fail).
    expect(bytes(dirty[3])).not.toEqual(bytes(clean[3]));
  }, 240_000);
});
