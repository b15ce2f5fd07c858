import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featuresSchema, parseConfig } from '../../src/config/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Candle } from '../../src/core/types.ts';
import { computeFeatures, makeLabels } from '../../src/features/index.ts';
import type { DatasetSeries } from '../../src/features/index.ts';
import type { ForecastInput, NormalisationParams } from '../../src/models/index.ts';
import {
  createNetwork,
  evaluateModel,
  initBackend,
  loadArtifact,
  loadForecaster,
  NetworkForecaster,
  predictArrays,
  saveArtifact,
  trainModel,
  zScoreNormaliser,
} from '../../src/models/index.ts';
import { quantileTarget, sampleInput } from '../../src/models/pipeline-batches.ts';
import { volatilityColumns, volatilityOfRow } from '../../src/models/vol-scale.ts';
import { fixtureCandles } from '../features/support.ts';
import { F, W, lcg, tinySpec } from './network-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'qg-target-scaling-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend();
});

const names = ['a', 'b', 'c', 'd'];
const norm: NormalisationParams = {
  featureNames: names,
  pooled: { mean: [0, 0, 0, 0], std: [1, 1, 1, 1] },
  perSymbol: {},
};
const RVOL = { scaleFeature: 'c' } as const;

function forecaster(targetScaling?: typeof RVOL, calibration?: NetworkForecaster['calibration']) {
  return new NetworkForecaster({
    network: createNetwork(tinySpec('mlp', targetScaling ? { targetScaling } : {}), 3),
    featureNames: names,
    timeframe: '5m',
    horizon: 12,
    version: 'v',
    normaliser: zScoreNormaliser(norm),
    calibration,
  });
}

/** Inputs whose column c (the "volatility") is positive. */
function inputs(n: number): ForecastInput[] {
  const r = lcg(11);
  return Array.from({ length: n }, (_, i) => ({
    symbol: 'BTC/USDT',
    features: Float32Array.from({ length: W * F }, (_, k) => (k % F === 2 ? 0.002 * (1 + i) : r())),
  }));
}

function fixtureSeries(candles: Candle[]): DatasetSeries {
  const features = computeFeatures(candles, '5m', featuresSchema.parse({}));
  return {
    symbol: 'BTC/USDT',
    timestamps: Float64Array.from(candles, (c) => c.timestamp),
    features,
    labels: makeLabels(candles, 12, 1.5, 24, '5m'),
  };
}

