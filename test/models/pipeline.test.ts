import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { loadArtifact } from '../../src/models/artifact.ts';
import { evaluateModel, trainModel } from '../../src/models/index.ts';
import { REPO_ROOT } from '../support/cli.ts';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/candles');
const tmp = mkdtempSync(join(tmpdir(), 'qg-pipeline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A tiny, fast model: the point is the wiring, not the forecast. */
const TINY_MODEL = {
  architecture: 'mlp',
  window: 8,
  hidden: 8,
  epochs: 2,
  batchSize: 64,
  patience: 2,
  maxTrainSamples: 3000,
  split: { train: 0.55, validation: 0.15, calibration: 0.15 },
} as const;

const config = parseConfig({
  exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] },
  data: { dir: FIXTURES, modelsDir: join(tmp, 'models') },
  model: TINY_MODEL,
});

describe('train → calibrate → evaluate → save on the fixture', () => {
  it('produces an artifact that loads and evaluates, with honest out-of-sample metrics', async () => {
    const clock = new ManualClock(Date.parse('2026-01-02T03:04:05Z'));
    const r = await trainModel({
      config,
      timeframe: '5m',
      symbols: ['BTC/USDT', 'ETH/USDT'],
      exchange: 'binance',
      dataDir: FIXTURES,
      clock,
      logger: silentLogger(),
    });
    expect(r.modelDir).toBe(join(tmp, 'models', '5m', r.version));
    expect(r.version).toMatch(/^20260102T030405Z-[0-9a-f]{8}$/);
    expect(r.samples.test).toBeGreaterThan(0);
    expect(r.training.epochs).toBeGreaterThanOrEqual(1);
    expect(r.calibration.temperature).toBeGreaterThan(0);
    // The calibration slice starts after the last training sample.
    expect(Date.parse(r.trainingWindow.to)).toBeLessThan(
      Date.parse(r.trainingWindow.from) + 365 * 86_400_000,
    );
    const m = r.metrics;
    expect(m).not.toBeNull();
    if (!m) return;
    expect(m.samples).toBe(r.samples.test);
    for (const v of [
      m.quantiles['0.1'].exceedance,
      m.quantiles['0.9'].exceedance,
      m.bandCoverage,
      m.accuracy,
      m.ece,
    ])
      expect(v).toBeGreaterThanOrEqual(0);
    expect(m.bandCoverage).toBeCloseTo(1 - m.quantiles['0.1'].exceedance - m.quantiles['0.9'].exceedance, 9);
    expect(m.pinball.baseline).not.toBeNull();
    expect(m.brier.baseline).not.toBeNull();

    const art = await loadArtifact(r.modelDir);
    expect(art.model.timeframe).toBe('5m');
    expect(art.model.spec.architecture).toBe('mlp');
    expect(art.calibration).toEqual(r.calibration);
    const meta = art.metrics as {
      test: unknown;
      trainClassFreq: number[];
      conformal: { scoreGrids: { q10: number[] } };
    };
    expect(meta.test).toEqual(m);
    expect(meta.trainClassFreq.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(meta.conformal.scoreGrids.q10.length).toBeGreaterThan(10);
    // Slices are in time order: training ends (plus the 1 h horizon) before calibration starts, and
    // everything fitted ends before the test slice.
    const split = (art.metrics as { split: Record<string, string> }).split;
    expect(Date.parse(r.trainingWindow.to) + 3_600_000).toBeLessThan(Date.parse(split.calibrationFrom));
    expect(Date.parse(split.fittedTo) + 3_600_000).toBeLessThan(Date.parse(split.testFrom));

    // Evaluating the saved model on the test period reproduces the in-pipeline test metrics.
    const testFrom = (art.metrics as { split: { testFrom: string } }).split.testFrom;
    const ev = await evaluateModel({
      config,
      modelDir: r.modelDir,
      symbols: ['BTC/USDT', 'ETH/USDT'],
      exchange: 'binance',
      dataDir: FIXTURES,
      from: Date.parse(testFrom),
      logger: silentLogger(),
    });
    expect(ev.samples).toBe(m.samples);
    expect(ev.pinball.model).toBeCloseTo(m.pinball.model, 9);
    expect(ev.quantiles['0.9'].exceedance).toBeCloseTo(m.quantiles['0.9'].exceedance, 9);

    // A symbol the model never saw (pooled normalisation).
    const sol = await evaluateModel({
      config,
      modelDir: r.modelDir,
      symbols: ['SOL/USDT'],
      exchange: 'binance',
      dataDir: FIXTURES,
      logger: silentLogger(),
    });
    expect(sol.samples).toBeGreaterThan(100);
  });

  it('with model.conformalScale: volatility (and HAR on), saves offsets in units of rvol and evaluate applies them', async () => {
    const volConfig = parseConfig({
      exchange: { name: 'binance', symbols: ['BTC/USDT'] },
      data: { dir: FIXTURES, modelsDir: join(tmp, 'models-vol') },
      features: { har: { enabled: true, hours: [1, 4, 24] } },
      model: { ...TINY_MODEL, conformalScale: 'volatility' },
    });
    const r = await trainModel({
      config: volConfig,
      timeframe: '5m',
      symbols: ['BTC/USDT'],
      exchange: 'binance',
      dataDir: FIXTURES,
      clock: new ManualClock(Date.parse('2026-01-02T03:04:05Z')),
      logger: silentLogger(),
    });
    expect(r.calibration.scaleFeature).toBe('rvol_24');
    // In units of a 2 h volatility, the 1 h q90 offset is order 1, not order 1e-3 as a return would be.
    expect(Math.abs(r.calibration.qOffsets.q90)).toBeGreaterThan(0.05);
    const art = await loadArtifact(r.modelDir);
    expect(art.calibration).toEqual(r.calibration);
    expect(art.model.featureNames).toContain('har_lrv_288');
    const testFrom = (art.metrics as { split: { testFrom: string } }).split.testFrom;
    const ev = await evaluateModel({
      config: volConfig,
      modelDir: r.modelDir,
      symbols: ['BTC/USDT'],
      exchange: 'binance',
      dataDir: FIXTURES,
      from: Date.parse(testFrom),
      logger: silentLogger(),
    });
    expect(ev.samples).toBe(r.samples.test);
    expect(ev.pinball.model).toBeCloseTo(r.metrics?.pinball.model ?? NaN, 9);
    expect(ev.coverageByVolatility).toHaveLength(3);
  });

  it('fails clearly on too little history, NaN data, and a missing model', async () => {
    const short = join(tmp, 'short');
    const dir = join(short, 'binance', '5m');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const rows = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < 120; i++) rows.push(`${1_600_000_000_000 + i * 300_000},100,101,99,100.5,10`);
    writeFileSync(join(dir, 'BTCUSDT.csv'), `${rows.join('\n')}\n`);
    const run = (dataDir: string) =>
      trainModel({
        config,
        timeframe: '5m',
        symbols: ['BTC/USDT'],
        exchange: 'binance',
        dataDir,
        clock: new ManualClock(0),
        logger: silentLogger(),
      });
    await expect(run(short)).rejects.toMatchObject({
      code: 'INSUFFICIENT_HISTORY',
      message: expect.stringMatching(
        /need ≥ 400 usable samples .* have 0 samples from candles BTC\/USDT: 120/,
      ),
    });
    await expect(
      evaluateModel({
        config,
        modelDir: join(tmp, 'nope'),
        symbols: ['BTC/USDT'],
        exchange: 'binance',
        dataDir: FIXTURES,
        logger: silentLogger(),
      }),
    ).rejects.toMatchObject({ code: 'MODEL_MISSING' });
  });
});
