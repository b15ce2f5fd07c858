import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { loadArtifact } from '../../src/models/artifact.ts';
import { trainModel } from '../../src/models/index.ts';
import type { SeriesCache, TrainModelResult } from '../../src/models/index.ts';
import { loadDatasetSeries } from '../../src/models/pipeline-data.ts';
import { fineTuneSet } from '../../src/models/warm-start.ts';
import { labelParamsFor } from '../../src/features/index.ts';
import { REPO_ROOT } from '../support/cli.ts';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/candles');
const tmp = mkdtempSync(join(tmpdir(), 'qg-warm-start-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TINY = {
  architecture: 'mlp',
  window: 8,
  hidden: 8,
  epochs: 2,
  batchSize: 64,
  patience: 2,
  maxTrainSamples: 20_000,
  split: { train: 0.7, validation: 0.15, calibration: 0.15 },
} as const;
const cfg = (over: Record<string, unknown> = {}, features: Record<string, unknown> = {}): Config =>
  parseConfig({
    exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] },
    data: { dir: FIXTURES, modelsDir: join(tmp, 'models') },
    model: { ...TINY, ...over },
    features,
  });
const JUL = (d: number): number => Date.UTC(2021, 6, d);
let n = 0;
const train = (config: Config, to: number, parentDir: string | null): Promise<TrainModelResult> =>
  trainModel({
    config,
    timeframe: '5m',
    symbols: ['BTC/USDT', 'ETH/USDT'],
    exchange: 'binance',
    dataDir: FIXTURES,
    outDir: join(tmp, `m${n++}`),
    to,
    parentDir,
    clock: new ManualClock(Date.parse('2026-01-02T03:04:05Z') + n * 1000),
    logger: silentLogger(),
  });
const json = (dir: string, f: string): unknown => JSON.parse(readFileSync(join(dir, f), 'utf8'));

