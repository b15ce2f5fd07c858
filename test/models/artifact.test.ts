import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import type { ArtifactMeta, ForecastInput, NormalisationParams } from '../../src/models/index.ts';
import {
  createNetwork,
  initBackend,
  loadArtifact,
  loadForecaster,
  NetworkForecaster,
  saveArtifact,
  zScoreNormaliser,
} from '../../src/models/index.ts';
import { F, W, lcg, tinySpec } from './network-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'quantgate-artifact-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend();
});

const featureNames = ['ret_1', 'ret_3', 'rsi_14', 'vol_24'];
const normalisation: NormalisationParams = {
  featureNames,
  pooled: { mean: [0, 0, 50, 0.01], std: [0.01, 0.02, 10, 0.005] },
  perSymbol: { 'BTC/USDT': { mean: [0, 0, 52, 0.008], std: [0.008, 0.015, 9, 0.004] } },
};
const meta = (version: string): ArtifactMeta => ({
  version,
  timeframe: '1h',
  horizon: 6,
  featureNames,
  seed: 42,
  trainingWindow: { from: 1_700_000_000_000, to: 1_710_000_000_000, symbols: ['BTC/USDT', 'ETH/USDT'] },
  normalisation,
  calibration: { temperature: 1.3, qOffsets: { q10: -0.001, q50: 0.0002, q90: 0.0015 } },
  metrics: { pinball: 0.0123, ece: 0.04, nested: { coverage: [0.79, 0.81] } },
});

function inputs(n: number): ForecastInput[] {
  const r = lcg(77);
  return Array.from({ length: n }, (_, i) => ({
    symbol: i % 2 ? 'BTC/USDT' : 'DOGE/USDT',
    features: Float32Array.from(
      { length: W * F },
      (_, k) => [0.01, 0.02, 50, 0.01][k % F] + r() * [0.02, 0.04, 20, 0.01][k % F],
    ),
  }));
}

let n = 0;
async function saved(arch: 'tft' | 'mlp' = 'mlp'): Promise<{ dir: string; original: NetworkForecaster }> {
  const dir = join(root, '1h', `v${++n}`);
  const net = createNetwork(tinySpec(arch), n);
  await saveArtifact(dir, net, meta(`v${n}`), new ManualClock(1_720_000_000_000));
  const original = new NetworkForecaster({
    network: net,
    featureNames,
    timeframe: '1h',
    horizon: 6,
    version: `v${n}`,
    normaliser: zScoreNormaliser(normalisation),
    calibration: meta('').calibration,
  });
  return { dir, original };
}

async function reason(p: Promise<unknown>): Promise<{ reason: unknown; message: string; code: string }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(QuantgateError);
    const q = e as QuantgateError;
    return { reason: q.details.reason, message: q.message, code: q.code };
  }
  throw new Error('expected the load to fail');
}

