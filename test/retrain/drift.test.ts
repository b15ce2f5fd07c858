import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { createLogger, silentLogger } from '../../src/core/logger.ts';
import { readCandles } from '../../src/exchange/index.ts';
import { computeFeatures } from '../../src/features/index.ts';
import { featureEdgesOf, fitFeatureEdges, loadArtifact, trainModel } from '../../src/models/index.ts';
import type { FeatureEdges } from '../../src/models/index.ts';
import { DriftDetector, psi, readFeatureEdges } from '../../src/retrain/index.ts';
import type { AlertInput, DriftDetectorOptions, DriftReport } from '../../src/retrain/index.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { TINY_MODEL } from '../support/tiny-model.ts';
import { rng } from '../support/rng.ts';

const tmp = mkdtempSync(join(tmpdir(), 'qg-drift-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const gaussian = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** Rows of three features: a gaussian (moved by `shift`), a uniform, and a 0/1 flag set 30 % of the time. */
function rows(n: number, seed: number, shift = 0): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => [gaussian(r) + shift, r(), r() < 0.3 ? 1 : 0]);
}

const NAMES = ['g', 'u', 'flag'];
const HOUR = 3_600_000;

function detector(
  edges: FeatureEdges | null,
  extra: Partial<DriftDetectorOptions> = {},
): { d: DriftDetector; alerts: AlertInput[]; requests: DriftReport[]; clock: ManualClock } {
  const alerts: AlertInput[] = [];
  const requests: DriftReport[] = [];
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const d = new DriftDetector({
    timeframe: '1h',
    edges,
    psiThreshold: 0.25,
    minHoursBetweenRetrains: 24,
    windowRows: 500,
    statistic: 'max',
    clock,
    logger: silentLogger(),
    alerts: { raise: (a) => void alerts.push(a), flush: async () => undefined },
    requestRetrain: (_tf, rep) => void requests.push(rep),
    ...extra,
  });
  return { d, alerts, requests, clock };
}

describe('feature edges', () => {
  it('deciles of a continuous feature, fewer bins for ties, one bin for a constant', () => {
    const data = Array.from({ length: 1000 }, (_, i) => [i, i % 2, 7]);
    const e = fitFeatureEdges(['x', 'odd', 'const'], data);
    expect(e.edges[0]).toEqual([99, 199, 299, 399, 499, 599, 699, 799, 899]);
    for (const f of e.fractions[0]) expect(f).toBeCloseTo(0.1, 12);
    expect(e.edges[1]).toEqual([0]);
    expect(e.fractions[1]).toEqual([0.5, 0.5]);
    expect(e.edges[2]).toEqual([]);
    expect(e.fractions[2]).toEqual([1]);
    expect(e.rows).toBe(1000);
  });

  it('models without edges read as null', () => {
    expect(featureEdgesOf(null)).toBeNull();
    expect(featureEdgesOf({ test: null, trainClassFreq: [0.3, 0.3, 0.4] })).toBeNull();
    expect(
      featureEdgesOf({ featureEdges: { version: 1, names: ['a'], edges: [], fractions: [], rows: 1 } }),
    ).toBeNull();
    const good = fitFeatureEdges(NAMES, rows(100, 1));
    expect(featureEdgesOf(JSON.parse(JSON.stringify({ featureEdges: good })))).toEqual(good);
  });
});

