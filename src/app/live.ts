import type { Config } from '../config/index.ts';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { SecretRedactor } from '../core/secrets.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import type { ModelTimeframe } from '../core/types.ts';
import {
  CandleStream,
  CcxtBroker,
  createCcxtExchange,
  credentialsFromEnv,
  pointPrivateApi,
} from '../exchange/index.ts';
import type { CcxtCredentials, CcxtExchange } from '../exchange/index.ts';
import { activeVersionDir, initBackend, loadForecaster } from '../models/index.ts';
import type { Forecaster } from '../models/index.ts';
import { MonitoredModelSet, startRetrainService } from '../retrain/index.ts';
import type { RetrainService, RetrainServiceOptions } from '../retrain/index.ts';
import { DecisionRecorder, QuantileStrategy, warmupShortfalls } from '../strategy/index.ts';
import { controlTokenFromEnv, startControlServer } from '../control/index.ts';
import type { ControlServer, ControlTarget, ReloadOutcome } from '../control/index.ts';
import { registryPath } from '../retrain/index.ts';
import { PaperExecutor, Runtime, StateFile, liveExecutor, warmupCandlesFor } from '../runtime/index.ts';
import type { OrderExecutor, TradeRecord } from '../runtime/index.ts';
import { RiskManager } from '../runtime/index.ts';

export interface LiveOptions {
  /** Real orders through CcxtBroker (keys from the environment unless `credentials` is given). */
  readonly live: boolean;
  readonly logger: Logger;
  readonly redactor: SecretRedactor;
  readonly clock?: Clock;
  /** Point ccxt at another server (the demo's local exchange). */
  readonly urls?: { readonly rest: string; readonly ws: string };
  readonly credentials?: CcxtCredentials;
  /** Models to use instead of the ACTIVE versions under `data.modelsDir`. */
  readonly models?: Partial<Record<ModelTimeframe, Forecaster>>;
  readonly restoreBackup?: boolean;
  readonly onTrade?: (t: TradeRecord) => void;
  /** Control API token (default: QUANTGATE_CONTROL_TOKEN); used only when control.enabled. */
  readonly controlToken?: string;
  /** Stream tuning for fast replays (demo, tests). */
  readonly stream?: { readonly checkIntervalMs?: number; readonly keepAliveMs?: number };
  /**
   * The retrain service: the schedule (when retrain.enabled) and the hot swap of ACTIVE versions
   * changed by a retrain or by `quantgate models`. false = neither.
   */
  readonly retrain?: false | Partial<Omit<RetrainServiceOptions, 'config' | 'models' | 'clock' | 'logger'>>;
}

export interface LiveHandle {
  readonly runtime: Runtime;
  readonly stream: CandleStream;
  readonly mode: 'paper' | 'live';
  readonly retrain: RetrainService | null;
  /** The control API and status page (control.enabled), or null. */
  readonly control: ControlServer | null;
  /** The plugin's decision counters by reason (taken and not taken). */
  reasons(): Record<string, number>;
  /** The plugin's most recent decisions with their details. */
  lastDecisions(): ReadonlyArray<{ symbol: string; reason: string; detail: string }>;
  /** Flushes state, frees models, closes sockets. */
  stop(): Promise<void>;
}

async function loadModels(config: Config, log: Logger): Promise<Partial<Record<ModelTimeframe, Forecaster>>> {
  const out: Partial<Record<ModelTimeframe, Forecaster>> = {};
  for (const tf of config.strategy.timeframes) {
    const dir = activeVersionDir(config.data.modelsDir, tf);
    if (dir === null) {
      log.warn(
        { timeframe: tf, modelsDir: config.data.modelsDir },
        'no model for this timeframe: it stays neutral',
      );
      continue;
    }
    out[tf] = await loadForecaster(dir, { timeframe: tf });
    log.info({ timeframe: tf, version: out[tf]!.version }, 'model loaded');
  }
  return out;
}

/** One REST round trip before anything else, so a missing network is one clear error. */
async function reachExchange(ex: CcxtExchange, config: Config): Promise<void> {
  try {
    await ex.loadMarkets();
  } catch (e) {
    throw new QuantgateError(
      'NETWORK',
      `cannot reach ${config.exchange.name} (${describeError(e).slice(0, 200)}). ` +
        '`quantgate live` needs network access to the exchange; for an offline run use `npx quantgate demo`',
    );
  }
}

