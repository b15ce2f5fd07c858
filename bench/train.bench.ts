/**
 * Training time of the 5m model on 60,000 candles (target < 10 minutes on 2 cores) and peak RSS.
 * The config's model settings (architecture, epochs, maxTrainSamples, maxMinutes) apply as they
 * would in a scheduled retrain.
 *
 *   npx tsx bench/train.bench.ts [--max-minutes N] [--epochs N]
 *
 * Reads /work/shared/data/binance/5m/BTCUSDT.csv when present, else the small fixture.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/index.ts';
import { systemClock } from '../src/core/clock.ts';
import { createLogger } from '../src/core/logger.ts';
import { trainModel } from '../src/models/index.ts';

const SHARED = '/work/shared/data';
const real = existsSync(join(SHARED, 'binance/5m/BTCUSDT.csv'));
const dataDir = real ? SHARED : 'test/fixtures/candles';
const CANDLES = 60_000;
const arg = (name: string): number | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
};

// The last CANDLES candles of the file: the open time CANDLES rows before its end.
const lines = readFileSync(join(dataDir, 'binance/5m/BTCUSDT.csv'), 'utf8').trim().split('\n').slice(1);
const first = lines[Math.max(0, lines.length - CANDLES)];
const from = Number(first.split(',')[0]);
const used = Math.min(CANDLES, lines.length);

const config = parseConfig({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
const maxMinutes = arg('--max-minutes') ?? 10;
const outDir = join(tmpdir(), `quantgate-bench-train-${process.pid}`);
const t0 = performance.now();
const r = await trainModel({
  config,
  timeframe: '5m',
  symbols: ['BTC/USDT'],
  exchange: 'binance',
  dataDir,
  outDir,
  from,
  maxMinutes,
  epochs: arg('--epochs'),
  clock: systemClock,
  logger: createLogger({ level: 'info' }),
});
const seconds = (performance.now() - t0) / 1000;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
rmSync(outDir, { recursive: true, force: true });

const result = {
  data: real ? 'shared' : 'fixtures',
  candles: used,
  architecture: config.model.architecture,
  samples: r.samples,
  epochsRun: r.training.epochs,
  bestEpoch: r.training.bestEpoch,
  stopReason: r.training.stopReason,
  maxMinutes,
  seconds,
  peakRssMb,
  targetSeconds: 600,
  met: seconds < 600,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/train.json', `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  [
    '| candles | architecture | train samples | epochs | stopped by | seconds | peak RSS | < 10 min |',
    '|---|---|---|---|---|---|---|---|',
    `| ${used} | ${result.architecture} | ${r.samples.train} | ${result.epochsRun} | ${result.stopReason} | ${seconds.toFixed(0)} | ${peakRssMb.toFixed(0)} MB | ${result.met ? 'yes' : 'NO'} |`,
    '',
  ].join('\n'),
);
