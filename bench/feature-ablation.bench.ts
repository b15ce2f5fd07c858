/**
 * Feature ablation: what each optional feature group (HAR realised volatility, range estimators,
 * trend, market context `mkt`, higher-timeframe context `htf`) adds to forecast quality on later, unseen data — pinball per quantile against the
 * rolling-quantile baseline, Brier skill against class frequencies, and calibration per
 * volatility tercile. One model per (timeframe, feature set), all else equal (same seed, same
 * architecture, same sample cap, same epochs), trained on BTC+ETH before 2021-06-01 (the #15
 * development ranges):
 *   - 5m: evaluated on SOL/USDT from 2021-06-02 (a symbol never trained on, later in time);
 *   - 1h: evaluated on BTC+ETH 2021-06-02 → 2021-12-31 and on SOL/USDT over the same range (the
 *     shared store's SOL ends 2021-07-17);
 *   - 12h/1d (only with --timeframes …,1d): BTC+ETH from 2021-06-02 (few samples: a hint only).
 * The first day after the cutoff is skipped so no evaluated outcome overlaps the fitted data.
 *
 * `--split dev` instead uses only data before 2021-03-30 (the reference walk-forward's
 * out-of-sample half starts then, so defaults are chosen here, never on the ranges above): 5m
 * trained on BTC+ETH before 2021-02-01 (the shared 5m files start 2020-12-01), evaluated
 * 2021-02-02 → 2021-03-30 on SOL and on BTC+ETH; 1h trained before 2020-11-01, evaluated
 * 2020-11-02 → 2021-03-30 on BTC+ETH and 2021-01-01 → 2021-03-30 on SOL (after its context's warm-up).
 *
 *   npm run bench -- feature-ablation
 *   npx tsx bench/feature-ablation.bench.ts [--timeframes 5m,1h]
 *       [--sets base,base@vol,range@vol,har,har@vol,har@har,har+range@vol]
 *       [--architecture mlp] [--epochs 15] [--max-train-samples 40000] [--window 30] [--split target|dev]
 *
 * The MLP is the default architecture (the TFT costs ~13× more per step on this 2-core wasm
 * machine); the epoch count — not a wall-clock budget — bounds training, so figures do not depend
 * on the machine's load. Each finished model's figures are cached in
 * bench/results/feature-ablation/<tf>-<set>-<arch>-e<epochs>-n<samples>-w<window>[-dev].json: a rerun
 * resumes; the table and JSON go to bench/results/feature-ablation[-dev].json.
 * Reads /work/shared/data when present, else test/fixtures (a smoke run only).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/index.ts';
import type { ConfigInput } from '../src/config/index.ts';
import { systemClock } from '../src/core/clock.ts';
import { createLogger } from '../src/core/logger.ts';
import type { ModelTimeframe } from '../src/core/types.ts';
import { evaluateModel, trainModel } from '../src/models/index.ts';
import type { ForecastMetrics } from '../src/models/index.ts';
import { forecastTargets } from './forecast-targets.ts';

const SHARED = '/work/shared/data';
const real = existsSync(join(SHARED, 'binance/5m/SOLUSDT.csv'));
const dataDir = real ? SHARED : 'test/fixtures/candles';
const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const numArg = (name: string, dflt: number): number => Number(argOf(name) ?? dflt);

const TIMEFRAMES = (argOf('--timeframes') ?? '5m,1h').split(',') as ModelTimeframe[];
const SETS = (argOf('--sets') ?? 'base,base@vol,range@vol,har,har@vol,har@har,har+range@vol').split(',');
const ARCH = (argOf('--architecture') ?? 'mlp') as 'mlp' | 'tft';
const EPOCHS = numArg('--epochs', real ? 15 : 1);
const MAX_SAMPLES = numArg('--max-train-samples', real ? 40_000 : 3000);
const WINDOW = numArg('--window', 30);
const DAY = 86_400_000;
const SPLIT = argOf('--split') ?? 'target';
if (SPLIT !== 'target' && SPLIT !== 'dev') throw new Error(`--split: expected target or dev, got ${SPLIT}`);
const DEV = SPLIT === 'dev';
const at = (iso: string): number | undefined => (real ? Date.parse(`${iso}T00:00:00Z`) : undefined);
/** Training cutoff of a timeframe; evaluation starts one day later. */
const cutoffOf = (tf: ModelTimeframe): number | undefined =>
  !DEV ? at('2021-06-01') : tf === '5m' ? at('2021-02-01') : at('2020-11-01');
const evalFromOf = (tf: ModelTimeframe): number | undefined => {
  const c = cutoffOf(tf);
  return c === undefined ? undefined : c + DAY;
};
const EVAL_TO_1H = real ? Date.parse('2022-01-01T00:00:00Z') : undefined;
/** The dev split's evaluations end before the reference walk-forward's out-of-sample half. */
const DEV_TO = at('2021-03-30');
const TRAIN = ['BTC/USDT', 'ETH/USDT'];
const SUFFIX = DEV ? '-dev' : '';