/**
 * Starts the live runtime: paper by default on the exchange's public streams, real orders with
 * `live: true`. Keys are checked before any network access.
 */
export async function startLive(config: Config, opts: LiveOptions): Promise<LiveHandle> {
  const log = opts.logger;
  const clock = opts.clock ?? systemClock;
  const exchange = config.exchange.name;
  const credentials = opts.live ? (opts.credentials ?? credentialsFromEnv(exchange)) : undefined;
  // Like the keys, checked before any network access: enabled without a token refuses to start.
  const controlToken = config.control.enabled ? (opts.controlToken ?? controlTokenFromEnv()) : undefined;
  const urls =
    opts.urls ??
    (config.exchange.urls?.rest && config.exchange.urls.ws
      ? { rest: config.exchange.urls.rest, ws: config.exchange.urls.ws }
      : undefined);
  const ex = await createCcxtExchange({
    exchange,
    market: config.exchange.market,
    urls,
    credentials,
    rateLimit: urls === undefined,
    keepAliveMs: opts.stream?.keepAliveMs,
    logger: log,
  });
  if (urls) pointPrivateApi(ex, exchange, urls.rest);
  await reachExchange(ex, config);

  const store = new StateFile(config.data.stateDir, opts.redactor);
  let startingCash = config.paper.startingBalance;
  let executor: OrderExecutor;
  const ref: { runtime?: Runtime; control?: ControlServer } = {};
  if (opts.live) {
    const broker = new CcxtBroker({
      exchange: ex,
      exchangeId: exchange,
      logger: log,
      redactor: opts.redactor,
    });
    const saved = store.read();
    const quote = config.paper.quoteCurrency;
    const rep = await broker.reconcile(
      {
        openOrderIds: saved?.pending.map((p) => p.clientOrderId) ?? [],
        balances: saved ? { [quote]: saved.cash } : {},
      },
      config.exchange.symbols,
    );
    startingCash = rep.balances[quote]?.free ?? 0;
    executor = liveExecutor(broker, config.exchange.takerFee);
  } else {
    executor = new PaperExecutor(config.exchange.takerFee, config.paper.slippageBps);
  }

  await initBackend({ logger: log });
  const models = new MonitoredModelSet(log, opts.models ?? (await loadModels(config, log)));
  const retrain =
    opts.retrain === false
      ? null
      : startRetrainService({ config, models, clock, logger: log, ...(opts.retrain ?? {}) });
  const decisions = new DecisionRecorder(log, {
    summaryEveryMs: config.logging.decisionSummaryMinutes * 60_000,
  });
  const plugin = new QuantileStrategy(config);
  const warmup = warmupCandlesFor(config.exchange.warmupCandles, plugin.warmup, log).candles;
  // What is still short after raising it to the strategy's declared need (e.g. a per-timeframe model window).
  const raised = { ...config, exchange: { ...config.exchange, warmupCandles: warmup } };
  for (const line of warmupShortfalls(raised)) log.warn(line);
  const stream = new CandleStream({
    exchange,
    ccxt: ex,
    series: config.exchange.symbols.flatMap((symbol) =>
      config.strategy.timeframes.map((timeframe) => ({ symbol, timeframe })),
    ),
    clock,
    logger: log,
    warmupCandles: warmup,
    closeGraceMs: config.exchange.closeGraceMs,
    reconnect: config.exchange.reconnect,
    checkIntervalMs: opts.stream?.checkIntervalMs,
  });
  const runtime = new Runtime({
    exchange,
    executionTimeframe: config.strategy.executionTimeframe,
    plugin,
    // The runtime calls the plugin's init (with its account) in start, before restoring its state.
    context: { config, logger: log, models, decisions },
    executor,
    store,
    clock,
    logger: log,
    startingCash,
    // Day boundaries come from candle time (first update), so live and backtest start the same way.
    risk: new RiskManager(config.risk, log, startingCash, 0),
    batchWaitMs: config.strategy.batchWaitMs,
    // The monitor sees the forecast made on this candle, before the next candle is processed.
    afterCandle: (c, info): Promise<void> | undefined => {
      if (!info.warmup) ref.control?.notify();
      return retrain?.afterCandle(c, ref.runtime?.status().equity ?? startingCash, info.warmup);
    },
    onTrade: (t) => {
      ref.control?.notify();
      retrain?.afterTrade(t);
      opts.onTrade?.(t);
    },
    streamStatus: () => stream.statusLine(),
    // A state write that fails (full or read-only disk) reaches the registry and the webhook.
    alert: (a) => retrain?.alerts.raise(a),
    // Shorts where the exchange's market is a perpetual/future (ccxt market type), never on spot.
    canShort: (symbol) => marketCanShort(ex, symbol),
    // Paper funding from config (the backtest's rate); real orders pay what the exchange charges.
    fundingRatePer8h: !opts.live && config.exchange.market === 'swap' ? config.backtest.fundingRatePer8h : 0,
  });
  ref.runtime = runtime;

  try {
    await runtime.start(opts.restoreBackup === true);
  } catch (e) {
    // A start that fails (corrupt state: exit 6, a full disk) stops what it started, so the
    // process exits with its one-line error instead of hanging on the schedule or the models.
    await retrain?.stop().catch(() => undefined);
    await plugin.dispose().catch(() => undefined);
    throw e;
  }
  let ordered: Promise<void> = Promise.resolve();
  stream.onCandle((c, info) => {
    // The pointer check runs first, so a changed model is staged before this candle reaches the strategy.
    // Queued without waiting for the candles before it (the runtime runs `afterCandle` in order), so
    // the runtime sees a close instant's candles together and the models run once for all of them.
    ordered = ordered
      .then(() => (c.timeframe === config.strategy.executionTimeframe ? retrain?.beforeCandle() : undefined))
      .catch(() => undefined)
      // The runtime logs its own failures.
      .then(() => void runtime.onCandle(c, info).catch(() => undefined));
  });
  await stream.start();
  // Operator commands reach the models through the same queue as the pointer check before a candle.
  const reloadModels = async (): Promise<ReloadOutcome> => {
    const before = { ...(retrain?.loaded() ?? {}) } as Record<string, string>;
    const run = ordered.then(() => retrain?.beforeCandle());
    ordered = run.catch(() => undefined);
    await run;
    const after = { ...(retrain?.loaded() ?? {}) } as Record<string, string>;
    return { before, after, changed: Object.keys(after).filter((tf) => after[tf] !== before[tf]) };
  };
  const target: ControlTarget = {
    mode: opts.live ? 'live' : 'paper',
    exchange,
    symbols: config.exchange.symbols,
    runtime,
    decisions: () => decisions.last(),
    reasons: () => ({ ...decisions.counts() }),
    stream: () => stream.stats(),
    registryFile: registryPath(config.data.stateDir),
    reloadModels: retrain === null ? null : reloadModels,
  };
  const control =
    controlToken === undefined
      ? null
      : await startControlServer({
          config: config.control,
          token: controlToken,
          target,
          logger: log,
          clock,
        }).catch(async (e: unknown) => {
          await stream.stop();
          await retrain?.stop();
          await runtime.stop();
          throw e;
        });
  if (control) ref.control = control;
  const every = config.logging.statusIntervalSeconds * 1000;
  const timer = every > 0 ? setInterval(() => runtime.logStatus(), every) : undefined;
  timer?.unref();
  log.info(
    { mode: opts.live ? 'live' : 'paper', exchange, symbols: config.exchange.symbols },
    'runtime started',
  );
  let stopping: Promise<void> | undefined;
  return {
    runtime,
    stream,
    mode: opts.live ? 'live' : 'paper',
    retrain,
    control,
    reasons: () => ({ ...decisions.counts() }),
    lastDecisions: () => decisions.last(),
    stop: () =>
      (stopping ??= (async () => {
        if (timer) clearInterval(timer);
        // Each step runs whatever the one before did: the runtime's stop releases the state lock.
        const quiet = (what: string) => (e: unknown) =>
          log.warn({ err: describeError(e) }, `shutdown: ${what} failed`);
        await control?.close().catch(quiet('closing the control API'));
        await stream.stop().catch(quiet('closing the streams'));
        await retrain?.stop().catch(quiet('stopping the retrain service'));
        await ordered;
        await runtime.stop();
        decisions.flushSummary();
        runtime.logStatus();
      })()),
  };
}

/** From the exchange's markets: a swap or future can be shorted, spot cannot. */
export function marketCanShort(ex: Pick<CcxtExchange, 'markets'>, symbol: string): boolean {
  const m = (ex.markets as Record<string, { swap?: boolean; future?: boolean } | undefined> | undefined)?.[
    symbol
  ];
  return m?.swap === true || m?.future === true;
}
