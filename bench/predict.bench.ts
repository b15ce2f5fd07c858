/**
 * Network inference and training speed on this machine's tfjs backend (wasm here):
 *  - predict latency for one symbol, for 20 symbols in one batch, and for a whole round of
 *    20 symbols × 4 timeframes (four networks), p50/p99 over many calls;
 *  - one training step (forward + backward + clip + AdamW) at batch 128.
 * Default model config (window 60, hidden 24, 2 heads) and the 5m feature set. Inputs are real
 * feature windows from /work/shared/data/binance/5m/BTCUSDT.csv when present, else the fixture.
 *
 *   npx tsx bench/predict.bench.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { featuresSchema, modelSchema } from '../src/config/index.ts';
import type { Candle } from '../src/core/types.ts';
import { computeFeatures } from '../src/features/index.ts';
import type { BatchProvider, ForecastInput, NetworkArchitecture } from '../src/models/index.ts';
import {
  createNetwork,
  initBackend,
  NetworkForecaster,
  networkSpecFromConfig,
  parameterCount,
  trainNetwork,
  zScoreNormaliser,
} from '../src/models/index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const candidates = [
  '/work/shared/data/binance/5m/BTCUSDT.csv',
  join(here, '..', 'test/fixtures/candles/binance/5m/BTCUSDT.csv'),
];
const csv = candidates.find((p) => existsSync(p));

const info = await initBackend();
const model = modelSchema.parse({});
const fcfg = featuresSchema.parse({});

/** Real feature rows (valid part only) when a candle file exists, else seeded noise. */
function featureRows(): { names: readonly string[]; rows: Float32Array; n: number; source: string } {
  if (csv) {
    const candles: Candle[] = readFileSync(csv, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .slice(-5000)
      .map((l) => {
        const [timestamp, open, high, low, close, volume] = l.split(',').map(Number);
        return { timestamp, open, high, low, close, volume };
      });
    const m = computeFeatures(candles, '5m', fcfg);
    const w = m.names.length;
    const rows = m.rows.slice(m.firstValid * w);
    return { names: m.names, rows, n: rows.length / w, source: csv };
  }
  const names = Array.from({ length: 20 }, (_, i) => `f${i}`);
  let s = 1;
  const rows = Float32Array.from(
    { length: 5000 * 20 },
    () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5,
  );
  return { names, rows, n: 5000, source: 'synthetic' };
}

const feats = featureRows();
const F = feats.names.length;
const W = model.window;
const mean = new Array<number>(F).fill(0);
const std = new Array<number>(F).fill(0);
for (let i = 0; i < feats.n; i++) for (let f = 0; f < F; f++) mean[f] += feats.rows[i * F + f] / feats.n;
for (let i = 0; i < feats.n; i++)
  for (let f = 0; f < F; f++) std[f] += (feats.rows[i * F + f] - mean[f]) ** 2 / feats.n;
const normaliser = zScoreNormaliser({ featureNames: feats.names, pooled: { mean, std: std.map(Math.sqrt) } });

function windowAt(start: number, symbol: string): ForecastInput {
  const s = start % (feats.n - W);
  return { symbol, features: feats.rows.slice(s * F, (s + W) * F) };
}
const symbols = Array.from({ length: 20 }, (_, i) => `SYM${i}/USDT`);
const round = (k: number) => symbols.map((s, i) => windowAt(k * 37 + i * 101, s));

function stats(ms: number[]): { p50: number; p99: number; mean: number; n: number } {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length };
}

/**
 * Wall time and CPU time (user+system of this process) per call. On a shared, loaded machine wall
 * time includes waiting for a core; CPU time is close to what an idle 2-core box would show, since
 * wasm runs single-threaded here.
 */
