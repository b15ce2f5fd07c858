import type { Config } from '../../../src/config/index.ts';
import { createLogger } from '../../../src/core/index.ts';
import { CandleStream, createCcxtExchange, readCandles } from '../../../src/exchange/index.ts';
import { simUrls, startSimExchange } from '../../../src/simulator/index.ts';
import { waitFor } from '../../simulator/helpers.ts';
import { FIXTURE_STORE } from './data-groups.ts';
import { MINIMAL } from './probe.ts';
import type { ProbeGroup } from './probe.ts';

/** Stands for the local exchange of each probe run: replaced by its 127.0.0.1 address and port. */
export const SIM_HOST = 'sim.invalid';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Captures a logger's JSON lines. */
function capture(): { lines: Array<Record<string, unknown>>; logger: ReturnType<typeof createLogger> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    format: 'json',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { lines, logger };
}

/**
 * The live candle stream (CandleStream on a real ccxt exchange object) against the local
 * exchange serving fixture 5m BTC/USDT: after start-up its websocket goes silent for two candles
 * and the next two REST calls fail with 503. Observed: the warm-up candles fetched, the retry delays it
 * waited, whether the overdue candles were fetched by REST, and the errors seen.
 */
async function streamRun(c: Config): Promise<unknown> {
  const candles = readCandles(FIXTURE_STORE, 'binance', '5m', 'BTC/USDT')!.candles.slice(0, 2000);
  const sim = await startSimExchange({
    series: [{ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', candles }],
    startTime: candles[600].timestamp,
  });
  const { lines, logger } = capture();
  const real = simUrls(sim, 'binance');
  const at = (u: string | undefined): string | undefined => u?.replace(SIM_HOST, real.rest.split('/')[2]);
  const urls =
    c.exchange.urls?.rest && c.exchange.urls.ws
      ? { rest: at(c.exchange.urls.rest)!, ws: at(c.exchange.urls.ws)! }
      : undefined;
  const ex = await createCcxtExchange({
    exchange: c.exchange.name,
    market: c.exchange.market,
    urls,
    rateLimit: false,
    timeoutMs: 1000,
    logger,
  });
  const stream = new CandleStream({
    exchange: c.exchange.name,
    ccxt: ex,
    series: [{ symbol: 'BTC/USDT', timeframe: '5m' }],
    clock: sim.clock,
    logger,
    warmupCandles: c.exchange.warmupCandles,
    closeGraceMs: c.exchange.closeGraceMs,
    reconnect: c.exchange.reconnect,
    checkIntervalMs: 20,
  });
  let delivered = 0;
  stream.onCandle(() => void delivered++);
  const started = stream.start().then(
    () => 'started',
    (e: unknown) => `failed: ${e instanceof Error ? e.message.split(':')[0] : String(e)}`,
  );
  const outcome = await Promise.race([started, sleep(3000).then(() => 'not started in 3 s')]);
  if (outcome === 'started') {
    await waitFor(
      () => sim.connections('binance').some((k) => k.subscriptions.size >= 1),
      10_000,
      'subscription',
    ).catch(() => undefined);
    // The websocket goes quiet and the next two REST calls fail: the overdue candles must come
    // from REST once their close + closeGraceMs has passed, after two retries.
    sim.silence(4_000, 'binance');
    sim.restErrors(2, 503, 'binance');
    sim.advance();
    sim.advance();
    await sleep(1_500);
  }
  const stats = stream.stats();
  await stream.stop();
  await sim.close();
  return {
    outcome,
    warmup: stats.warmup,
    retryDelays: lines
      .filter((l) => typeof l.retryInMs === 'number')
      .map((l) => l.retryInMs)
      .slice(0, 2),
    backfilled: stats.backfilled > 0,
    errors: stats.restErrors > 2 || stats.watchErrors > 0,
  };
}

export const streamGroup: ProbeGroup = {
  base: {
    ...MINIMAL,
    exchange: {
      ...MINIMAL.exchange,
      warmupCandles: 50,
      urls: { rest: `http://${SIM_HOST}/api/v3`, ws: `ws://${SIM_HOST}/stream/ws` },
      reconnect: { initialDelayMs: 200, maxDelayMs: 30_000 },
    },
  },
  // Each run owns its local exchange, so they run side by side (most of a run is waiting).
  observe: (configs) => Promise.all(configs.map(streamRun)),
};
