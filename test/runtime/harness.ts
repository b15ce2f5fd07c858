import type { ClosedCandle, Signal, Timeframe } from '../../src/core/index.ts';
import { SecretRedactor, silentLogger, timeframeMs } from '../../src/core/index.ts';
import type { Clock, Logger } from '../../src/core/index.ts';
import {
  CandleStream,
  CcxtBroker,
  createCcxtExchange,
  pointPrivateApi,
  readCandles,
  seriesId,
} from '../../src/exchange/index.ts';
import type { CcxtExchange } from '../../src/exchange/index.ts';
import { Runtime, StateFile, equityOf, liveExecutor } from '../../src/runtime/index.ts';
import type { OrderExecutor, RuntimePlugin } from '../../src/runtime/index.ts';
import type { PluginState } from '../../src/strategy/index.ts';
import type { SimServer } from '../../src/simulator/index.ts';
import { simUrls } from '../../src/simulator/index.ts';
import { fixtureCandles, waitFor } from '../simulator/helpers.ts';
import type { SimSeriesInput } from '../../src/simulator/index.ts';

export const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'] as const;
const STEMS: Record<string, string> = { 'BTC/USDT': 'BTCUSDT', 'ETH/USDT': 'ETHUSDT', 'SOL/USDT': 'SOLUSDT' };
export const FEE = 0.001;

export function runtimeSeries(): SimSeriesInput[] {
  return SYMBOLS.map((symbol) => ({
    exchange: 'binance',
    symbol,
    timeframe: '5m',
    candles: fixtureCandles('5m', STEMS[symbol]),
  }));
}

/**
 * A deterministic price rule standing in for the model plugin in runtime tests (the runtime
 * must not care what decides): long after three rising closes, TP/SL ±0.4 % / ∓0.3 %.
 */
export class RuleStrategy implements RuntimePlugin {
  readonly name = 'rule';
  private closes = new Map<string, number[]>();
  readonly signals: Signal[] = [];
  /**
   * When set, size = 0.2 % of the account's equity (else a fixed 200 quote): decisions then depend
   * on what every earlier candle did to the account, as the model plugin's sizing does — which is
   * what makes the order candles are decided in visible in quantities and cash.
   */
  equity: (() => number) | null = null;
  /** Decimals of an equity-based size (3 fits every fixture market's lot step; paper takes any). */
  sizeDecimals = 3;
  /**
   * 'long' (default): long after three rising closes. 'both': also short after three falling
   * closes, TP/SL mirrored (−0.4 % / +0.3 %) — the signals a perp runtime can carry out.
   */
  mode: 'long' | 'both' = 'long';
  async onCandle(c: ClosedCandle): Promise<Signal | null> {
    const list = this.closes.get(c.symbol) ?? [];
    list.push(c.close);
    if (list.length > 4) list.shift();
    this.closes.set(c.symbol, list);
    if (list.length < 4) return null;
    const rising = list[0] < list[1] && list[1] < list[2] && list[2] < list[3];
    const falling = this.mode === 'both' && list[0] > list[1] && list[1] > list[2] && list[2] > list[3];
    if (!rising && !falling) return null;
    const s: Signal = {
      exchange: c.exchange,
      symbol: c.symbol,
      timestamp: c.timestamp,
      action: 'open',
      direction: rising ? 'long' : 'short',
      confidence: 0.7,
      riskReward: 4 / 3,
      size: this.equity
        ? Number(((this.equity() * 0.002) / c.close).toFixed(this.sizeDecimals))
        : Number((200 / c.close).toFixed(3)),
      price: c.close,
      takeProfit: c.close * (rising ? 1.004 : 0.996),
      stopLoss: c.close * (rising ? 0.997 : 1.003),
      modelVersions: { '5m': 'rule' },
      reason: rising ? 'three rising closes' : 'three falling closes',
    };
    this.signals.push(s);
    return s;
  }
  snapshot(): PluginState {
    // Copies: a snapshot must not change when the strategy's memory does.
    return Object.fromEntries([...this.closes].map(([k, v]) => [k, [...v]]));
  }
  restore(state: PluginState): void {
    this.closes = new Map(Object.entries(state as Record<string, number[]>));
  }
  async dispose(): Promise<void> {}
}

export interface RuntimeRun {
  runtime: Runtime;
  stream: CandleStream;
  strategy: RuleStrategy;
  stop(): Promise<void>;
}

/** Runtime → CcxtBroker → the simulator's Binance order endpoints, candles via CandleStream. */
export async function startRuntime(
  sim: SimServer,
  stateDir: string,
  logger: Logger = silentLogger(),
  equitySizing = false,
): Promise<RuntimeRun> {
  const subscribed = () => sim.connections('binance').some((c) => c.subscriptions.size >= SYMBOLS.length);
  return startRuntimeAt(simUrls(sim, 'binance'), sim.clock, stateDir, logger, subscribed, equitySizing);
}

