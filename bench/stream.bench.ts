/**
 * Candle stream throughput and memory.
 *
 * 1. Processing path: Binance kline frames (as ccxt hands them over after JSON.parse) through
 *    CandleStream's frame check, closed-candle logic and dedupe into ring buffers — 1,000,000
 *    candles, RSS after 10,000 vs after 1,000,000.
 * 2. Full path: the local fake exchange → real sockets → real ccxt.pro → CandleStream → buffers,
 *    for Binance and Hyperliquid, candles counted when delivered closed.
 *
 * Reads /work/shared/data (../shared/data) when present, else the small test fixtures.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Candle, ExchangeId, Timeframe } from '../src/core/index.ts';
import { createLogger, silentLogger, timeframeMs } from '../src/core/index.ts';
import { startSimExchange, simUrls } from '../src/simulator/index.ts';
import type { SimSeriesInput } from '../src/simulator/index.ts';
import { CandleBufferSet, CandleStream, createCcxtExchange, readCandleFile } from '../src/exchange/index.ts';
import { fileURLToPath } from 'node:url';

const SHARED = new URL('../../shared/data/binance/', import.meta.url);
const FIXTURES = new URL('../test/fixtures/messages/candles/', import.meta.url);
const useShared = existsSync(new URL('5m/BTCUSDT.csv', SHARED));
const STEMS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
const START = Date.UTC(2021, 0, 2);

function load(tf: Timeframe, stem: string): Candle[] {
  return readCandleFile(fileURLToPath(new URL(`${tf}/${stem}.csv`, useShared ? SHARED : FIXTURES))).candles;
}

const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const externalMb = () => process.memoryUsage().external / 2 ** 20;
// Live heap after a full collection: tells a leak (grows) from V8 sizing its spaces (RSS only).
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const liveHeapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const heapTotalMb = () => process.memoryUsage().heapTotal / 2 ** 20;

async function processingPath(total: number) {
  const series = STEMS.map((stem) => ({
    stem,
    symbol: `${stem.slice(0, -4)}/USDT`,
    candles: load('5m', stem),
  }));
  const sim = await startSimExchange({
    series: series.map((s) => ({
      exchange: 'binance',
      symbol: s.symbol,
      timeframe: '5m',
      candles: s.candles.slice(0, 10),
    })),
    startTime: series[0].candles[9].timestamp,
  });
  const ccxt = await createCcxtExchange({
    exchange: 'binance',
    market: 'spot',
    urls: simUrls(sim, 'binance'),
    rateLimit: false,
  });
  const stream = new CandleStream({
    exchange: 'binance',
    ccxt,
    series: series.map((s) => ({ symbol: s.symbol, timeframe: '5m' as const })),
    clock: { now: () => 0 }, // nothing is ever overdue: this measures the socket path only
    logger: silentLogger(),
    warmupCandles: 0,
    checkIntervalMs: 3_600_000,
  });
  const buffers = new CandleBufferSet(2000);
  let delivered = 0;
  stream.onCandle((c) => {
    buffers.append(c);
    delivered++;
  });
  await stream.start();
  while (Object.keys(ccxt.clients).length === 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  const client = Object.values(ccxt.clients)[0];

  const tf = timeframeMs('5m');
  const t0 = Date.UTC(2030, 0, 1);
  const frame = (id: string, c: Candle, t: number, x: boolean, f: number) => ({
    e: 'kline',
    E: t,
    s: id,
    k: {
      t,
      T: t + tf - 1,
      s: id,
      i: '5m',
      f: 1,
      L: 2,
      o: String(c.open),
      c: String(x ? c.close : c.open),
      h: String(x ? c.high : c.open),
      l: String(x ? c.low : c.open),
      v: String(c.volume * f),
      n: 10,
      x,
      q: '0',
      V: '0',
      Q: '0',
      B: '0',
    },
  });
  const CHECKPOINTS = [10_000, 100_000, 500_000, 1_000_000, 2_000_000, total].filter(
    (n, i, a) => n <= total && a.indexOf(n) === i,
  );
  const memory: Array<{
    candles: number;
    rssMb: number;
    /** RSS right after the full collection: garbage not yet collected is not memory the run keeps. */
    rssAfterGcMb: number;
    liveHeapMb: number;
    heapTotalMb: number;
    externalMb: number;
    atSecond: number;
  }> = [];
  const sample = (candles: number, atSecond: number) => {
    const rss = rssMb();
    const live = liveHeapMb();
    return {
      candles,
      rssMb: rss,
      rssAfterGcMb: rssMb(),
      liveHeapMb: live,
      heapTotalMb: heapTotalMb(),
      externalMb: externalMb(),
      atSecond,
    };
  };
  let next = 0;
  let paused = 0;
  const ids = series.map((s) => s.stem);
  const started = performance.now();
  let frames = 0;
  for (let i = 0; delivered < total; i++) {
    const t = t0 + i * tf;
    for (let s = 0; s < series.length && delivered < total; s++) {
      const src = series[s].candles[i % series[s].candles.length];
      stream.onFrame(client, frame(ids[s], src, t, false, 0.5));
      stream.onFrame(client, frame(ids[s], src, t, true, 1));
      frames += 2;
    }
    // Let timers and I/O run now and then, as a live process would between socket reads.
    if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
    if (next < CHECKPOINTS.length && delivered >= CHECKPOINTS[next]) {
      const t = (performance.now() - started) / 1000;
      memory.push(sample(delivered, t));
      paused += (performance.now() - started) / 1000 - t; // gc() time is not stream time
      next++;
    }
  }
  const seconds = (performance.now() - started) / 1000 - paused;
  if (memory.length < CHECKPOINTS.length) memory.push(sample(delivered, seconds));
  const first = memory[0];
  const last = memory[memory.length - 1];
  const st = stream.stats();
  await stream.stop();
  await sim.close();
  return {
    candles: delivered,
    frames,
    seconds,
    candlesPerSecond: delivered / seconds,
    framesPerSecond: frames / seconds,
    memory,
    rssGrowthMb: last.rssMb - first.rssMb,
    rssGrowthAfter100kMb: last.rssMb - (memory[1] ?? first).rssMb,
    rssAfterGcGrowthMb: last.rssAfterGcMb - first.rssAfterGcMb,
    externalGrowthMb: last.externalMb - first.externalMb,
    liveHeapGrowthMb: last.liveHeapMb - first.liveHeapMb,
    malformed: st.malformed,
    duplicates: st.duplicatesDropped,
  };
}