describe('volatility-scaled quantile targets (model.targetScaling)', () => {
  it('round-trips: target × σ of the issue row = forward return, and the forecaster multiplies back that row’s σ', () => {
    const candles = fixtureCandles('5m', 'BTCUSDT').slice(0, 800);
    const s = fixtureSeries(candles);
    const src = { scaleFeature: 'rvol_24' };
    const w = s.features.names.length;
    const j = s.features.names.indexOf('rvol_24');
    for (const t of [s.features.firstValid, 500, 750]) {
      const sigma = s.features.rows[t * w + j];
      expect(sigma).toBeGreaterThan(0);
      expect(quantileTarget(s, t, src) * sigma).toBeCloseTo(s.labels.forwardReturn[t], 12);
      expect(quantileTarget(s, t)).toBe(s.labels.forwardReturn[t]);
      // The forecast input of sample t ends with row t: the σ predictRaw reads is the one divided by.
      const inp = sampleInput([s], { series: 0, t, time: s.timestamps[t] }, 8);
      const cols = volatilityColumns(src, s.features.names, 'test');
      expect(volatilityOfRow(inp.features, 7 * w, cols)).toBe(volatilityOfRow(s.features.rows, t * w, cols));
    }

    // Same weights, one spec scaled: raw quantiles differ by exactly σ of each input's newest row.
    const plain = forecaster();
    const scaled = forecaster(RVOL);
    const ins = inputs(5);
    const a = plain.predictRaw(ins).quantiles;
    const b = scaled.predictRaw(ins).quantiles;
    ins.forEach((inp, i) => {
      const sigma = inp.features[(W - 1) * F + 2];
      for (let k = 0; k < 3; k++) expect(b[i * 3 + k]).toBeCloseTo(a[i * 3 + k] * sigma, 7);
    });
    plain.dispose();
    scaled.dispose();
  });

  it('conformal offsets are in the standardised units: × target σ, and × the conformal scale on top', () => {
    const off = { q10: -1.5, q50: 0.1, q90: 1.2 };
    const raw = forecaster(RVOL);
    const cal = raw.withCalibration({ temperature: 1, qOffsets: off });
    const both = raw.withCalibration({ temperature: 1, qOffsets: off, scaleFeature: 'b' });
    const [inp] = inputs(1);
    const sigma = inp.features[(W - 1) * F + 2];
    const c = Math.max(1e-6, inp.features[(W - 1) * F + 1]);
    const r = raw.predictBatch([inp])[0];
    expect(cal.predictBatch([inp])[0].q90 - r.q90).toBeCloseTo(1.2 * sigma, 7);
    if (inp.features[(W - 1) * F + 1] > 0)
      expect(both.predictBatch([inp])[0].q90 - r.q90).toBeCloseTo(1.2 * sigma * c, 7);
    cal.dispose();
    both.dispose();
    raw.dispose();
  });

  it('a scaled network cannot be served unscaled: predictArrays refuses it, a missing σ feature is MODEL_INVALID', () => {
    const net = createNetwork(tinySpec('mlp', { targetScaling: RVOL }), 1);
    expect(() => predictArrays(net, new Float32Array(W * F), 1)).toThrow(/volatility-scaled/);
    expect(
      () =>
        new NetworkForecaster({
          network: net,
          featureNames: ['a', 'b', 'x', 'd'],
          timeframe: '5m',
          horizon: 12,
          version: 'v',
          normaliser: zScoreNormaliser({ ...norm, featureNames: ['a', 'b', 'x', 'd'] }),
        }),
    ).toThrow(/spec\.targetScaling: scaleFeature c is not one of the model's features/);
    net.dispose();
  });

  it('σ uses only closed candles up to the row: later candles (cut or changed) leave it unchanged', () => {
    const candles = fixtureCandles('5m', 'BTCUSDT').slice(0, 700);
    const full = fixtureSeries(candles);
    const t = 500;
    const cut = fixtureSeries(candles.slice(0, t + 1));
    const wild = fixtureSeries(
      candles.map((c, i) => (i > t ? { ...c, close: c.close * 3, high: c.high * 3, low: c.low * 0.5 } : c)),
    );
    const w = full.features.names.length;
    for (const src of [{ scaleFeature: 'rvol_24' }]) {
      const cols = volatilityColumns(src, full.features.names, 'test');
      const sigma = volatilityOfRow(full.features.rows, t * w, cols);
      expect(volatilityOfRow(cut.features.rows, t * w, cols)).toBe(sigma);
      expect(volatilityOfRow(wild.features.rows, t * w, cols)).toBe(sigma);
      // …while the target (a forward return) does change: the check can fail.
      expect(quantileTarget(wild, t, src)).not.toBe(quantileTarget(full, t, src));
    }
  });
});

describe('manifest compatibility', () => {
  const meta = (version: string) => ({
    version,
    timeframe: '5m' as const,
    horizon: 12,
    featureNames: names,
    seed: 1,
    trainingWindow: { from: 0, to: 1, symbols: ['BTC/USDT'] },
    normalisation: norm,
    calibration: { temperature: 1, qOffsets: { q10: -1, q50: 0, q90: 1 } },
    metrics: null,
  });
  const modelJson = (dir: string) =>
    JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  /** Rewrites model.json with a consistent manifest (what a careless hand edit or an old build could leave). */
  function rewrite(dir: string, edit: (m: Record<string, unknown>) => void): void {
    const m = modelJson(dir);
    edit(m);
    const bytes = Buffer.from(`${JSON.stringify(m, null, 2)}\n`);
    writeFileSync(join(dir, 'model.json'), bytes);
    const mp = join(dir, 'manifest.json');
    const man = JSON.parse(readFileSync(mp, 'utf8')) as {
      files: Record<string, { sha256: string; bytes: number }>;
    };
    man.files['model.json'] = {
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
    };
    writeFileSync(mp, JSON.stringify(man));
  }
  async function invalid(p: Promise<unknown>): Promise<QuantgateError> {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(QuantgateError);
      return e as QuantgateError;
    }
    throw new Error('expected MODEL_INVALID');
  }

  it('a scaled model is format 2 and loads scaled; an unscaled one stays format 1 (older models: no field = none)', async () => {
    const dir = join(tmp, 'scaled');
    const net = createNetwork(tinySpec('mlp', { targetScaling: RVOL }), 5);
    await saveArtifact(dir, net, meta('scaled'));
    expect(modelJson(dir)).toMatchObject({ formatVersion: 2, spec: { targetScaling: RVOL } });
    const mem = new NetworkForecaster({
      network: net,
      featureNames: names,
      timeframe: '5m',
      horizon: 12,
      version: 'scaled',
      normaliser: zScoreNormaliser(norm),
      calibration: meta('').calibration,
    });
    const loaded = await loadForecaster(dir);
    expect(loaded.predictBatch(inputs(4))).toEqual(mem.predictBatch(inputs(4)));
    loaded.dispose();
    mem.dispose();

    const old = join(tmp, 'plain');
    const net2 = createNetwork(tinySpec('mlp'), 5);
    await saveArtifact(old, net2, meta('plain'));
    net2.dispose();
    const m = modelJson(old);
    expect(m.formatVersion).toBe(1);
    expect((m.spec as Record<string, unknown>).targetScaling).toBeUndefined();
    expect((await loadArtifact(old)).model.spec.targetScaling).toBeUndefined();
  });

  it('a scaled model stripped of its σ, an unscaled format-1 model claiming one, or a σ naming no feature are refused', async () => {
    const mk = async (name: string): Promise<string> => {
      const dir = join(tmp, name);
      const net = createNetwork(tinySpec('mlp', { targetScaling: RVOL }), 5);
      await saveArtifact(dir, net, meta(name));
      net.dispose();
      return dir;
    };
    const stripped = await mk('stripped');
    rewrite(stripped, (m) => delete (m.spec as Record<string, unknown>).targetScaling);
    const e1 = await invalid(loadArtifact(stripped));
    expect(e1.message).toMatch(/formatVersion 2 needs spec\.targetScaling/);

    const claimed = await mk('claimed');
    rewrite(claimed, (m) => (m.formatVersion = 1));
    expect((await invalid(loadArtifact(claimed))).message).toMatch(
      /spec\.targetScaling is set but formatVersion is 1/,
    );

    const missing = await mk('missing');
    rewrite(
      missing,
      (m) => ((m.spec as Record<string, unknown>).targetScaling = { scaleFeature: 'rvol_99' }),
    );
    const e3 = await invalid(loadArtifact(missing));
    expect(e3.details.reason).toBe('topology');
    expect(e3.message).toMatch(/rvol_99 is not one of the model's features/);
  });
});

// ------------------------------------------------------------------------------------------------
// A planted, learnable pattern: volatility clustering. Returns are Gaussian, drift-free, with a
// slowly wandering σ (stochastic volatility); nothing else is predictable. A forecast that knows σ
// beats the unconditional rolling quantile; a network trained on returns divided by the causal σ
// learns that with no effort, one trained on raw returns must learn the multiplication itself —
// with the same small budget (same seed, samples, epochs) it does worse.
// ------------------------------------------------------------------------------------------------

function regimeCandles(n: number, seed: number): Candle[] {
  const u = lcg(seed);
  const uniform = (): number => u() + 0.5;
  const gauss = (): number =>
    Math.sqrt(-2 * Math.log(Math.max(1e-12, uniform()))) * Math.cos(2 * Math.PI * uniform());
  const out: Candle[] = [];
  const mid = Math.log(0.003);
  let logSigma = mid;
  let close = 100;
  const t0 = Date.UTC(2021, 0, 1);
  for (let i = 0; i < n; i++) {
    // ln σ an AR(1) around ln 0.3 % per candle: half-life ≈ 140 candles, σ from ≈ 0.05 % to 2 %.
    logSigma = mid + 0.995 * (logSigma - mid) + 0.08 * gauss();
    const sigma = Math.exp(logSigma);
    const open = close;
    close = open * Math.exp(sigma * gauss());
    const high = Math.max(open, close) * Math.exp(Math.abs(gauss()) * sigma * 0.3);
    const low = Math.min(open, close) * Math.exp(-Math.abs(gauss()) * sigma * 0.3);
    out.push({ timestamp: t0 + i * 300_000, open, high, low, close, volume: 10 + 5 * uniform() });
  }
  return out;
}

describe('on a synthetic heteroscedastic series', () => {
  it('the volatility-scaled model beats the unscaled one and the rolling-quantile baseline on later data', async () => {
    const dataDir = join(tmp, 'regimes');
    mkdirSync(join(dataDir, 'binance', '5m'), { recursive: true });
    for (const [sym, seed] of [
      ['BTCUSDT', 3],
      ['ETHUSDT', 4],
    ] as const) {
      const rows = regimeCandles(14_000, seed).map(
        (c) => `${c.timestamp},${c.open},${c.high},${c.low},${c.close},${c.volume}`,
      );
      writeFileSync(
        join(dataDir, 'binance', '5m', `${sym}.csv`),
        `timestamp,open,high,low,close,volume\n${rows.join('\n')}\n`,
      );
    }
    const run = async (targetScaling: 'none' | 'volatility') => {
      const config = parseConfig({
        exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] },
        data: { dir: dataDir, modelsDir: join(tmp, `m-${targetScaling}`) },
        model: {
          architecture: 'mlp',
          window: 8,
          hidden: 8,
          epochs: 4,
          batchSize: 64,
          patience: 2,
          seed: 42,
          maxTrainSamples: 3000,
          // A long test slice (30 %): 12-candle outcomes overlap, so a short one is mostly noise.
          split: { train: 0.4, validation: 0.1, calibration: 0.2 },
          targetScaling,
        },
      });
      const r = await trainModel({
        config,
        timeframe: '5m',
        symbols: ['BTC/USDT', 'ETH/USDT'],
        exchange: 'binance',
        dataDir,
        clock: new ManualClock(Date.UTC(2026, 0, 1)),
        logger: silentLogger(),
      });
      expect(r.metrics).not.toBeNull();
      return { config, r, metrics: r.metrics! };
    };
    const none = (await run('none')).metrics;
    const scaled = await run('volatility');
    const vol = scaled.metrics;
    // evaluate (a fresh load of the saved model, as backtest and live load it) serves it the same way.
    const testFrom = (
      JSON.parse(readFileSync(join(scaled.r.modelDir, 'metrics.json'), 'utf8')) as {
        split: { testFrom: string };
      }
    ).split.testFrom;
    const ev = await evaluateModel({
      config: scaled.config,
      modelDir: scaled.r.modelDir,
      symbols: ['BTC/USDT', 'ETH/USDT'],
      exchange: 'binance',
      dataDir,
      from: Date.parse(testFrom),
      logger: silentLogger(),
    });
    expect(ev.samples).toBe(vol.samples);
    expect(ev.pinball.model).toBeCloseTo(vol.pinball.model, 12);
    expect(vol.samples).toBe(none.samples);
    const baseline = none.pinball.baseline!;
    expect(vol.pinball.baseline).toBe(baseline);
    expect(vol.pinball.model).toBeLessThan(0.97 * none.pinball.model);
    expect(vol.pinball.model).toBeLessThan(0.97 * baseline);
    // The tails are where knowing σ pays.
    for (const q of ['0.1', '0.9'] as const)
      expect(vol.pinballByQuantile[q].model).toBeLessThan(none.pinballByQuantile[q].model);
  }, 120_000);
});
