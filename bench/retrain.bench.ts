/**
 * Full retrain cycles (data check → training and hold-out evaluation in the worker → gate →
 * promote) on the shared data, one runner per timeframe with the strategy on that timeframe
 * alone: seconds per cycle and per step, main-thread event-loop lag p50/p99 during each cycle,
 * and main-process RSS before/after N cycles of 1h (with --expose-gc, collected before each
 * reading). `npx tsx --expose-gc bench/retrain.bench.ts [cycles=10]`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { configSchema } from '../src/config/index.ts';
import { ManualClock } from '../src/core/clock.ts';
import { silentLogger } from '../src/core/logger.ts';
import { timeframeMs } from '../src/core/types.ts';
import type { ModelTimeframe } from '../src/core/types.ts';
import { loadSeries } from '../src/exchange/index.ts';
import { createCycleRunner } from '../src/retrain/index.ts';

const shared = '/work/shared/data';
const useShared = existsSync(join(shared, 'binance', '1h'));
const dataDir = useShared ? shared : new URL('../test/fixtures/candles', import.meta.url).pathname;
const symbols = ['BTC/USDT', 'ETH/USDT'];
const timeframes: ModelTimeframe[] = ['5m', '1h', '12h', '1d'];
const cycles = Number(process.argv[2] ?? 10);
const gc = (globalThis as { gc?: () => void }).gc;
const tmp = mkdtempSync(join(tmpdir(), 'qg-retrain-bench-'));

function configFor(tf: ModelTimeframe) {
  return configSchema.parse({
    exchange: { name: 'binance', symbols, warmupCandles: 300 },
    data: { dir: dataDir, modelsDir: join(tmp, 'models'), stateDir: join(tmp, 'state') },
    model: {
      architecture: 'mlp',
      window: 16,
      hidden: 16,
      epochs: 2,
      batchSize: 128,
      maxTrainSamples: 20_000,
    },
    strategy: { timeframes: [tf], executionTimeframe: tf, fusion: { weights: { [tf]: 1 } } },
    // The shared 1h files have holes every few weeks.
    retrain: { dataQuality: { maxGapRatio: 0.05 } },
    logging: { level: 'silent' },
  });
}

/** A clock standing just after the timeframe's newest stored candle (the files end at different dates). */
function clockFor(tf: ModelTimeframe): ManualClock {
  const last = Math.min(
    ...symbols.map((s) => loadSeries(dataDir, 'binance', tf, s).candles.at(-1)?.timestamp ?? 0),
  );
  return new ManualClock(last + timeframeMs(tf));
}

const rssMb = (): number => {
  gc?.();
  return process.memoryUsage().rss / 2 ** 20;
};
const heapMb = (): number => {
  gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external) / 2 ** 20;
};

interface Row {
  timeframe: ModelTimeframe;
  cycle: number;
  status: string;
  stage: string;
  seconds: number;
  timings: Record<string, number | undefined>;
  lagP50ms: number;
  lagP99ms: number;
  lagMaxMs: number;
  rssMb: number;
  /** Main isolate's heap + external (ArrayBuffers, tfjs) after gc: what a leak in our code grows. */
  heapMb: number;
  message: string;
}
const rows: Row[] = [];
let rssBefore: number | undefined;
let rssAfter: number | undefined;
let heapBefore: number | undefined;
let heapAfter: number | undefined;
try {
  const runners = new Map(
    timeframes.map((tf) => [
      tf,
      createCycleRunner({
        config: configFor(tf),
        clock: clockFor(tf),
        logger: silentLogger(),
        alerts: { raise: () => undefined },
      }),
    ]),
  );
  const run = async (tf: ModelTimeframe, cycle: number): Promise<void> => {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const o = await runners.get(tf)!.run(tf, `bench cycle ${cycle}`);
    h.disable();
    rows.push({
      timeframe: tf,
      cycle,
      status: o.status,
      stage: o.stage,
      seconds: o.seconds,
      timings: o.timings,
      lagP50ms: h.percentile(50) / 1e6,
      lagP99ms: h.percentile(99) / 1e6,
      lagMaxMs: h.max / 1e6,
      rssMb: rssMb(),
      heapMb: heapMb(),
      message: o.status === 'promoted' ? '' : o.message.slice(0, 200),
    });
    process.stderr.write(`${tf} cycle ${cycle}: ${o.status} at ${o.stage} in ${o.seconds.toFixed(1)} s\n`);
  };
  for (const tf of ['5m', '12h', '1d'] as const) await run(tf, 0);
  rssBefore = rssMb();
  heapBefore = heapMb();
  for (let c = 0; c < cycles; c++) await run('1h', c);
  rssAfter = rssMb();
  heapAfter = heapMb();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const result = {
  data: useShared ? shared : 'test/fixtures',
  symbols,
  model: 'mlp window 16 hidden 16, 2 epochs, ≤ 20k training samples',
  gcExposed: gc !== undefined,
  cycles1h: cycles,
  rssBeforeMb: rssBefore ?? null,
  rssAfterMb: rssAfter ?? null,
  heapBeforeMb: heapBefore ?? null,
  heapAfterMb: heapAfter ?? null,
  rows,
};
mkdirSync(new URL('results', import.meta.url), { recursive: true });
writeFileSync(new URL('results/retrain.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
const f1 = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(1));
process.stdout.write(
  '| tf | cycle | status | s total | s train (worker) | s evaluate (worker) | lag p50 ms | lag p99 ms | lag max ms | RSS MB | heap+external MB |\n|---|---|---|---|---|---|---|---|---|---|---|\n',
);
for (const r of rows)
  process.stdout.write(
    `| ${r.timeframe} | ${r.cycle} | ${r.status} at ${r.stage} | ${f1(r.seconds)} | ${f1(r.timings.train)} | ${f1(r.timings.evaluate)} | ${f1(r.lagP50ms)} | ${f1(r.lagP99ms)} | ${f1(r.lagMaxMs)} | ${r.rssMb.toFixed(0)} | ${r.heapMb.toFixed(1)} |\n`,
  );
process.stdout.write(
  `After gc${gc ? '' : ' (NOT exposed, run with --expose-gc)'}: RSS ${rssBefore?.toFixed(0)} MB before, ${rssAfter?.toFixed(0)} MB after ${cycles} cycles of 1h; main heap + external ${heapBefore?.toFixed(1)} → ${heapAfter?.toFixed(1)} MB (RSS includes the freed worker threads' malloc arenas, which glibc keeps)\n`,
);