async function fullPath(maxSteps: number) {
  const exchanges: ExchangeId[] = ['binance', 'hyperliquid'];
  const series: SimSeriesInput[] = [];
  for (const exchange of exchanges)
    for (const stem of STEMS) {
      const base = stem.slice(0, -4);
      const symbol = exchange === 'binance' ? `${base}/USDT` : `${base}/USDC:USDC`;
      series.push({ exchange, symbol, timeframe: '5m', candles: load('5m', stem) });
    }
  const firstOpen = Math.max(...series.map((s) => s.candles[0].timestamp));
  const startTime = useShared ? firstOpen + 20 * 300_000 : START;
  // No 24-hour disconnects here (the tests cover them): this measures the steady socket path.
  const sim = await startSimExchange({
    series,
    startTime,
    updatesPerCandle: 2,
    maxConnectionAgeMs: Number.MAX_SAFE_INTEGER,
  });
  const logger = process.env.QG_LOG ? createLogger({ level: 'warn' }) : silentLogger();
  const buffers = new CandleBufferSet(2000);
  let delivered = 0;
  const streams: CandleStream[] = [];
  for (const exchange of exchanges) {
    const ccxt = await createCcxtExchange({
      exchange,
      market: exchange === 'binance' ? 'spot' : 'swap',
      urls: simUrls(sim, exchange),
      rateLimit: false,
      logger,
    });
    const stream = new CandleStream({
      exchange,
      ccxt,
      series: series.filter((s) => s.exchange === exchange),
      clock: sim.clock,
      logger,
      warmupCandles: 10,
      // Far beyond the pacing lag below: this measures the socket path, not REST backfills.
      closeGraceMs: 7 * 86_400_000,
      checkIntervalMs: 1000,
    });
    stream.onCandle((c, info) => {
      buffers.append(c);
      if (!info.warmup) delivered++;
    });
    await stream.start();
    streams.push(stream);
  }
  while (sim.connections().filter((c) => c.subscriptions.size > 0).length < 2)
    await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  const available =
    Math.min(...series.map((s) => s.candles.filter((c) => c.timestamp > startTime).length)) - 2;
  const steps = Math.min(maxSteps, available);
  const started = performance.now();
  for (let i = 0; i < steps; i++) {
    sim.advance();
    // Keep at most ~20 steps in flight so socket buffers stay bounded.
    if (i % 10 === 9) while (delivered < (i - 20) * series.length) await new Promise((r) => setImmediate(r));
  }
  const expected = steps * series.length;
  while (delivered < expected) await new Promise((r) => setTimeout(r, 1));
  const seconds = (performance.now() - started) / 1000;
  const rest = streams.reduce((a, s) => a + s.stats().backfilled, 0);
  const reconnects = streams.reduce((a, s) => a + s.stats().reconnects, 0);
  for (const s of streams) await s.stop();
  await sim.close();
  return {
    series: series.length,
    steps,
    candles: delivered,
    seconds,
    candlesPerSecond: delivered / seconds,
    wsFrames: sim.stats.wsFramesSent,
    deliveredByRest: rest,
    reconnects,
  };
}

const processing = await processingPath(Number(process.env.QG_N ?? 1_000_000));
const full = await fullPath(Number(process.env.QG_STEPS ?? (useShared ? 5_000 : 400)));
const result = {
  data: useShared ? '../shared/data' : 'test/fixtures',
  processing,
  full,
  node: process.version,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/stream.json', import.meta.url), JSON.stringify(result, null, 2));
const f = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
process.stdout.write(
  [
    `| path | candles | seconds | candles/s | notes |`,
    `|---|---:|---:|---:|---|`,
    `| processing: frames → CandleStream → ring buffers | ${f(processing.candles)} | ${f(processing.seconds, 2)} | ${f(processing.candlesPerSecond)} | ${f(processing.framesPerSecond)} frames/s |`,
    `| full: fake exchange → sockets → ccxt.pro → CandleStream → buffers | ${f(full.candles)} | ${f(full.seconds, 2)} | ${f(full.candlesPerSecond)} | ${full.series} series × ${full.steps} steps, ${f(full.wsFrames)} ws frames, ${full.deliveredByRest} via REST, ${full.reconnects} reconnects |`,
    '',
    '| candles processed | RSS MB | RSS after gc MB | V8 heap committed MB | live heap MB (after gc) | external MB |',
    '|---:|---:|---:|---:|---:|---:|',
    ...processing.memory.map(
      (m) =>
        `| ${f(m.candles)} | ${f(m.rssMb, 1)} | ${f(m.rssAfterGcMb, 1)} | ${f(m.heapTotalMb, 1)} | ${f(m.liveHeapMb, 1)} | ${f(m.externalMb, 1)} |`,
    ),
    `RSS growth 10k → ${f(processing.candles)}: ${f(processing.rssGrowthMb, 1)} MB (after gc ${f(processing.rssAfterGcGrowthMb, 1)} MB; target ≤ 10)`,
    '',
  ].join('\n'),
);
