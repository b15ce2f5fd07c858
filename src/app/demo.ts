import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../config/index.ts';
import type { Config, ConfigInput } from '../config/index.ts';
import type { Logger } from '../core/logger.ts';
import type { SecretRedactor } from '../core/secrets.ts';
import { QuantgateError } from '../core/errors.ts';
import { CONTROL_TOKEN_ENV } from '../core/secrets.ts';
import type { Candle, ModelTimeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import { initBackend, loadForecaster, trainModel } from '../models/index.ts';
import type { Forecaster } from '../models/index.ts';
import { readCandles } from '../exchange/index.ts';
import { simUrls, startSimExchange } from '../simulator/index.ts';
import { installBinanceOrders } from '../simulator/orders-binance.ts';
import { startLive } from './live.ts';
import type { RuntimeStatus, TradeRecord } from '../runtime/index.ts';

export interface DemoOptions {
  /** CSV store with the bundled candles (`<dir>/binance/<tf>/<SYMBOL>.csv`). */
  readonly dataDir: string;
  readonly logger: Logger;
  readonly redactor: SecretRedactor;
  /** Held-back days replayed through the local exchange (default 1). */
  readonly days?: number;
  /** Wall-clock ms per replay step (default 20). */
  readonly stepMs?: number;
  readonly epochs?: number;
  /**
   * A labelled tour of the machinery: gate thresholds lowered and the trend filter off so that the
   * tiny models trade at all. Off by default: the demo runs the default gate.
   */
  readonly tour?: boolean;
  readonly out: (line: string) => void;
}

/** What the tour lowers, printed with its results so nobody mistakes them for recommendations. */
const TOUR_STRATEGY = {
  thresholds: { confidence: 0, minRiskReward: 0, minEdgeBps: -10_000 },
  fusion: { weights: { '5m': 0.6, '1h': 0.4 }, trend: 'off' as const },
  sizing: { method: 'fixed-risk' as const },
};

export interface DemoResult {
  readonly trades: TradeRecord[];
  readonly status: RuntimeStatus;
  readonly trainSeconds: number;
  readonly replaySeconds: number;
}

const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const TIMEFRAMES: ModelTimeframe[] = ['5m', '1h'];

/**
 * The demo's config: small MLPs, two timeframes, the default gate — or, for the tour, thresholds
 * low enough that small models trained in a minute trade at all.
 */
export function demoConfig(dataDir: string, work: string, epochs: number, tour = false): Config {
  const raw: ConfigInput = {
    exchange: { name: 'binance', market: 'spot', symbols: SYMBOLS, warmupCandles: 300 },
    data: { dir: dataDir, modelsDir: join(work, 'models'), stateDir: join(work, 'state') },
    model: {
      architecture: 'mlp',
      window: 16,
      hidden: 16,
      epochs,
      batchSize: 128,
      maxTrainSamples: 6000,
      maxMinutes: 1,
      patience: 2,
    },
    strategy: tour
      ? { timeframes: TIMEFRAMES, ...TOUR_STRATEGY }
      : { timeframes: TIMEFRAMES, fusion: { weights: { '5m': 0.6, '1h': 0.4 } } },
    risk: { maxOpenPositions: 3, maxNotionalPerSymbol: 3000, maxNotionalTotal: 9000 },
    logging: { level: 'warn', statusIntervalSeconds: 0 },
  };
  return configSchema.parse(raw);
}

/** The bundled sample series, validated like any store read. */
function bundled(dataDir: string, timeframe: ModelTimeframe, symbol: string): Candle[] {
  const r = readCandles(dataDir, 'binance', timeframe, symbol);
  if (r === null)
    throw new QuantgateError(
      'DATA_MISSING',
      `demo: bundled ${symbol} ${timeframe} candles not found under ${dataDir} (expected the test/fixtures/candles store)`,
    );
  return r.candles;
}

/**
 * Trains small models on the bundled candles before a held-back day, replays that day through
 * the local exchange, and runs the real live runtime against it through ccxt — real order
 * endpoints, real state file, nothing faked but the exchange at the other end of the socket.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const { logger, out } = opts;
  const work = mkdtempSync(join(tmpdir(), 'quantgate-demo-'));
  try {
    const base = demoConfig(opts.dataDir, work, opts.epochs ?? 4, opts.tour ?? false);
    // With a control token in the environment the demo serves the control API and status page too.
    const config: Config = process.env[CONTROL_TOKEN_ENV]
      ? { ...base, control: { ...base.control, enabled: true } }
      : base;
    const series = SYMBOLS.flatMap((symbol) =>
      TIMEFRAMES.map((timeframe) => ({
        exchange: 'binance' as const,
        symbol,
        timeframe,
        candles: bundled(opts.dataDir, timeframe, symbol),
      })),
    );
    const last5m = Math.min(
      ...series.filter((s) => s.timeframe === '5m').map((s) => s.candles[s.candles.length - 1].timestamp),
    );
    const day = 86_400_000;
    const start = Math.floor((last5m - (opts.days ?? 1) * day) / timeframeMs('1h')) * timeframeMs('1h');
    out(
      `quantgate demo — offline: ${SYMBOLS.join(', ')} on a local exchange, held-back day from ${new Date(start).toISOString()}`,
    );

    await initBackend({ logger });
    const t0 = Date.now();
    const models: Partial<Record<ModelTimeframe, Forecaster>> = {};
    for (const tf of TIMEFRAMES) {
      out(`training a small ${config.model.architecture} for ${tf} on candles before the held-back day…`);
      const r = await trainModel({
        config,
        timeframe: tf,
        symbols: SYMBOLS,
        exchange: 'binance',
        dataDir: opts.dataDir,
        to: start,
        clock: { now: () => Date.now() },
        logger,
      });
      models[tf] = await loadForecaster(r.modelDir, { timeframe: tf });
      out(`  ${tf}: ${r.samples.train} training samples, version ${r.version}`);
    }
    const trainSeconds = (Date.now() - t0) / 1000;

    const sim = await startSimExchange({ series, startTime: start, logger });
    const acct = installBinanceOrders(sim, {
      balances: { USDT: config.paper.startingBalance },
      feeRate: config.exchange.takerFee,
    });
    sim.advance();
    const trades: TradeRecord[] = [];
    const handle = await startLive(config, {
      live: true,
      logger,
      redactor: opts.redactor,
      clock: sim.clock,
      urls: simUrls(sim, 'binance'),
      // The local exchange does not check signatures; these are not keys to anything.
      credentials: { apiKey: 'demo-local-exchange', secret: 'demo-local-exchange' },
      models,
      stream: { checkIntervalMs: 20 },
      // The retrain service runs as in live trading (a drift retrain may fire during the replay),
      // but never downloads: the store here is the bundled sample candles, not ours to append to.
      retrain: { refresh: false },
      onTrade: (t) => {
        trades.push(t);
        out(
          `${new Date(t.candleTime).toISOString()}  ${t.kind.padEnd(11)} ${t.side.padEnd(4)} ${t.qty} ${t.symbol} @ ${t.price.toFixed(2)}` +
            (t.pnl === undefined ? '' : `  pnl ${t.pnl.toFixed(2)} USDT`),
        );
      },
    });
    if (handle.control)
      out(
        `status page: ${handle.control.url}/ (log in with ${CONTROL_TOKEN_ENV}); from another shell: quantgate status | pause | resume | close --all`,
      );
    const t1 = Date.now();
    try {
      const tf = timeframeMs('5m');
      while (sim.advance()) {
        const closed = Math.floor(sim.now / tf) * tf - tf;
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          const lp = handle.runtime.snapshot.lastProcessed;
          if (SYMBOLS.every((s) => (lp[`binance|${s}|5m`] ?? -1) >= closed)) break;
          await new Promise((r) => setTimeout(r, 2));
        }
        await handle.runtime.idle();
        if (opts.stepMs) await new Promise((r) => setTimeout(r, opts.stepMs));
      }
    } finally {
      await handle.stop();
      await sim.close();
    }
    const status = handle.runtime.status();
    const usdt = acct.balance('USDT');
    out('');
    out(`replayed ${Math.round((Date.now() - t1) / 1000)} s, trained ${Math.round(trainSeconds)} s`);
    out(
      `trades ${status.trades}, realised PnL ${status.realizedPnl.toFixed(2)} USDT, fees ${status.fees.toFixed(2)}, equity ${status.equity.toFixed(2)} (start ${config.paper.startingBalance})`,
    );
    out(
      `open positions: ${status.openPositions.map((p) => `${p.qty} ${p.symbol} @ ${p.entryPrice.toFixed(2)}`).join(', ') || 'none'}`,
    );
    out(
      `decisions: ${status.decisions.candles} candles, ${status.decisions.signals} signals; exchange USDT balance ${(usdt.free + usdt.locked).toFixed(2)}`,
    );
    const reasons = Object.entries(handle.reasons()).filter(([, n]) => n > 0);
    for (const d of handle.lastDecisions().slice(-3))
      out(`  last decision ${d.symbol}: ${d.reason} (${d.detail})`);
    out(`decision reasons: ${reasons.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    if (opts.tour)
      out(
        `tour: thresholds lowered (confidence 0, minRiskReward 0, minEdgeBps −10000), fixed-risk sizing and the trend filter off so the tiny models trade at all: a tour of the machinery, not evidence of an edge and not trading advice.`,
      );
    else if (status.trades === 0) {
      const top = reasons
        .filter(([k]) => k !== 'warmup' && k !== 'trade_opened')
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      out(
        `no trades: with the default gate these models found no trade whose expected net return after costs reached strategy.thresholds.minEdgeBps (${config.strategy.thresholds.minEdgeBps} bps) on the held-back day${top ? ` (top reasons: ${top})` : ''}. Run \`quantgate demo --tour\` to see the machinery trade with lowered thresholds.`,
      );
    }
    return { trades, status, trainSeconds, replaySeconds: (Date.now() - t1) / 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