/**
 * The feature settings of one ablation set: the defaults with the named groups switched on. A set
 * ending in "@vol" also scales the conformal scores by the forecast-time volatility
 * (model.conformalScale: volatility), "@har" by the HAR volatilities (conformalScale: har),
 * instead of additive offsets.
 */
function featuresOf(set: string): ConfigInput['features'] {
  const groups = set.replace(/@(vol|har)$/, '');
  const on = new Set(groups === 'base' ? [] : groups.split('+'));
  for (const g of on)
    if (!['har', 'range', 'trend', 'mkt', 'htf'].includes(g))
      throw new Error(`unknown feature group ${g} in set ${set}`);
  return {
    har: { enabled: on.has('har') },
    range: { enabled: on.has('range') },
    trend: { enabled: on.has('trend') },
    // Reference resolved from exchange.symbols (BTC/USDT); htf: 1h and 1d rows, skipped where not longer.
    marketContext: { enabled: on.has('mkt') },
    higherTimeframes: { enabled: on.has('htf') },
  };
}

interface EvalSet {
  readonly name: string;
  readonly symbols: readonly string[];
  readonly from?: number;
  readonly to?: number;
  readonly neverTrained: boolean;
}

function evalSetsOf(tf: ModelTimeframe): EvalSet[] {
  if (DEV) {
    const from = evalFromOf(tf);
    if (tf === '5m')
      return [
        { name: 'SOL', symbols: ['SOL/USDT'], from, to: DEV_TO, neverTrained: true },
        { name: 'BTC+ETH', symbols: TRAIN, from, to: DEV_TO, neverTrained: false },
      ];
    const sets: EvalSet[] = [{ name: 'BTC+ETH', symbols: TRAIN, from, to: DEV_TO, neverTrained: false }];
    if (tf === '1h')
      sets.push({
        name: 'SOL',
        symbols: ['SOL/USDT'],
        from: at('2021-01-01'),
        to: DEV_TO,
        neverTrained: true,
      });
    return sets;
  }
  if (tf === '5m') return [{ name: 'SOL', symbols: ['SOL/USDT'], neverTrained: true }];
  const to = tf === '1h' ? EVAL_TO_1H : undefined;
  // The shared store has SOL only from 2020-12 to 2021-07 and no SOL 1d file.
  if (tf !== '1h') return [{ name: 'BTC+ETH', symbols: TRAIN, to, neverTrained: false }];
  return [
    { name: 'BTC+ETH', symbols: TRAIN, to, neverTrained: false },
    { name: 'SOL', symbols: ['SOL/USDT'], to, neverTrained: true },
  ];
}

interface CellResult {
  readonly settings: Record<string, unknown>;
  readonly features: readonly string[];
  readonly trainSeconds: number;
  readonly training: unknown;
  readonly evals: Record<string, ForecastMetrics>;
}

const logger = createLogger({ level: 'warn' });
const cacheDir = 'bench/results/feature-ablation';
mkdirSync(cacheDir, { recursive: true });

