/**
 * Backtest throughput: candles/s end to end on the wasm backend (data, features, batched
 * inference over the whole replay, the live Runtime + QuantileStrategy per candle), and the replay
 * alone once inference is precomputed, for the default MLP and the TFT. Reads ../shared/data when
 * present (3 symbols, 5m + 1h, Feb–Jul 2021), else test/fixtures. Models: trained briefly (1 epoch)
 * on data before the range.
 *
 * Old and new side by side in one run: every backtest runs twice, each in its own process
 * (bench/backtest-variant.ts) on the same models, once with this checkout's sources ("after") and
 * once with the sources of BENCH_BEFORE (a git ref, default the commit before #14's throughput
 * work; exported with `git archive`), and the bench checks both decided exactly the same (a digest
 * of trades, equity, metrics, signals, calibration). Wall figures on this shared 2-core box mostly
 * measure the load: CPU ms per 1,000 candles (all threads of the process) and the load average are
 * reported beside them. `after` also carries where the time goes per stage (load, features,
 * inference, replay, report). Writes bench/results/backtest.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/index.ts';
import { createLogger, systemClock } from '../src/core/index.ts';
import type { ModelTimeframe } from '../src/core/index.ts';
import { trainModel } from '../src/models/index.ts';
import type { VariantJob, VariantResult } from './backtest-variant.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const shared = '/work/shared/data';
const useShared = existsSync(join(shared, 'binance/5m/BTCUSDT.csv'));
const dataDir = useShared ? shared : join(repo, 'test/fixtures/candles');
const from = useShared ? Date.UTC(2021, 1, 1) : Date.UTC(2021, 6, 1);
const to = Date.UTC(2021, 6, 17);
const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const timeframes: ModelTimeframe[] = ['5m', '1h'];
/** The last commit before #14's throughput work (stage timings, MLP input rows, worker probe). */
const BEFORE = process.env.BENCH_BEFORE ?? 'e6afa1c';
const logger = createLogger({ level: 'warn' });
/** The default architecture (mlp) and the old one (tft); BENCH_ARCHS=mlp runs one. */
const ARCHITECTURES = (['mlp', 'tft'] as const).filter(
  (a) => !process.env.BENCH_ARCHS || process.env.BENCH_ARCHS.split(',').includes(a),
);

const tmp = mkdtempSync(join(tmpdir(), 'qg-bench-bt-'));

/** The sources of `ref` in a scratch directory that resolves this checkout's node_modules. */
function exportRef(ref: string): string | null {
  try {
    const dir = join(tmp, `src-${ref.replace(/[^\w.-]/g, '_')}`);
    mkdirSync(dir);
    const tar = execFileSync('git', ['-C', repo, 'archive', ref, 'src', 'package.json', 'tsconfig.json'], {
      maxBuffer: 1 << 28,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
    return dir;
  } catch (e) {
    process.stderr.write(`cannot export ${ref} (${String(e)}): no "before" runs\n`);
    return null;
  }
}

function runVariant(job: VariantJob): VariantResult {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repo, 'bench/backtest-variant.ts'), JSON.stringify(job)],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) throw new Error(`backtest variant ${job.root} failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as VariantResult;
}

const perK = (cpu: number, n: number) => (1e6 * cpu) / n;
const rows: Array<Record<string, unknown>> = [];
process.stdout.write(
  '| architecture | code | candles | end to end candles/s (target 20,000) | replay candles/s | CPU ms / 1k candles, end to end | CPU ms / 1k, replay | same result | load (1 min) |\n|---|---|---:|---:|---:|---:|---:|---|---:|\n',
);
try {
  const beforeRoot = exportRef(BEFORE);
  for (const architecture of ARCHITECTURES) {
    const config = parseConfig({
      exchange: { name: 'binance', symbols },
      data: { dir: dataDir },
      strategy: { timeframes, executionTimeframe: '5m' },
      model: { architecture, epochs: 1, maxMinutes: 0.5 },
    });
    const models: Partial<Record<ModelTimeframe, string>> = {};
    for (const tf of timeframes) {
      const r = await trainModel({
        config,
        timeframe: tf,
        symbols,
        exchange: 'binance',
        dataDir,
        outDir: join(tmp, architecture, tf),
        to: from,
        clock: systemClock,
        logger,
      });
      models[tf] = r.modelDir;
    }
    const job = (root: string): VariantJob => ({
      root,
      architecture,
      models,
      dataDir,
      symbols,
      timeframes,
      from,
      to,
    });
    const variants: Array<[string, string]> = [['after', repo]];
    if (beforeRoot) variants.unshift([`before (${BEFORE})`, beforeRoot]);
    const results: Array<{ code: string; r: VariantResult }> = [];
    for (const [code, root] of variants) results.push({ code, r: runVariant(job(root)) });
    const ref = results.at(-1)!.r.digest;
    // Parts whose digest differs from the new code's (decisions must never; a report may gain fields).
    const differs = (d: VariantResult['digest']) => Object.keys(ref).filter((k) => d[k] !== ref[k]);
    for (const { code, r } of results) {
      const row = {
        architecture,
        code,
        data: useShared ? 'shared (3 symbols, 5m + 1h)' : 'fixtures',
        range: [new Date(from).toISOString(), new Date(to).toISOString()],
        candles: r.candles,
        endToEndSeconds: r.seconds,
        endToEndCandlesPerSecond: r.candles / r.seconds,
        replaySeconds: r.replaySeconds,
        precomputedCandlesPerSecond: r.candles / r.replaySeconds,
        cpuSeconds: r.cpuSeconds,
        endToEndCpuMsPer1kCandles: perK(r.cpuSeconds, r.candles),
        endToEndCandlesPerCpuSecond: r.candles / r.cpuSeconds,
        replayCpuMsPer1kCandles: perK(r.replayCpuSeconds, r.replayCpuCandles),
        precomputedCandlesPerCpuSecond: r.replayCpuCandles / r.replayCpuSeconds,
        stages: r.stages,
        trades: r.trades,
        cacheMisses: r.cacheMisses,
        differsFromAfter: differs(r.digest),
        sameDecisionsAsAfter: differs(r.digest).every((k) => k === 'calibration' || k === 'metrics'),
        digest: r.digest,
        inferenceWorkers: config.backtest.inferenceWorkers,
        // Throughput on a shared 2-core box depends on what else runs: the 1-minute load at its end.
        loadAverage1m: r.loadAverage1m,
      };
      rows.push(row);
      process.stdout.write(
        `| ${architecture} | ${code} | ${r.candles} | ${Math.round(row.endToEndCandlesPerSecond)} | ${Math.round(row.precomputedCandlesPerSecond)} | ${row.endToEndCpuMsPer1kCandles.toFixed(1)} | ${row.replayCpuMsPer1kCandles.toFixed(1)} | ${row.differsFromAfter.length === 0 ? 'yes' : `differs: ${row.differsFromAfter.join(', ')}`} | ${r.loadAverage1m.toFixed(1)} |\n`,
      );
    }
  }
  mkdirSync(new URL('./results', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/backtest.json', import.meta.url),
    `${JSON.stringify({ targets: { endToEnd: 20_000, precomputed: 200_000 }, before: BEFORE, loadAverageAtEnd: loadavg(), results: rows }, null, 2)}\n`,
  );
  if (rows.some((r) => r.sameDecisionsAsAfter === false)) {
    process.stderr.write('old and new code decided differently: see bench/results/backtest.json\n');
    process.exitCode = 1;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
