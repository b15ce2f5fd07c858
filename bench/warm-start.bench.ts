/**
 * Warm-started vs from-scratch models over the same weekly windows, on data later than training.
 *
 *   npx tsx bench/warm-start.bench.ts [--timeframe 5m] [--from 2021-04-06] [--windows 5] [--days 7]
 *
 * For each retrain point t_k = from + k·days: a SCRATCH model trained on every candle before t_k
 * (config defaults: model.warmStart.enabled false), and a WARM model fine-tuned from the previous
 * window's warm model (the first warm link starts from window 0's scratch model, so window 0 is
 * not compared). Both are evaluated (`evaluateModel`, the same metrics as `quantgate evaluate`) on
 * BTC/ETH/SOL forecasts issued in [t_k, t_k + days) — after every training and calibration sample
 * of both. Sample-weighted means over the compared windows, and training seconds, go to
 * bench/results/warm-start.json. Nothing is tuned on the evaluation weeks.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/index.ts';
import type { Config } from '../src/config/index.ts';
import { systemClock } from '../src/core/clock.ts';
import { createLogger } from '../src/core/logger.ts';
import type { ModelTimeframe } from '../src/core/types.ts';
import { evaluateModel, trainModel } from '../src/models/index.ts';
import type { ForecastMetrics, SeriesCache, TrainModelResult } from '../src/models/index.ts';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const dataDir = process.env.QG_DATA_DIR ?? '/work/shared/data';
const tf = arg('--timeframe', '5m') as ModelTimeframe;
const from = Date.parse(`${arg('--from', '2021-04-06')}T00:00:00Z`);
const windows = Number(arg('--windows', '5'));
const days = Number(arg('--days', '7'));
const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const logger = createLogger({ level: 'warn' });
// The schema defaults (= config/default.yaml), with only warm start switched.
const mk = (warm: boolean): Config => {
  const c = parseConfig({ exchange: { name: 'binance', symbols }, data: { dir: dataDir } });
  return { ...c, model: { ...c.model, warmStart: { ...c.model.warmStart, enabled: warm } } };
};
const scratchCfg = mk(false);
const warmCfg = mk(true);
const out = join(tmpdir(), `qg-warm-bench-${process.pid}`);
const cache: SeriesCache = new Map();
const DAY = 86_400_000;

const train = (
  config: Config,
  name: string,
  to: number,
  parentDir: string | null,
): Promise<TrainModelResult> =>
  trainModel({
    config,
    timeframe: tf,
    symbols,
    exchange: 'binance',
    dataDir,
    outDir: join(out, name),
    to,
    parentDir,
    seriesCache: cache,
    clock: systemClock,
    logger,
  });
const evaluate = (dir: string, t: number): Promise<ForecastMetrics> =>
  evaluateModel({
    config: scratchCfg,
    modelDir: dir,
    symbols,
    exchange: 'binance',
    dataDir,
    from: t,
    to: t + days * DAY,
    logger,
  });

interface Row {
  readonly window: number;
  readonly trainTo: string;
  readonly kind: 'scratch' | 'warm';
  readonly trainSeconds: number;
  readonly samples: number;
  readonly epochs: number;
  readonly warmStart: TrainModelResult['warmStart'];
  readonly metrics: ForecastMetrics;
}
const rows: Row[] = [];
let warmDir: string | null = null;
const t0 = performance.now();
const loadStart = loadavg();
for (let k = 0; k < windows; k++) {
  const t = from + k * days * DAY;
  const to = t - 5 * 60_000 + 1; // candles closed by t (same cut as the walk-forward)
  const s0 = performance.now();
  const scratch = await train(scratchCfg, `scratch-${k}`, to, null);
  const sSec = (performance.now() - s0) / 1000;
  if (k === 0) {
    warmDir = scratch.modelDir;
    process.stdout.write(`window 0: scratch ${sSec.toFixed(1)} s (the warm chain starts here)\n`);
    continue;
  }
  const w0 = performance.now();
  const warm = await train(warmCfg, `warm-${k}`, to, warmDir);
  const wSec = (performance.now() - w0) / 1000;
  warmDir = warm.modelDir;
  for (const [kind, r, sec] of [
    ['scratch', scratch, sSec],
    ['warm', warm, wSec],
  ] as const)
    rows.push({
      window: k,
      trainTo: new Date(t).toISOString(),
      kind,
      trainSeconds: sec,
      samples: r.samples.train,
      epochs: r.training.epochs,
      warmStart: r.warmStart,
      metrics: await evaluate(r.modelDir, t),
    });
  process.stdout.write(
    `window ${k}: scratch ${sSec.toFixed(1)} s, warm ${wSec.toFixed(1)} s (${warm.warmStart.reason})\n`,
  );
}

/** Sample-weighted mean of a metric over the compared windows. */
function mean(kind: Row['kind'], f: (m: ForecastMetrics) => number | null): number | null {
  const rs = rows.filter((r) => r.kind === kind);
  let s = 0;
  let n = 0;
  for (const r of rs) {
    const v = f(r.metrics);
    if (v === null || !Number.isFinite(v)) return null;
    s += v * r.metrics.samples;
    n += r.metrics.samples;
  }
  return n > 0 ? s / n : null;
}
const summary = Object.fromEntries(
  (['scratch', 'warm'] as const).map((kind) => [
    kind,
    {
      p10Exceedance: mean(kind, (m) => m.quantiles['0.1'].exceedance),
      p90Exceedance: mean(kind, (m) => m.quantiles['0.9'].exceedance),
      bandCoverage: mean(kind, (m) => m.bandCoverage),
      pinball: mean(kind, (m) => m.pinball.model),
      pinballBaseline: mean(kind, (m) => m.pinball.baseline),
      ece: mean(kind, (m) => m.ece),
      brier: mean(kind, (m) => m.brier.model),
      brierBaseline: mean(kind, (m) => m.brier.baseline),
      logLoss: mean(kind, (m) => m.logLoss.model),
      trainSecondsTotal: rows.filter((r) => r.kind === kind).reduce((a, r) => a + r.trainSeconds, 0),
    },
  ]),
);
const result = {
  command: `npx tsx bench/warm-start.bench.ts --timeframe ${tf} --from ${new Date(from).toISOString().slice(0, 10)} --windows ${windows} --days ${days}`,
  data: dataDir,
  timeframe: tf,
  symbols,
  architecture: scratchCfg.model.architecture,
  warmStart: warmCfg.model.warmStart,
  loadAverage: { start: loadStart, end: loadavg() },
  seconds: (performance.now() - t0) / 1000,
  summary,
  windows: rows,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/warm-start.json', `${JSON.stringify(result, null, 2)}\n`);
rmSync(out, { recursive: true, force: true });
const f = (v: number | null, d = 4): string => (v === null ? '-' : v.toFixed(d));
const e = (v: number | null): string => (v === null ? '-' : v.toExponential(4));
process.stdout.write(
  [
    '',
    `| ${tf}, ${rows.length / 2} weekly windows | P10 exc | P90 exc | coverage | pinball (baseline) | ECE | Brier (baseline) | train s |`,
    '|---|---|---|---|---|---|---|---|',
    ...(['scratch', 'warm'] as const).map((k) => {
      const s = summary[k];
      return `| ${k} | ${f(s.p10Exceedance)} | ${f(s.p90Exceedance)} | ${f(s.bandCoverage)} | ${e(s.pinball)} (${e(s.pinballBaseline)}) | ${f(s.ece)} | ${f(s.brier)} (${f(s.brierBaseline)}) | ${s.trainSecondsTotal.toFixed(0)} |`;
    }),
    '',
  ].join('\n'),
);
