/**
 * Feature drift on real candles: decile edges fitted on a training year of 1h BTCUSDT features,
 * then the PSI of the last retrain.drift.windowRows rows at the end of every later month (the
 * figure the live DriftDetector would report then), and a control (rows from inside the training
 * year). Also the detector's cost per observed row and per check. /work/shared/data when present,
 * else the fixture (shorter history: months are fewer).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/index.ts';
import { silentLogger } from '../src/core/logger.ts';
import { readCandles } from '../src/exchange/index.ts';
import { computeFeatures } from '../src/features/index.ts';
import { fitFeatureEdges } from '../src/models/index.ts';
import { DriftDetector } from '../src/retrain/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const shared = '/work/shared/data';
const dataDir = existsSync(join(shared, 'binance', '1h', 'BTCUSDT.csv'))
  ? shared
  : join(root, 'test/fixtures/candles');
const config = parseConfig({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
const { psiThreshold, windowRows, statistic } = config.retrain.drift;

const candles = readCandles(dataDir, 'binance', '1h', 'BTC/USDT')?.candles ?? [];
const f = computeFeatures(candles, '1h', config.features);
const w = f.names.length;
const row = (i: number) => f.rows.subarray(i * w, (i + 1) * w);
const valid = (i: number) => {
  for (let j = i * w; j < (i + 1) * w; j++) if (!Number.isFinite(f.rows[j])) return false;
  return true;
};
const idx = Array.from({ length: f.length }, (_, i) => i).filter(valid);
const month = (t: number) => new Date(t).toISOString().slice(0, 7);

// Training: the first 12 months of valid rows (or the first half on the short fixture).
const firstT = candles[idx[0]].timestamp;
const yearEnd = firstT + 365 * 86_400_000;
const inYear = idx.filter((i) => candles[i].timestamp < yearEnd);
const train = inYear.length < idx.length * 0.8 ? inYear : idx.slice(0, Math.floor(idx.length / 2));
const trainEnd = candles[train[train.length - 1]].timestamp;
const edges = fitFeatureEdges(
  f.names,
  train.map((i) => row(i)),
);

function detectorOver(rows: readonly number[]): DriftDetector {
  const d = new DriftDetector({
    timeframe: '1h',
    edges,
    psiThreshold,
    minHoursBetweenRetrains: 24,
    windowRows,
    logger: silentLogger(),
  });
  for (const i of rows) d.observe(row(i));
  return d;
}

// Control: the training year's own rows, spread (every k-th) over the year.
const stride = Math.max(1, Math.floor(train.length / windowRows));
const control = detectorOver(train.filter((_, k) => k % stride === 0).slice(-windowRows)).check();

// After training: the last windowRows rows at each month end.
const after = idx.filter((i) => candles[i].timestamp > trainEnd);
const months: { month: string; maxPsi: number; medianPsi: number; feature: string }[] = [];
for (let k = 0; k < after.length; k++) {
  const i = after[k];
  const last =
    k === after.length - 1 || month(candles[after[k + 1]].timestamp) !== month(candles[i].timestamp);
  if (!last || k + 1 < windowRows) continue;
  const rep = detectorOver(after.slice(k + 1 - windowRows, k + 1)).check();
  months.push({
    month: month(candles[i].timestamp),
    maxPsi: rep.maxPsi ?? NaN,
    medianPsi: rep.medianPsi ?? NaN,
    feature: rep.maxFeature ?? '',
  });
}

// As a bot retraining monthly would see it: edges on the 365 days before each month, PSI of the
// last windowRows rows at that month's end.
const rolling: { month: string; maxPsi: number; medianPsi: number; feature: string }[] = [];
for (const m of months) {
  const end = after.filter((i) => month(candles[i].timestamp) === m.month);
  const monthStart = Date.parse(`${m.month}-01T00:00:00Z`);
  const trailing = idx.filter(
    (i) => candles[i].timestamp < monthStart && candles[i].timestamp >= monthStart - 365 * 86_400_000,
  );
  if (trailing.length < windowRows || end.length === 0) continue;
  const e = fitFeatureEdges(
    f.names,
    trailing.map((i) => row(i)),
  );
  const dd = new DriftDetector({
    timeframe: '1h',
    edges: e,
    psiThreshold,
    minHoursBetweenRetrains: 24,
    windowRows,
    logger: silentLogger(),
  });
  const lastK = idx.indexOf(end[end.length - 1]);
  for (const i of idx.slice(Math.max(0, lastK + 1 - windowRows), lastK + 1)) dd.observe(row(i));
  const rep = dd.check();
  rolling.push({
    month: m.month,
    maxPsi: rep.maxPsi ?? NaN,
    medianPsi: rep.medianPsi ?? NaN,
    feature: rep.maxFeature ?? '',
  });
}

// Cost: observe every valid row once through a detector, then check.
const d = detectorOver([]);
const t0 = performance.now();
for (const i of idx) d.observe(row(i));
const observeUs = ((performance.now() - t0) * 1000) / idx.length;
const checks: number[] = [];
for (let k = 0; k < 21; k++) {
  const t = performance.now();
  d.check();
  checks.push(performance.now() - t);
}
checks.sort((a, b) => a - b);
const checkMs = checks[10];

const over = (xs: readonly { maxPsi: number; medianPsi: number }[], k: 'maxPsi' | 'medianPsi') =>
  xs.filter((x) => x[k] > psiThreshold).length;
const result = {
  dataDir,
  features: w,
  trainRows: train.length,
  trainTo: new Date(trainEnd).toISOString(),
  windowRows,
  psiThreshold,
  statistic,
  control: { maxPsi: control.maxPsi, medianPsi: control.medianPsi, feature: control.maxFeature },
  fixedEdges: { months, overByMax: over(months, 'maxPsi'), overByMedian: over(months, 'medianPsi') },
  trailingYearEdges: {
    months: rolling,
    overByMax: over(rolling, 'maxPsi'),
    overByMedian: over(rolling, 'medianPsi'),
  },
  observeUsPerRow: observeUs,
  checkMs,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/drift.json'), JSON.stringify(result, null, 2));
const out = process.stdout;
const table = (title: string, rows: typeof months) => {
  out.write(`\n${title}\n\n| month end | max PSI | top feature | median PSI |\n|---|---|---|---|\n`);
  for (const r of rows)
    out.write(`| ${r.month} | ${r.maxPsi.toFixed(3)} | ${r.feature} | ${r.medianPsi.toFixed(3)} |\n`);
  out.write(
    `\nover retrain.drift.psiThreshold ${psiThreshold}: by max ${over(rows, 'maxPsi')} of ${rows.length}, by median ${over(rows, 'medianPsi')} of ${rows.length}\n`,
  );
};
out.write(
  `data: ${dataDir} (1h BTCUSDT, ${w} features, last ${windowRows} rows per check)\n` +
    `control (training rows vs their own edges): max PSI ${control.maxPsi?.toFixed(3)} (${control.maxFeature}), median ${control.medianPsi?.toFixed(3)}\n`,
);
table(`Edges fitted once on ${train.length} rows to ${result.trainTo}:`, months);
table('Edges refitted on the trailing 365 days before each month (a bot retraining monthly):', rolling);
out.write(
  `\nobserve ${observeUs.toFixed(2)} µs/row, check ${checkMs.toFixed(2)} ms (${windowRows} rows × ${w} features)\n`,
);