describe('warm-start retraining', () => {
  const config = cfg();
  let parent: TrainModelResult;

  it('fine-tunes from the parent: frozen normalisation, same features, parent and depth recorded, calibration later than all training', async () => {
    parent = await train(config, JUL(5), null);
    expect(parent.warmStart).toMatchObject({ used: false, parent: null, depth: 0 });
    const child = await train(config, JUL(10), parent.modelDir);
    expect(child.warmStart).toMatchObject({ used: true, parent: parent.version, depth: 1 });
    // The fine-tuning set: everything newer than the parent's window, plus as many replayed (share 0.5).
    expect(child.warmStart.newSamples).toBeGreaterThan(500);
    expect(Math.abs(child.warmStart.replaySamples - child.warmStart.newSamples)).toBeLessThanOrEqual(1);
    expect(child.samples.train).toBe(child.warmStart.newSamples + child.warmStart.replaySamples);
    expect(child.training.epochs).toBeLessThanOrEqual(config.model.warmStart.epochs);

    const a = await loadArtifact(child.modelDir, { timeframe: '5m' }); // manifest + hashes verify
    const p = await loadArtifact(parent.modelDir, { timeframe: '5m' });
    expect(a.model.featureNames).toEqual(p.model.featureNames);
    expect(a.model.spec).toEqual(p.model.spec);
    expect(a.normalisation).toEqual(p.normalisation);
    // Its window spans the chain: it has (through its parent) seen data from the parent's start.
    expect(a.model.trainingWindow.from).toBe(p.model.trainingWindow.from);
    expect(a.model.trainingWindow.to).toBeGreaterThan(p.model.trainingWindow.to);
    expect(a.model.trainingWindow.to).toBeLessThan(JUL(10));
    // Calibration refitted on the new calibration slice, later than every training sample.
    const meta = json(child.modelDir, 'metrics.json') as {
      split: { calibrationFrom: string; fittedTo: string };
      warmStart: { parent: string };
    };
    expect(Date.parse(meta.split.calibrationFrom)).toBeGreaterThan(a.model.trainingWindow.to);
    expect(Date.parse(meta.split.fittedTo)).toBeLessThan(JUL(10));
    expect(meta.warmStart.parent).toBe(parent.version);
    expect(a.calibration).not.toEqual(p.calibration);
    // The weights moved.
    const moved = [...a.weights].some(([k, w]) => w.some((v, i) => v !== p.weights.get(k)![i]));
    expect(moved).toBe(true);
  }, 120_000);

  it('is refused, and trains from scratch, when the features, the topology or the chain length say so', async () => {
    const feat = await train(cfg({}, { rsiPeriod: 9 }), JUL(10), parent.modelDir);
    expect(feat.warmStart).toMatchObject({ used: false, parent: parent.version, depth: 0 });
    expect(feat.warmStart.reason).toMatch(/feature (list|settings) differ/);
    const pn = (await loadArtifact(parent.modelDir)).normalisation;
    expect((await loadArtifact(feat.modelDir)).normalisation).not.toEqual(pn);

    const lags = await train(cfg({}, { returnLags: [1, 2] }), JUL(10), parent.modelDir);
    expect(lags.warmStart.used).toBe(false);
    expect(lags.warmStart.reason).toMatch(/feature list differs: parent has 20 features, config 17/);

    const arch = await train(cfg({ hidden: 12 }), JUL(10), parent.modelDir);
    expect(arch.warmStart.used).toBe(false);
    expect(arch.warmStart.reason).toMatch(/architecture differs: parent hidden 8, config 12/);

    const full = cfg({ warmStart: { enabled: true, replayShare: 0.5, epochs: 1, fullRetrainEvery: 2 } });
    const c1 = await train(full, JUL(10), parent.modelDir);
    expect(c1.warmStart.used).toBe(true);
    const c2 = await train(full, JUL(14), c1.modelDir);
    expect(c2.warmStart).toMatchObject({ used: false, parent: c1.version, depth: 0 });
    expect(c2.warmStart.reason).toMatch(/full retrain due/);

    const off = await train(cfg({ warmStart: { enabled: false } }), JUL(10), parent.modelDir);
    expect(off.warmStart.used).toBe(false);
    // No candle newer than the parent's window (a data gap): weights kept, calibration refitted.
    const same = await train(config, JUL(5), parent.modelDir);
    expect(same.warmStart).toMatchObject({ used: true, parent: parent.version, depth: 1 });
    expect(same.warmStart.reason).toMatch(/weights kept/);
    expect(same.training.epochs).toBe(0);
    const sw = (await loadArtifact(same.modelDir)).weights;
    const pw = (await loadArtifact(parent.modelDir)).weights;
    expect([...sw].every(([k, w]) => w.every((v, i) => v === pw.get(k)![i]))).toBe(true);
    const broken = await train(config, JUL(10), join(tmp, 'no-such-model'));
    expect(broken.warmStart.reason).toMatch(/parent unusable/);
  }, 180_000);

  it('is refused when the quantile target scaling differs (model.targetScaling), and chains when it agrees', async () => {
    // Weights fitted to raw returns are not fine-tuned on volatility-scaled ones.
    const scaled = await train(cfg({ targetScaling: 'volatility' }), JUL(10), parent.modelDir);
    expect(scaled.warmStart.used).toBe(false);
    expect(scaled.warmStart.reason).toMatch(
      /quantile target scaling differs .*"none".*"scaleFeature":"rvol_24"/,
    );
    expect((await loadArtifact(scaled.modelDir)).model.spec.targetScaling).toEqual({
      scaleFeature: 'rvol_24',
    });
    const child = await train(cfg({ targetScaling: 'volatility' }), JUL(14), scaled.modelDir);
    expect(child.warmStart.used).toBe(true);
    expect((await loadArtifact(child.modelDir)).model.spec.targetScaling).toEqual({
      scaleFeature: 'rvol_24',
    });
  }, 120_000);

  it('the fine-tuning set keeps the replay share within the sample cap, newest new samples first', () => {
    const refs = Array.from({ length: 1000 }, (_, t) => ({ series: t % 2, t, time: t * 1000 }));
    const all = fineTuneSet(refs, 799_000, 0.5, 1);
    expect([all.fresh, all.replay]).toEqual([200, 200]);
    expect(all.samples.filter((r) => r.time > 799_000)).toHaveLength(200);
    const capped = fineTuneSet(refs, 799_000, 0.5, 1, 300);
    expect([capped.fresh, capped.replay, capped.samples.length]).toEqual([200, 100, 300]);
    const tiny = fineTuneSet(refs, 799_000, 0.5, 1, 100);
    expect([tiny.fresh, tiny.replay]).toEqual([50, 50]);
    expect(Math.min(...tiny.samples.filter((r) => r.time > 799_000).map((r) => r.time))).toBe(950_000);
    expect(fineTuneSet(refs, 799_000, 0, 1).replay).toBe(0);
  });

  it('features sliced from the whole series equal features computed on the cut series; labels never see past the cut', async () => {
    const common = {
      dataDir: FIXTURES,
      exchange: 'binance' as const,
      timeframe: '5m' as const,
      symbols: ['BTC/USDT', 'ETH/USDT'],
      features: config.features,
      labels: labelParamsFor(config, '5m'),
      logger: silentLogger(),
    };
    const cache: SeriesCache = new Map();
    await loadDatasetSeries({ ...common, cache }); // fills the cache with the whole series
    for (const to of [JUL(3), JUL(10) + 7 * 300_000]) {
      const fresh = (await loadDatasetSeries({ ...common, to })).series;
      const cached = (await loadDatasetSeries({ ...common, to, cache })).series;
      for (let s = 0; s < fresh.length; s++) {
        expect(cached[s].features.length).toBe(fresh[s].features.length);
        expect(cached[s].features.firstValid).toBe(fresh[s].features.firstValid);
        expect(Array.from(cached[s].features.rows)).toEqual(Array.from(fresh[s].features.rows));
        expect(Array.from(cached[s].labels.classes)).toEqual(Array.from(fresh[s].labels.classes));
        expect(Array.from(cached[s].labels.forwardReturn)).toEqual(Array.from(fresh[s].labels.forwardReturn));
        expect(Math.max(...Array.from(cached[s].timestamps))).toBeLessThan(to);
      }
    }
  }, 60_000);
});