describe('drift detector', () => {
  it('PSI is 0 for equal shares and grows with the shift', () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(psi([0.5, 0.5], [0.6, 0.4])).toBeCloseTo(0.1 * Math.log(1.2) + 0.1 * Math.log(1.25), 12);
    expect(psi([0.5, 0.5], [1, 0])).toBeGreaterThan(psi([0.5, 0.5], [0.9, 0.1]));
  });

  it('the same distribution gives PSI near 0; a shifted one exceeds the threshold', () => {
    const edges = fitFeatureEdges(NAMES, rows(5000, 1));
    const same = detector(edges);
    for (const r of rows(500, 2)) same.d.observe(r);
    const rep = same.d.check();
    expect(rep).toMatchObject({ enabled: true, rows: 500, drifted: false });
    expect(rep.maxPsi).toBeLessThan(0.08);
    expect(same.d.evaluate().action).toBe('none');
    expect(same.alerts).toEqual([]);

    const shifted = detector(edges);
    for (const r of rows(500, 3, 1)) shifted.d.observe(r);
    const s = shifted.d.check();
    expect(s.drifted).toBe(true);
    expect(s.maxFeature).toBe('g');
    expect(s.maxPsi).toBeGreaterThan(0.25);
    expect(s.features.find((f) => f.name === 'flag')?.psi).toBeLessThan(0.05); // the flag did not move
  });

  it('the median statistic ignores one drifting feature and fires when most drift', () => {
    const edges = fitFeatureEdges(NAMES, rows(5000, 1));
    const one = detector(edges, { statistic: 'median' });
    for (const r of rows(500, 3, 1)) one.d.observe(r);
    const rep = one.d.check();
    expect(rep.statistic).toBe('median');
    expect(rep.maxPsi).toBeGreaterThan(0.25);
    expect(rep.medianPsi).toBeLessThan(0.05);
    expect(rep.drifted).toBe(false);
    const all = detector(edges, { statistic: 'median' });
    for (const r of rows(500, 3, 1)) all.d.observe([r[0], r[1] * 0.5, 1]);
    const a = all.d.check();
    expect(a.medianPsi).toBeGreaterThan(0.25);
    expect(a.drifted).toBe(true);
    all.d.evaluate();
    expect(all.alerts[0].message).toMatch(
      /^1h feature drift over the last 500 rows: median PSI \d+\.\d{3} > retrain\.drift\.psiThreshold 0\.25 \(retrain\.drift\.statistic median\); largest /,
    );
  });

  it('needs half a window of rows; rows of the wrong width or with NaN are ignored', () => {
    const edges = fitFeatureEdges(NAMES, rows(2000, 1));
    const { d } = detector(edges);
    const shifted = rows(300, 4, 3);
    for (const r of shifted.slice(0, 249)) d.observe(r);
    d.observe([1, 2]);
    d.observe([NaN, 0, 0]);
    expect(d.check()).toMatchObject({ rows: 249, minRows: 250, drifted: false, maxPsi: null });
    d.observe(shifted[249]);
    expect(d.check()).toMatchObject({ rows: 250, drifted: true });
  });

  it('observeWindow takes the newest row of a model input window', () => {
    const edges = fitFeatureEdges(NAMES, rows(2000, 1));
    const a = detector(edges, { windowRows: 100 });
    const b = detector(edges, { windowRows: 100 });
    const calm = rows(100, 11);
    const wild = rows(100, 12, 3);
    for (let i = 0; i < 100; i++) {
      a.d.observeWindow(Float32Array.from([...calm[i], ...calm[(i + 1) % 100], ...wild[i]]));
      b.d.observe(wild[i]);
    }
    expect(a.d.check()).toEqual(b.d.check());
    expect(a.d.check().drifted).toBe(true);
  });

  it('the window rolls: old rows leave it', () => {
    const edges = fitFeatureEdges(NAMES, rows(2000, 1));
    const { d } = detector(edges, { windowRows: 100 });
    for (const r of rows(100, 5, 2)) d.observe(r);
    expect(d.check().drifted).toBe(true);
    for (const r of rows(100, 6)) d.observe(r);
    expect(d.check()).toMatchObject({ rows: 100, drifted: false });
  });

  it('early retrains are rate-limited by minHoursBetweenRetrains, with one warning per held-back episode', () => {
    const edges = fitFeatureEdges(NAMES, rows(2000, 1));
    const { d, alerts, requests, clock } = detector(edges);
    for (const r of rows(500, 7, 1)) d.observe(r);
    expect(d.evaluate().action).toBe('retrain-requested');
    expect(requests).toHaveLength(1);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'warning', code: 'FEATURE_DRIFT', timeframe: '1h' });
    expect(alerts[0].message).toMatch(
      /^1h feature drift .*: max PSI \d\.\d{3} > retrain\.drift\.psiThreshold 0\.25 .*largest g \d\.\d{3}.*early retrain requested$/,
    );

    clock.advance(23 * HOUR);
    const held = d.evaluate();
    expect(held).toMatchObject({ action: 'rate-limited', nextAllowedAt: Date.UTC(2026, 0, 2) });
    expect(d.evaluate().action).toBe('rate-limited');
    expect(requests).toHaveLength(1);
    expect(alerts).toHaveLength(2);
    expect(alerts[1].message).toContain(
      'held back until 2026-01-02T00:00:00.000Z (retrain.drift.minHoursBetweenRetrains 24)',
    );

    clock.advance(HOUR);
    expect(d.evaluate().action).toBe('retrain-requested');
    expect(requests).toHaveLength(2);

    // A scheduled retrain also counts.
    clock.advance(30 * HOUR);
    d.noteRetrain();
    clock.advance(HOUR);
    expect(d.evaluate().action).toBe('rate-limited');
  });

  it('a failing retrain request is logged, not thrown', async () => {
    const edges = fitFeatureEdges(NAMES, rows(2000, 1));
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (s: string) => lines.push(s) } });
    const { d } = detector(edges, {
      logger,
      requestRetrain: () => Promise.reject(new Error('service stopped')),
    });
    for (const r of rows(500, 8, 1)) d.observe(r);
    expect(d.evaluate().action).toBe('retrain-requested');
    await new Promise((r) => setTimeout(r, 10));
    expect(lines.join('')).toContain('service stopped');
  });

  it('without a retrain hook (retraining off) the alert says no retrain follows', () => {
    const edges = fitFeatureEdges(NAMES, rows(2000, 1));
    const { d, alerts } = detector(edges, { requestRetrain: undefined });
    for (const r of rows(500, 8, 1)) d.observe(r);
    expect(d.evaluate().action).toBe('retrain-requested');
    expect(alerts[0].message).toMatch(/; no early retrain \(retraining is off\)$/);
  });

  it('a model without edges: drift check off, with a log line', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (s: string) => lines.push(s) } });
    const { d, alerts } = detector(null, { logger });
    for (const r of rows(500, 9, 5)) d.observe(r);
    expect(d.check()).toMatchObject({ enabled: false, drifted: false, rows: 0 });
    expect(d.evaluate().action).toBe('none');
    expect(alerts).toEqual([]);
    expect(lines.join('')).toContain('drift check off');
  });
});

