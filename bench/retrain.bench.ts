/**
 * Retrain in a worker thread: main-thread event-loop lag p50/p99 during each cycle, seconds per
 * cycle, RSS of the main process before/after the cycles. `npx tsx bench/retrain.bench.ts [cycles]`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { configSchema } from '../src/config/index.ts';
import { silentLogger } from '../src/core/logger.ts';
import type { ModelTimeframe } from '../src/core/types.ts';
import { trainInWorker } from '../src/retrain/index.ts';

const shared = '/work/shared/data';
const useShared = existsSync(join(shared, 'binance', '1h'));
const dataDir = useShared ? shared : new URL('../test/fixtures/candles', import.meta.url).pathname;
const timeframes: ModelTimeframe[] = useShared ? ['1h', '5m'] : ['5m'];
const cycles = Number(process.argv[2] ?? 3);
const tmp = mkdtempSync(join(tmpdir(), 'qg-retrain-bench-'));
const config = configSchema.parse({
  exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] },
  data: { dir: dataDir, modelsDir: join(tmp, 'models') },
  model: { architecture: 'mlp', window: 16, hidden: 16, epochs: 2, batchSize: 128, maxTrainSamples: 20_000 },
  logging: { level: 'silent' },
});
// Whole history; model.maxTrainSamples keeps the most recent training samples.
const from = undefined;

interface Row {
  timeframe: string;
  cycle: number;
  seconds: number;
  lagP50ms: number;
  lagP99ms: number;
  ok: boolean;
}
const rows: Row[] = [];
const rssBefore = process.memoryUsage().rss;
try {
  for (const tf of timeframes)
    for (let c = 0; c < cycles; c++) {
      const h = monitorEventLoopDelay({ resolution: 5 });
      h.enable();
      const o = await trainInWorker(
        {
          config,
          timeframe: tf,
          symbols: ['BTC/USDT', 'ETH/USDT'],
          exchange: 'binance',
          dataDir,
          outDir: join(tmp, tf, String(c)),
          from,
        },
        { memoryMb: 2048, timeoutMs: 20 * 60_000, logger: silentLogger() },
      ).outcome;
      h.disable();
      rows.push({
        timeframe: tf,
        cycle: c,
        seconds: o.seconds,
        lagP50ms: h.percentile(50) / 1e6,
        lagP99ms: h.percentile(99) / 1e6,
        ok: o.ok,
      });
      if (!o.ok) process.stderr.write(`${o.failure}: ${o.message}\n`);
    }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const rssAfter = process.memoryUsage().rss;
const result = {
  data: useShared ? shared : 'test/fixtures',
  cycles,
  rows,
  rssBeforeMb: rssBefore / 2 ** 20,
  rssAfterMb: rssAfter / 2 ** 20,
};
mkdirSync(new URL('results', import.meta.url), { recursive: true });
writeFileSync(new URL('results/retrain.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write('| tf | cycle | ok | seconds | lag p50 ms | lag p99 ms |\n|---|---|---|---|---|---|\n');
for (const r of rows)
  process.stdout.write(
    `| ${r.timeframe} | ${r.cycle} | ${r.ok} | ${r.seconds.toFixed(1)} | ${r.lagP50ms.toFixed(1)} | ${r.lagP99ms.toFixed(1)} |\n`,
  );
process.stdout.write(
  `RSS main: ${result.rssBeforeMb.toFixed(0)} MB before, ${result.rssAfterMb.toFixed(0)} MB after ${rows.length} cycles\n`,
);
