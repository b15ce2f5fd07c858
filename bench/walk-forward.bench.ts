/**
 * Where a walk-forward's time goes, per stage: reading candles + features + labels ("data"),
 * network training per timeframe, calibration, saving, and inference + replay.
 *
 *   npx tsx bench/walk-forward.bench.ts [--from 2021-06-01] [--to 2021-06-22] [--config FILE]
 *   npx tsx bench/walk-forward.bench.ts --log OUT/stderr.log --result OUT/result.json
 *
 * The first form runs a reduced walk-forward (BTC/ETH/SOL, default 3 weekly windows) through the
 * CLI with an empty model cache and times it; `--config` runs it with another config (e.g. the old
 * defaults: architecture tft, model.warmStart.enabled false, backtest.retrainEvery {}). The second
 * form summarises a finished run's log (the reference walk-forward: scripts/walk-forward-shared.sh
 * OUT 2> OUT/stderr.log). Both write bench/results/walk-forward.json (one entry per run, kept).
 * Stage seconds are wall time on threads that run side by side, so they add up to more than the
 * run's wall time; the load average is recorded beside them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

interface Stages {
  data: number;
  train: number;
  calibrate: number;
  save: number;
}
interface TfSummary extends Stages {
  trainings: number;
  warm: number;
  scratch: number;
}

function summarise(log: string): {
  perTimeframe: Record<string, TfSummary>;
  windows: number;
  windowSeconds: number[];
} {
  const perTimeframe: Record<string, TfSummary> = {};
  const windowSeconds: number[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (j.msg === 'walk-forward: window model trained') {
      const tf = String(j.timeframe);
      const st = j.stages as Stages;
      const t = (perTimeframe[tf] ??= {
        trainings: 0,
        warm: 0,
        scratch: 0,
        data: 0,
        train: 0,
        calibrate: 0,
        save: 0,
      });
      t.trainings++;
      if (j.warmStart === true) t.warm++;
      else t.scratch++;
      for (const k of ['data', 'train', 'calibrate', 'save'] as const) t[k] += st[k];
    } else if (j.msg === 'walk-forward: window done') windowSeconds.push(Number(j.seconds));
  }
  return { perTimeframe, windows: windowSeconds.length, windowSeconds };
}

const load0 = loadavg();
let entry: Record<string, unknown>;
const logFile = arg('--log');
if (logFile !== undefined) {
  const resultFile = arg('--result');
  const result =
    resultFile && existsSync(resultFile)
      ? (JSON.parse(readFileSync(resultFile, 'utf8')) as Record<string, unknown>)
      : null;
  entry = {
    kind: 'summary of a finished run',
    log: logFile,
    ...summarise(readFileSync(logFile, 'utf8')),
    runSeconds: result?.seconds ?? null,
    inferenceAndReplaySeconds: result?.replaySeconds ?? null,
  };
} else {
  const from = arg('--from') ?? '2021-06-01';
  const to = arg('--to') ?? '2021-06-22';
  const dir = mkdtempSync(join(tmpdir(), 'qg-wf-bench-'));
  const args = [
    'bin/quantgate.js',
    'backtest',
    '--data-dir',
    process.env.QG_DATA_DIR ?? '../shared/data',
    '--symbols',
    'BTC/USDT,ETH/USDT,SOL/USDT',
    '--from',
    from,
    '--to',
    to,
    '--walk-forward',
    '--json',
    '--model-cache',
    join(dir, 'cache'),
    ...(arg('--config') ? ['--config', arg('--config')!] : []),
  ];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`walk-forward failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const result = JSON.parse(r.stdout) as Record<string, unknown>;
  entry = {
    kind: 'reduced walk-forward, empty cache',
    command: `node ${args.join(' ')}`,
    config: arg('--config') ?? 'config/default.yaml',
    wallSeconds: wall,
    ...summarise(r.stderr),
    inferenceAndReplaySeconds: result.replaySeconds,
    candles: result.candles ?? null,
  };
  rmSync(dir, { recursive: true, force: true });
}
entry.loadAverage = { start: load0, end: loadavg() };
entry.at = new Date().toISOString();
mkdirSync('bench/results', { recursive: true });
const file = 'bench/results/walk-forward.json';
const runs = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { runs: unknown[] }).runs : [];
writeFileSync(file, `${JSON.stringify({ runs: [...runs, entry] }, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