describe('edges saved by the training pipeline', () => {
  it('a trained model carries training deciles; its own training rows show no drift', async () => {
    const dataDir = join(REPO_ROOT, 'test/fixtures/candles');
    const config = parseConfig({
      exchange: { name: 'binance', symbols: ['BTC/USDT'] },
      data: { dir: dataDir, modelsDir: join(tmp, 'models') },
      model: TINY_MODEL,
    });
    const r = await trainModel({
      config,
      timeframe: '1h',
      symbols: ['BTC/USDT'],
      exchange: 'binance',
      dataDir,
      clock: new ManualClock(Date.UTC(2026, 0, 1)),
      logger: silentLogger(),
    });
    const art = await loadArtifact(r.modelDir);
    const edges = featureEdgesOf(art.metrics);
    expect(edges).not.toBeNull();
    expect(readFeatureEdges(r.modelDir)).toEqual(edges);
    expect(readFeatureEdges(tmp)).toBeNull();
    if (!edges) return;
    expect(edges.names).toEqual(art.model.featureNames);
    expect(edges.rows).toBe(r.samples.train);
    for (let j = 0; j < edges.names.length; j++) {
      const e = edges.edges[j];
      for (let b = 1; b < e.length; b++) expect(e[b]).toBeGreaterThan(e[b - 1]);
      expect(edges.fractions[j].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }

    // Live rows from the training period match; rows from a fake crash (prices falling 3 % an hour) do not.
    const candles = readCandles(dataDir, 'binance', '1h', 'BTC/USDT')?.candles ?? [];
    const f = computeFeatures(candles, '1h', config.features);
    const w = f.names.length;
    const from = Date.parse(r.trainingWindow.from);
    const to = Date.parse(r.trainingWindow.to);
    const inWindow = candles.flatMap((c, i) => (c.timestamp >= from && c.timestamp <= to ? [i] : []));
    // A spread over the whole training period (the latest 500 hours alone are one regime).
    const stride = Math.ceil(inWindow.length / 500);
    const { d } = detector(edges);
    for (let k = 0; k < inWindow.length; k += stride)
      d.observe(f.rows.subarray(inWindow[k] * w, (inWindow[k] + 1) * w));
    const rep = d.check();
    expect(rep.rows).toBeGreaterThanOrEqual(250);
    expect(rep.maxPsi).toBeLessThan(0.25);

    let p = candles[candles.length - 1].close;
    const crash = candles.map((c) => {
      p *= 0.97;
      return { ...c, open: p / 0.97, high: p / 0.96, low: p * 0.99, close: p, volume: c.volume * 5 };
    });
    const fc = computeFeatures(crash, '1h', config.features);
    const { d: dc } = detector(edges);
    for (let i = fc.firstValid; i < fc.length; i++) dc.observe(fc.rows.subarray(i * w, (i + 1) * w));
    expect(dc.check().drifted).toBe(true);
  });
});