function time(reps: number, f: (i: number) => unknown): { wall: number[]; cpu: number[] } {
  for (let i = 0; i < 10; i++) f(i);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f(i);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

const both = (t: { wall: number[]; cpu: number[] }) => ({ wall: stats(t.wall), cpu: stats(t.cpu) });

function forecaster(arch: NetworkArchitecture, seed: number): NetworkForecaster {
  const net = createNetwork(networkSpecFromConfig({ ...model, architecture: arch }, F, 0.01), seed);
  return new NetworkForecaster({
    network: net,
    featureNames: feats.names,
    timeframe: '5m',
    horizon: 12,
    version: `bench-${arch}`,
    normaliser,
  });
}

async function trainStepMs(arch: NetworkArchitecture): Promise<ReturnType<typeof both>> {
  const net = createNetwork(networkSpecFromConfig({ ...model, architecture: arch }, F, 0.01), 1);
  const bs = 128;
  const steps = arch === 'tft' ? 8 : 40;
  const provider = (n: number, offset: number): BatchProvider => ({
    size: n,
    fill(idx, x, yc, yr, w) {
      idx.forEach((j, k) => {
        normaliser.normalise(
          'X',
          windowAt(offset + j * 13, 'X').features,
          x.subarray(k * W * F, (k + 1) * W * F),
        );
        yc[k] = j % 3;
        yr[k] = ((j % 7) - 3) * 0.001;
        w[k] = 1;
      });
    },
  });
  const times: number[] = [];
  const cpus: number[] = [];
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  await trainNetwork(
    net,
    { train: provider(bs * steps, 0), validation: provider(bs, 99_999) },
    {
      ...model,
      epochs: 1,
      batchSize: bs,
      onProgress: (p) => {
        const now = performance.now();
        const c = process.cpuUsage(lastCpu);
        if (p.kind === 'step') {
          times.push(now - last);
          cpus.push((c.user + c.system) / 1000);
        }
        last = now;
        lastCpu = process.cpuUsage();
      },
    },
  );
  net.dispose();
  // The first steps include kernel warm-up.
  return { wall: stats(times.slice(2)), cpu: stats(cpus.slice(2)) };
}

const results: Record<string, unknown>[] = [];
for (const arch of ['tft', 'mlp'] as const) {
  const one = forecaster(arch, 1);
  const single = both(
    time(arch === 'tft' ? 300 : 2000, (i) => one.predictBatch([windowAt(i * 7, 'BTC/USDT')])),
  );
  const batch20 = both(time(arch === 'tft' ? 100 : 500, (i) => one.predictBatch(round(i))));
  const four = ['5m', '1h', '12h', '1d'].map((_, k) => (k === 0 ? one : forecaster(arch, k + 1)));
  const fullRound = both(
    time(arch === 'tft' ? 50 : 300, (i) => four.forEach((f) => f.predictBatch(round(i)))),
  );
  four.forEach((f) => f.dispose());
  const step = await trainStepMs(arch);
  results.push({
    arch,
    params: parameterCount(forecaster(arch, 9).network),
    single,
    batch20,
    round80: fullRound,
    trainStep128: step,
  });
}

const out = {
  backend: info.name,
  window: W,
  hidden: model.hidden,
  heads: model.heads,
  features: F,
  source: feats.source,
  loadAverage1m: loadavg()[0],
  results,
  targets: { singleP99Ms: 10, roundP99Ms: 50 },
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'predict.json'), `${JSON.stringify(out, null, 2)}\n`);

const f1 = (x: number) => x.toFixed(1);
const line = (r: Record<string, unknown>, k: string, kind: 'wall' | 'cpu') => {
  const s = (r[k] as ReturnType<typeof both>)[kind];
  return `${f1(s.p50)} / ${f1(s.p99)}`;
};
const table = (kind: 'wall' | 'cpu') =>
  `\n${kind === 'wall' ? 'Wall' : 'CPU'} time, ms p50 / p99:\n\n` +
  '| model | params | 1 symbol | 20 symbols | round 20×4 | train step b=128 |\n|---|---|---|---|---|---|\n' +
  results
    .map(
      (r) =>
        `| ${r.arch as string} | ${r.params as number} | ${line(r, 'single', kind)} | ${line(r, 'batch20', kind)} | ${line(r, 'round80', kind)} | ${line(r, 'trainStep128', kind)} |`,
    )
    .join('\n') +
  '\n';
process.stdout.write(
  `backend ${info.name}, window ${W}, hidden ${model.hidden}, heads ${model.heads}, ${F} features, load avg ${loadavg()[0].toFixed(1)} on 2 cores\n` +
    table('wall') +
    table('cpu'),
);