async function runCell(tf: ModelTimeframe, set: string): Promise<CellResult> {
  const settings = {
    tf,
    set,
    arch: ARCH,
    epochs: EPOCHS,
    maxTrainSamples: MAX_SAMPLES,
    window: WINDOW,
    data: real ? 'shared' : 'fixtures',
    cutoff: cutoffOf(tf) ?? null,
  };
  const cachePath = join(
    cacheDir,
    `${tf}-${set}-${ARCH}-e${EPOCHS}-n${MAX_SAMPLES}-w${WINDOW}${SUFFIX}.json`,
  );
  if (existsSync(cachePath)) {
    const cached = JSON.parse(readFileSync(cachePath, 'utf8')) as CellResult;
    if (JSON.stringify(cached.settings) === JSON.stringify(settings)) return cached;
  }
  const config = parseConfig({
    exchange: { name: 'binance', symbols: TRAIN },
    data: { dir: dataDir, modelsDir: join(tmpdir(), 'quantgate-bench-models') },
    features: featuresOf(set),
    model: {
      architecture: ARCH,
      window: WINDOW,
      hidden: 32,
      epochs: EPOCHS,
      patience: 3,
      maxTrainSamples: MAX_SAMPLES,
      split: { train: 0.7, validation: 0.15, calibration: 0.15 },
      conformalScale: set.endsWith('@vol') ? 'volatility' : set.endsWith('@har') ? 'har' : 'additive',
    },
    modelOverrides: {},
  });
  const outDir = join(tmpdir(), `quantgate-bench-ablation-${process.pid}-${tf}-${set}`);
  const t0 = performance.now();
  const trained = await trainModel({
    config,
    timeframe: tf,
    symbols: TRAIN,
    exchange: 'binance',
    dataDir,
    outDir,
    maxMinutes: 600, // the epoch cap bounds training, not the clock
    epochs: EPOCHS,
    to: cutoffOf(tf),
    clock: systemClock,
    logger,
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const evals: Record<string, ForecastMetrics> = {};
  for (const e of evalSetsOf(tf))
    evals[e.name] = await evaluateModel({
      config,
      modelDir: trained.modelDir,
      symbols: e.symbols,
      exchange: 'binance',
      dataDir,
      from: e.from ?? evalFromOf(tf),
      to: e.to,
      logger,
    });
  const model = JSON.parse(readFileSync(join(trained.modelDir, 'model.json'), 'utf8')) as {
    featureNames?: string[];
  };
  rmSync(outDir, { recursive: true, force: true });
  const result: CellResult = {
    settings,
    features: model.featureNames ?? [],
    trainSeconds,
    training: { samples: trained.samples, training: trained.training },
    evals,
  };
  writeFileSync(cachePath, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

interface Row {
  tf: ModelTimeframe;
  set: string;
  eval: string;
  neverTrained: boolean;
  samples: number;
  pinballRatio: { q10: number | null; q50: number | null; q90: number | null; mean: number | null };
  brier: number;
  brierBaseline: number | null;
  brierSkill: number | null;
  exceedance: { q10: number; q90: number };
  bandCoverage: number;
  terciles: Array<{ q10: number; q90: number; band: number; samples: number }>;
  targets: Record<string, boolean>;
}

function rowOf(tf: ModelTimeframe, set: string, e: EvalSet, m: ForecastMetrics): Row {
  const { pinballRatio: r, terciles, targets } = forecastTargets(m);
  return {
    tf,
    set,
    eval: e.name,
    neverTrained: e.neverTrained,
    samples: m.samples,
    pinballRatio: r,
    brier: m.brier.model,
    brierBaseline: m.brier.baseline,
    brierSkill: m.brierSkill,
    exceedance: { q10: m.quantiles['0.1'].exceedance, q90: m.quantiles['0.9'].exceedance },
    bandCoverage: m.bandCoverage,
    terciles,
    targets,
  };
}

const started = new Date().toISOString();
const load0 = loadavg();
const rows: Row[] = [];
const cells: Record<string, CellResult> = {};
for (const tf of TIMEFRAMES)
  for (const set of SETS) {
    process.stdout.write(`training ${tf} ${set} …\n`);
    const cell = await runCell(tf, set);
    cells[`${tf}-${set}`] = cell;
    for (const e of evalSetsOf(tf)) rows.push(rowOf(tf, set, e, cell.evals[e.name]));
    process.stdout.write(
      `  done in ${cell.trainSeconds.toFixed(0)} s of training (load ${loadavg()[0].toFixed(1)})\n`,
    );
  }

const out = {
  data: real ? 'shared' : 'fixtures',
  started,
  finished: new Date().toISOString(),
  loadAverage: { start: load0, end: loadavg() },
  settings: { architecture: ARCH, epochs: EPOCHS, maxTrainSamples: MAX_SAMPLES, window: WINDOW, hidden: 32 },
  // The class metrics (Brier, brierSkill) depend on the labels: record the settings every cell used.
  labels: parseConfig({ exchange: { name: 'binance', symbols: TRAIN } }).labels,
  trainSymbols: TRAIN,
  split: SPLIT,
  trainTo: Object.fromEntries(TIMEFRAMES.map((tf) => [tf, cutoffOf(tf) ?? null])),
  evals: Object.fromEntries(
    TIMEFRAMES.map((tf) => [
      tf,
      evalSetsOf(tf).map((e) => ({ name: e.name, from: e.from ?? evalFromOf(tf) ?? null, to: e.to ?? null })),
    ]),
  ),
  rows,
  cells,
};
writeFileSync(`bench/results/feature-ablation${SUFFIX}.json`, `${JSON.stringify(out, null, 2)}\n`);

const f3 = (x: number | null): string => (x === null ? '-' : x.toFixed(3));
const pct = (x: number): string => `${(x * 100).toFixed(1)}`;
process.stdout.write(
  [
    '',
    `Feature ablation (${ARCH}, ${EPOCHS} epochs, ≤ ${MAX_SAMPLES} samples, window ${WINDOW}); pinball = model / rolling-quantile baseline`,
    '',
    '| tf | set | eval | n | pinball q10 | q50 | q90 | mean | brierSkill | P10/P90 exc. % | band % | terciles P10/P90/band % |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.tf} | ${r.set} | ${r.eval}${r.neverTrained ? '*' : ''} | ${r.samples} | ${f3(r.pinballRatio.q10)} | ${f3(r.pinballRatio.q50)} | ${f3(r.pinballRatio.q90)} | ${f3(r.pinballRatio.mean)} | ${r.brierSkill === null ? '-' : r.brierSkill.toFixed(4)} | ${pct(r.exceedance.q10)}/${pct(r.exceedance.q90)} | ${pct(r.bandCoverage)} | ${r.terciles.map((t) => `${pct(t.q10)}/${pct(t.q90)}/${pct(t.band)}`).join(' · ')} |`,
    ),
    '',
    '* a symbol never trained on',
    '',
  ].join('\n'),
);
