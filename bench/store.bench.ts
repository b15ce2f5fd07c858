/**
 * CSV store read speed: validated parse of the largest 5m file (65k rows in /work/shared/data,
 * else the 12k-row fixture), plus 1h → 1d resampling. Median of several runs, after one warm-up.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readCandles, resampleCandles } from '../src/exchange/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const shared = '/work/shared/data';
const dataDir = existsSync(join(shared, 'binance', '5m', 'BTCUSDT.csv'))
  ? shared
  : join(root, 'test/fixtures/candles');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => number, runs = 7): { ms: number; n: number } {
  let n = fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    n = fn();
    ts.push(performance.now() - t0);
  }
  return { ms: median(ts), n };
}

const read5m = time(() => readCandles(dataDir, 'binance', '5m', 'BTC/USDT')!.candles.length);
const read1h = time(() => readCandles(dataDir, 'binance', '1h', 'BTC/USDT')!.candles.length);
const hours = readCandles(dataDir, 'binance', '1h', 'BTC/USDT')!.candles;
const resample = time(() => resampleCandles(hours, '1h', '1d').candles.length);

const rows = [
  { what: 'read + validate 5m BTCUSDT', rows: read5m.n, ms: read5m.ms },
  { what: 'read + validate 1h BTCUSDT', rows: read1h.n, ms: read1h.ms },
  { what: 'resample 1h → 1d', rows: resample.n, ms: resample.ms },
];
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/store.json'), JSON.stringify({ dataDir, rows }, null, 2));
process.stdout.write(`data: ${dataDir}\n\n| step | rows | median ms |\n|---|---|---|\n`);
for (const r of rows) process.stdout.write(`| ${r.what} | ${r.rows} | ${r.ms.toFixed(1)} |\n`);
