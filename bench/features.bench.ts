/**
 * Feature pipeline speed: batch features, incremental push, labels, normalisation fit, window
 * selection and batch filling. Reads /work/shared/data/binance/5m when present, else the bundled
 * fixtures. Writes bench/results/features.json and prints a markdown table.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { featuresSchema } from '../src/config/index.ts';
import type { Candle } from '../src/core/types.ts';
import {
  classWeights,
  computeFeatures,
  createBatchBuilder,
  createIncrementalFeatures,
  fitNormalisation,
  makeLabels,
  selectWindows,
} from '../src/features/index.ts';
import { readCandleFile } from '../src/exchange/index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const SHARED = '/work/shared/data/binance/5m';
const FIXTURE_DIRS = [
  join(here, '..', 'test/fixtures/candles/binance/5m'),
  join(here, '..', 'test/fixtures/messages/candles/5m'),
];
const dir = existsSync(SHARED) ? SHARED : (FIXTURE_DIRS.find((d) => existsSync(d)) ?? FIXTURE_DIRS[0]);

function load(symbol: string): Candle[] {
  return readCandleFile(join(dir, `${symbol}.csv`)).candles;
}

/**
 * Median of `reps` runs after one warm-up run (JIT), as CPU time of this process (user + system):
 * on a shared, overloaded machine wall time measures the neighbours, CPU time measures us.
 * Wall time is kept too (`wallMs`) for an idle machine.
 */
const wall: Record<string, number> = {};
function timeMs(reps: number, f: () => unknown, name = ''): number {
  f();
  const cpu: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    w.push(performance.now() - t0);
    const d = process.cpuUsage(c0);
    cpu.push((d.user + d.system) / 1000);
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(reps / 2)];
  if (name) wall[name] = median(w);
  return median(cpu);
}

const cfg = featuresSchema.parse({});
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
const series = symbols.map((s) => ({ symbol: s, candles: load(s) }));
const n = series[0].candles.length;
const c0 = series[0].candles;

const batchMs = timeMs(5, () => computeFeatures(c0, '5m', cfg), 'batch');
const incMs = timeMs(
  3,
  () => {
    const inc = createIncrementalFeatures('5m', cfg);
    for (const c of c0) inc.push(c);
  },
  'incremental',
);
const labelsMs = timeMs(5, () => makeLabels(c0, 12, 1.5, 24, '5m'));

const data = series.map((s) => ({
  symbol: s.symbol,
  timestamps: Float64Array.from(s.candles, (c) => c.timestamp),
  features: computeFeatures(s.candles, '5m', cfg),
  labels: makeLabels(s.candles, 12, 1.5, 24, '5m'),
}));
const normMs = timeMs(3, () =>
  fitNormalisation(
    data.map((d) => ({ symbol: d.symbol, matrix: d.features, end: Math.floor(d.features.length * 0.7) })),
  ),
);
const window = 60;
let samples = selectWindows(data, window, '5m');
const selectMs = timeMs(3, () => {
  samples = selectWindows(data, window, '5m');
});
const norm = fitNormalisation(data.map((d) => ({ symbol: d.symbol, matrix: d.features })));
const builder = createBatchBuilder({
  series: data,
  window,
  batchSize: 128,
  norm,
  classWeights: classWeights(samples.map((r) => data[r.series].labels.classes[r.t])),
});
const batches = Math.min(200, Math.floor(samples.length / 128));
const fillMs = timeMs(3, () => {
  for (let b = 0; b < batches; b++) builder.fill(samples, b * 128);
});

const result = {
  source: dir,
  timing: 'median CPU ms (user + system) of this process; wallMs = median wall time',
  loadAverage: (await import('node:os')).loadavg()[0],
  wallMs: wall,
  candles: n,
  features: data[0].features.names.length,
  warmup: data[0].features.warmup,
  batch: { ms: batchMs, candlesPerSecond: (n / batchMs) * 1000 },
  incremental: { ms: incMs, candlesPerSecond: (n / incMs) * 1000, usPerCandle: (incMs * 1000) / n },
  labels: { ms: labelsMs, candlesPerSecond: (n / labelsMs) * 1000 },
  normalisationFit: { ms: normMs, rows: Math.floor(n * 0.7) * symbols.length },
  selectWindows: { ms: selectMs, samples: samples.length },
  batchFill: { ms: fillMs, batches, samplesPerSecond: ((batches * 128) / fillMs) * 1000 },
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'features.json'), JSON.stringify(result, null, 2));

const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));
process.stdout.write(
  [
    `features bench — ${n} 5m candles of ${symbols[0]} from ${dir}; ${result.features} features, warm-up ${result.warmup}`,
    `CPU time (median); load average ${result.loadAverage.toFixed(1)}; wall: batch ${f(wall.batch)} ms, incremental ${f(wall.incremental)} ms`,
    '',
    '| step | CPU time (ms) | throughput |',
    '|---|---:|---:|',
    `| computeFeatures (batch) | ${f(batchMs)} | ${f(result.batch.candlesPerSecond)} candles/s |`,
    `| incremental push | ${f(incMs)} | ${f(result.incremental.candlesPerSecond)} candles/s (${f(result.incremental.usPerCandle)} µs each) |`,
    `| makeLabels | ${f(labelsMs)} | ${f(result.labels.candlesPerSecond)} candles/s |`,
    `| fitNormalisation (3 symbols, 70 %) | ${f(normMs)} | ${result.normalisationFit.rows} rows |`,
    `| selectWindows (window ${window}) | ${f(selectMs)} | ${samples.length} samples |`,
    `| batch fill [128, ${window}, ${result.features}] | ${f(fillMs)} | ${f(result.batchFill.samplesPerSecond)} samples/s |`,
    '',
  ].join('\n'),
);