describe('saveArtifact / loadArtifact', () => {
  it.each(['tft', 'mlp'] as const)(
    '%s: save → load gives identical predictions and every blob back',
    async (arch) => {
      const { dir, original } = await saved(arch);
      const loaded = await loadForecaster(dir, { featureNames, timeframe: '1h', horizon: 6 });
      expect(loaded.predictBatch(inputs(7))).toEqual(original.predictBatch(inputs(7)));
      expect(loaded.version).toBe(original.version);
      expect(loaded.calibration).toEqual(meta('').calibration);
      const a = await loadArtifact(dir);
      expect(a.normalisation).toEqual(normalisation);
      expect(a.metrics).toEqual(meta('').metrics);
      expect(a.model).toMatchObject({
        seed: 42,
        horizon: 6,
        createdAt: 1_720_000_000_000,
        trainingWindow: meta('').trainingWindow,
      });
      original.dispose();
      loaded.dispose();
    },
  );

  it('writes a manifest with the SHA-256 of every file and leaves no temp directory behind', async () => {
    const { dir, original } = await saved();
    original.dispose();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      files: Record<string, { sha256: string; bytes: number }>;
    };
    const files = readdirSync(dir)
      .filter((f) => f !== 'manifest.json')
      .sort();
    expect(Object.keys(manifest.files).sort()).toEqual(files);
    for (const f of files) {
      const buf = readFileSync(join(dir, f));
      expect(manifest.files[f]).toEqual({
        sha256: createHash('sha256').update(buf).digest('hex'),
        bytes: buf.length,
      });
    }
    expect(readdirSync(join(root, '1h')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses to overwrite an existing version', async () => {
    const { dir, original } = await saved();
    await expect(saveArtifact(dir, original.network, meta('again'))).rejects.toThrow(/already exists/);
    original.dispose();
  });

  it('a flipped byte in the weights file → checksum error naming weights.bin', async () => {
    const { dir, original } = await saved();
    original.dispose();
    const p = join(dir, 'weights.bin');
    const b = readFileSync(p);
    b[10] ^= 0x40;
    writeFileSync(p, b);
    const r = await reason(loadArtifact(dir));
    expect(r).toMatchObject({ code: 'MODEL_INVALID', reason: 'checksum' });
    expect(r.message).toContain('weights.bin');
    expect(r.message).toMatch(/corrupt/);
  });

  it('a truncated file → truncated error with both sizes', async () => {
    const { dir, original } = await saved();
    original.dispose();
    truncateSync(join(dir, 'weights.bin'), 100);
    const r = await reason(loadArtifact(dir));
    expect(r).toMatchObject({ code: 'MODEL_INVALID', reason: 'truncated' });
    expect(r.message).toMatch(/weights\.bin: truncated: 100 bytes, manifest\.json says \d+/);
  });

  it('a manifest without an entry for a file, or a missing listed file → manifest error', async () => {
    const a = await saved();
    a.original.dispose();
    const mp = join(a.dir, 'manifest.json');
    const m = JSON.parse(readFileSync(mp, 'utf8')) as { files: Record<string, unknown> };
    delete m.files['calibration.json'];
    writeFileSync(mp, JSON.stringify(m));
    const r1 = await reason(loadArtifact(a.dir));
    expect(r1).toMatchObject({ reason: 'manifest' });
    expect(r1.message).toContain('calibration.json');

    const b = await saved();
    b.original.dispose();
    rmSync(join(b.dir, 'metrics.json'));
    const r2 = await reason(loadArtifact(b.dir));
    expect(r2).toMatchObject({ reason: 'manifest' });
    expect(r2.message).toMatch(/metrics\.json: listed in manifest\.json but missing/);

    const c = await saved();
    c.original.dispose();
    writeFileSync(join(c.dir, 'manifest.json'), '{"format":');
    expect(await reason(loadArtifact(c.dir))).toMatchObject({ reason: 'format' });
  });

  it('a different feature list, timeframe or horizon than the running config → specific errors', async () => {
    const { dir, original } = await saved();
    original.dispose();
    const swapped = [featureNames[0], featureNames[2], featureNames[1], featureNames[3]];
    const r = await reason(loadArtifact(dir, { featureNames: swapped }));
    expect(r).toMatchObject({ code: 'MODEL_INVALID', reason: 'features' });
    expect(r.message).toContain('first difference at #1: model "ret_3" vs config "rsi_14"');
    const shorter = await reason(loadArtifact(dir, { featureNames: featureNames.slice(0, 3) }));
    expect(shorter.message).toContain('model has 4 features, config 3');
    expect(await reason(loadArtifact(dir, { timeframe: '5m' }))).toMatchObject({ reason: 'timeframe' });
    expect(await reason(loadArtifact(dir, { horizon: 12 }))).toMatchObject({ reason: 'horizon' });
  });

  it('non-finite weights with a consistent manifest are still rejected', async () => {
    const { dir, original } = await saved();
    original.dispose();
    const p = join(dir, 'weights.bin');
    const b = readFileSync(p);
    b.writeFloatLE(Number.NaN, 8);
    writeFileSync(p, b);
    const mp = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(mp, 'utf8')) as { files: Record<string, { sha256: string }> };
    m.files['weights.bin'].sha256 = createHash('sha256').update(b).digest('hex');
    writeFileSync(mp, JSON.stringify(m));
    const r = await reason(loadArtifact(dir));
    expect(r).toMatchObject({ reason: 'weights' });
    expect(r.message).toMatch(/not finite/);
  });

  it('normalisation statistics for another feature list → features error naming normalisation.json', async () => {
    const dir = join(root, '1h', 'v-norm');
    const net = createNetwork(tinySpec('mlp'), 1);
    const other = { ...normalisation, featureNames: ['x', 'y', 'z', 'w'] };
    await saveArtifact(dir, net, { ...meta('v-norm'), normalisation: other });
    net.dispose();
    const r = await reason(loadForecaster(dir));
    expect(r).toMatchObject({ code: 'MODEL_INVALID', reason: 'features' });
    expect(r.message).toContain('normalisation.json');
    const noStats = join(root, '1h', 'v-nostats');
    const net2 = createNetwork(tinySpec('mlp'), 1);
    await saveArtifact(noStats, net2, { ...meta('v-nostats'), normalisation: null });
    net2.dispose();
    expect(await reason(loadForecaster(noStats))).toMatchObject({ reason: 'format' });
  });

  it('a missing directory → MODEL_MISSING', async () => {
    expect(await reason(loadArtifact(join(root, 'nope')))).toMatchObject({ code: 'MODEL_MISSING' });
  });
});