/** Same, given only the simulator's URLs and a clock (the child process of the restart test). */
export async function startRuntimeAt(
  urls: { rest: string; ws: string },
  clock: Clock,
  stateDir: string,
  logger: Logger = silentLogger(),
  subscribed: () => boolean = () => true,
  equitySizing = false,
): Promise<RuntimeRun> {
  const { runtime, strategy, ex } = await brokerRuntime(
    urls,
    clock,
    stateDir,
    logger,
    undefined,
    equitySizing,
  );
  await runtime.start();
  const stream = new CandleStream({
    exchange: 'binance',
    ccxt: ex,
    series: SYMBOLS.map((symbol) => ({ symbol, timeframe: '5m' as const })),
    clock,
    logger,
    warmupCandles: 300,
    closeGraceMs: 60_000,
    reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
    checkIntervalMs: 20,
  });
  stream.onCandle((c, info) => void runtime.onCandle(c, info));
  await stream.start();
  for (let i = 0; i < 2000 && !subscribed(); i++) await new Promise((r) => setTimeout(r, 5));
  return {
    runtime,
    stream,
    strategy,
    stop: async () => {
      await stream.stop();
      await runtime.stop();
    },
  };
}

/**
 * The runtime with the rule strategy and the live CcxtBroker on the simulator's order endpoints,
 * not started and with no stream (the caller feeds candles). `wrap` sees the executor first (the
 * crash tests stop a "process" around an order there).
 */
export async function brokerRuntime(
  urls: { rest: string; ws: string },
  clock: Clock,
  stateDir: string,
  logger: Logger = silentLogger(),
  wrap: (e: OrderExecutor) => OrderExecutor = (e) => e,
  equitySizing = false,
): Promise<{ runtime: Runtime; strategy: RuleStrategy; ex: CcxtExchange }> {
  const redactor = new SecretRedactor([]);
  const ex = await createCcxtExchange({
    exchange: 'binance',
    market: 'spot',
    urls,
    rateLimit: false,
    timeoutMs: 2000,
    logger,
    credentials: { apiKey: 'test-key-not-secret', secret: 'test-secret-not-secret' },
  });
  pointPrivateApi(ex, 'binance', urls.rest);
  const broker = new CcxtBroker({ exchange: ex, exchangeId: 'binance', logger, redactor, queryDelayMs: 20 });
  const strategy = new RuleStrategy();
  const runtime = new Runtime({
    exchange: 'binance',
    executionTimeframe: '5m',
    plugin: strategy,
    executor: wrap(liveExecutor(broker, FEE)),
    store: new StateFile(stateDir, redactor),
    clock,
    logger,
    startingCash: 100_000,
  });
  if (equitySizing) strategy.equity = () => equityOf(runtime.snapshot);
  return { runtime, strategy, ex };
}

/** Open time of the newest candle the simulator has closed. */
export function lastClosed(sim: SimServer): number {
  const tf = timeframeMs('5m');
  return Math.floor(sim.now / tf) * tf - tf;
}

export function processedAll(run: { runtime: Runtime }, t: number): boolean {
  const lp = run.runtime.snapshot.lastProcessed;
  return SYMBOLS.every(
    (symbol) => (lp[seriesId({ exchange: 'binance', symbol, timeframe: '5m' })] ?? -1) >= t,
  );
}

/** The fixture store's candles (`test/fixtures/candles`, weeks of history) as simulator series. */
export function storeSeries(
  dir: string,
  symbols: readonly string[],
  timeframes: readonly Timeframe[],
): SimSeriesInput[] {
  return symbols.flatMap((symbol) =>
    timeframes.map((timeframe) => {
      const found = readCandles(dir, 'binance', timeframe, symbol);
      if (!found) throw new Error(`no ${timeframe} candles for ${symbol} under ${dir}`);
      return { exchange: 'binance' as const, symbol, timeframe, candles: found.candles };
    }),
  );
}

/**
 * Advances the simulator one 5m candle at a time, `steps` times, each time waiting until the
 * runtime has processed that candle of every symbol; `after(i)` runs once step i is done.
 */
export async function stepCandles(
  sim: SimServer,
  run: { runtime: Runtime; stream: CandleStream },
  steps: number,
  after: (step: number) => void | Promise<void> = () => undefined,
): Promise<void> {
  for (let i = 0; i < steps; i++) {
    sim.advance();
    await waitFor(
      () => processedAll(run, lastClosed(sim)),
      10_000,
      `candle step ${i}: ${JSON.stringify(run.runtime.snapshot.lastProcessed)} want ${lastClosed(sim)} ${run.stream.statusLine()} ${JSON.stringify(run.runtime.snapshot.decisions)}`,
    );
    await run.runtime.idle();
    await after(i);
  }
}

/** Waits until one Binance connection of the simulator carries `streams` subscriptions (warm-up done). */
export async function waitSubscribed(sim: SimServer, streams: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    () => sim.connections('binance').some((c) => c.subscriptions.size >= streams),
    timeoutMs,
    `${streams} stream subscriptions`,
  );
}
