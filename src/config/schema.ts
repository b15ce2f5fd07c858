import { z } from 'zod';
import { DATA_FORMATS, EXCHANGES } from '../core/types.ts';
import { bool, int, modelTimeframe, num, obj, oneOf, overridesOf, str, symbol } from './schema-helpers.ts';

/**
 * The single source of truth for configuration. Types are inferred from it; config/default.yaml
 * documents every key. Every object is strict: unknown keys are errors.
 */

const perTimeframe = <T extends z.ZodType>(value: T) =>
  obj({ '5m': value.optional(), '1h': value.optional(), '12h': value.optional(), '1d': value.optional() });

/** Per-timeframe defaults of retrain.dataQuality (also what a partial map falls back to). */
export const DATA_QUALITY_DEFAULTS = {
  minCandles: { '5m': 2000, '1h': 2000, '12h': 500, '1d': 500 },
  maxAbsReturn: { '5m': 0.5, '1h': 0.5, '12h': 0.75, '1d': 1 },
} as const;

export const exchangeSchema = obj({
  name: oneOf(EXCHANGES),
  /** spot or perpetual swaps (Hyperliquid perps are USDC-settled swaps). */
  market: oneOf(['spot', 'swap'] as const).default('spot'),
  symbols: z.array(symbol()).min(1, { error: 'expected at least one symbol' }),
  /** Taker fee as a fraction of notional (0.001 = 0.1 %). */
  takerFee: num(0, 0.05).default(0.001),
  /** Optional REST / websocket base URLs, used to point ccxt at a local exchange (tests, demo). */
  urls: obj({ rest: str('URL').optional(), ws: str('URL').optional() }).optional(),
  /** Candles fetched per series at start-up to warm the buffers. */
  warmupCandles: int(10, 5000).default(500),
  /** Grace period after a candle's close time before it is fetched by REST if no newer candle arrived. */
  closeGraceMs: int(0, 600_000).default(5_000),
  reconnect: obj({
    initialDelayMs: int(10, 60_000).default(500),
    maxDelayMs: int(100, 600_000).default(30_000),
  }).default({ initialDelayMs: 500, maxDelayMs: 30_000 }),
});

export const dataSchema = obj({
  dir: str('directory').default('data'),
  modelsDir: str('directory').default('models'),
  stateDir: str('directory').default('state'),
  /** Skip (and count) invalid CSV rows instead of failing. */
  skipBadRows: bool().default(false),
  /**
   * Candle files to read: csv (our store), freqtrade (its feather/json files under dir), or auto
   * (the CSV file when it exists, else Freqtrade's). Writing (download, retrain refresh) is CSV only.
   */
  format: oneOf(DATA_FORMATS).default('auto'),
});

const featureSettingsSchema = obj({
  returnLags: z.array(int(1, 500)).min(1).default([1, 3, 6, 12, 24]),
  volatilityWindow: int(2, 500).default(24),
  rsiPeriod: int(2, 200).default(14),
  macd: obj({ fast: int(2, 200), slow: int(3, 400), signal: int(2, 200) }).default({
    fast: 12,
    slow: 26,
    signal: 9,
  }),
  bollinger: obj({ period: int(2, 400), stdDev: num(0.1, 10) }).default({ period: 20, stdDev: 2 }),
  atrPeriod: int(2, 200).default(14),
  volumeWindow: int(2, 1000).default(48),
  timeFeatures: bool().default(true),
  /**
   * HAR-style realised volatility: ln(RMS of one-candle log returns) over spans given in hours and
   * converted to candles of each timeframe (≥ 1 candle; spans that round to the same count are
   * emitted once). Realised volatility clusters, so its recent levels at several scales forecast
   * the spread of the next returns (Corsi's HAR model). (features owner)
   */
  har: obj({
    enabled: bool().default(false),
    hours: z.array(num(0.01, 10_000)).min(1).default([1, 24, 168]),
  }).default({ enabled: false, hours: [1, 24, 168] }),
  /**
   * Range-based volatility over `window` candles, as ln σ: Parkinson (high/low) and Garman–Klass
   * (high/low/open/close); more efficient than close-to-close estimates on the same window.
   */
  range: obj({
    enabled: bool().default(false),
    window: int(1, 2000).default(24),
  }).default({ enabled: false, window: 24 }),
  /**
   * Trend: log return over each momentum lookback (candles) and the close's position in the
   * Donchian channel of the last `donchian` candles' highs and lows (0 = at the low, 1 = at the high).
   */
  trend: obj({
    enabled: bool().default(false),
    lookbacks: z.array(int(1, 2000)).min(1).default([5, 10, 20]),
    donchian: int(2, 2000).default(20),
  }).default({ enabled: false, lookbacks: [5, 10, 20], donchian: 20 }),
  /**
   * Market context: the reference symbol's log returns over `returnLags` candles and ln of its
   * realised volatility over `volatilityWindow` candles (same timeframe), from its latest row that
   * closed strictly before this row's close — so a row never depends on which of two same-instant
   * candles arrived first. The reference symbol gets its own previous row. `symbol` unset = the
   * first BTC symbol among exchange.symbols; it must be streamed (one of exchange.symbols) live
   * and in backtests. (features owner)
   */
  marketContext: obj({
    enabled: bool().default(false),
    symbol: symbol().optional(),
    returnLags: z.array(int(1, 2000)).min(1).default([1, 12]),
    volatilityWindow: int(2, 2000).default(24),
  }).default({ enabled: false, returnLags: [1, 12], volatilityWindow: 24 }),
  /**
   * Higher-timeframe context: for each listed timeframe longer than the row's own, the same
   * summaries (log returns over `returnLags` and ln realised volatility over `volatilityWindow`, in
   * candles of that timeframe) of the symbol's latest candle of that timeframe that closed strictly
   * before the row's close, as-of joined. The timeframes must be in strategy.timeframes (streamed)
   * live and in backtests. Meant for the execution timeframe. (features owner)
   */
  higherTimeframes: obj({
    enabled: bool().default(false),
    timeframes: z.array(modelTimeframe()).min(1).default(['1h', '1d']),
    returnLags: z.array(int(1, 2000)).min(1).default([1, 24]),
    volatilityWindow: int(2, 2000).default(24),
  }).default({ enabled: false, timeframes: ['1h', '1d'], returnLags: [1, 24], volatilityWindow: 24 }),
});

const featureOverrideSchema = overridesOf(featureSettingsSchema);

export const featuresSchema = featureSettingsSchema.extend({
  /**
   * Per-timeframe overrides of the settings above (e.g. shorter periods for 1d, where a long
   * warm-up costs months of history). Applied by the features module itself. (features owner)
   */
  overrides: perTimeframe(featureOverrideSchema).optional(),
});

export const labelsSchema = obj({
  /**
   * triple-barrier: BUY/SELL = a long/short entered at the close hits the strategy's take-profit
   * before its stop within the horizon, after costs (strategy.exits, exchange.takerFee,
   * paper.slippageBps). threshold: the forward return beats ±k·σ·√horizon. (features owner)
   */
  method: oneOf(['triple-barrier', 'threshold'] as const).default('triple-barrier'),
  /** Forward-return horizon (and vertical barrier) in candles of the model's own timeframe. */
  horizon: perTimeframe(int(1, 1000)).default({ '5m': 12, '1h': 6, '12h': 2, '1d': 1 }),
  /** threshold labels only: BUY when forward return > k × realised volatility over the horizon, SELL when < −k × vol. */
  k: num(0, 10).default(1.5),
  /**
   * Candles of one-candle log returns (up to the forecast candle only) whose RMS is the realised
   * volatility of the label threshold; unset = features.volatilityWindow. (features owner)
   */
  volatilityWindow: int(2, 5000).optional(),
});

export const modelSchema = obj({
  architecture: oneOf(['tft', 'mlp', 'rolling-quantile'] as const).default('mlp'),
  window: int(4, 512).default(60),
  hidden: int(4, 256).default(24),
  heads: int(1, 16).default(2),
  dropout: num(0, 0.9).default(0.1),
  epochs: int(1, 1000).default(30),
  batchSize: int(8, 4096).default(128),
  learningRate: num(1e-6, 1).default(0.002),
  weightDecay: num(0, 1).default(1e-4),
  clipNorm: num(0.01, 1000).default(1.0),
  /** Weight of the pinball (quantile) loss against the class cross-entropy. */
  quantileLossWeight: num(0, 100).default(1.0),
  patience: int(1, 100).default(5),
  /** Cap on training samples (most recent kept) so a cycle fits the time budget on 2 cores. */
  maxTrainSamples: int(100, 10_000_000).default(40_000),
  maxMinutes: num(0.1, 1440).default(20),
  seed: int(0, 2 ** 31 - 1).default(42),
  split: obj({ train: num(0.1, 0.95), validation: num(0.01, 0.5), calibration: num(0.01, 0.5) }).default({
    train: 0.7,
    validation: 0.15,
    calibration: 0.15,
  }),
  /**
   * Conformal quantile offsets: 'additive' (one constant per quantile), 'volatility' (scores
   * divided by the forecast-time realised volatility feature rvol_<features.volatilityWindow>, so an
   * offset widens the band in volatile hours and narrows it in calm ones) or 'har' (divided by the
   * geometric mean of the HAR realised volatilities, an unfitted HAR forecast; needs features.har).
   */
  conformalScale: oneOf(['additive', 'volatility', 'har'] as const).default('additive'),
  /**
   * Volatility-scaled quantile targets: 'none' (the quantile head learns the forward log return),
   * 'volatility' (it learns the return divided by the issue candle's realised volatility
   * rvol_<features.volatilityWindow>, and its outputs are multiplied back by it) or 'har' (divided by
   * the geometric mean of the HAR realised volatilities; needs features.har). The same σ, read from
   * the same feature row, in training, calibration, evaluate, backtest and live; stored in the
   * model (spec.targetScaling), so a model is always served as it was trained. Conformal offsets
   * then live in the same standardised units (conformalScale scales them further).
   */
  targetScaling: oneOf(['none', 'volatility', 'har'] as const).default('none'),
  /**
   * Only samples issued in the last this many days before the retrain point are used (train,
   * validation and calibration alike; features still warm up on all history). 0 = all history.
   */
  lookbackDays: num(0, 36_500).default(0),
  /**
   * A retrain starts from the weights of the model it replaces (the active version live, the
   * previous window's model in a walk-forward) and fine-tunes on the candles that model never
   * trained on plus a replay sample of older ones. Refused (→ from scratch, with the reason
   * logged and stored) when the parent's features, labels or topology differ from the config.
   */
  warmStart: obj({
    enabled: bool().default(true),
    /** Fraction of the fine-tuning set drawn at random from older training samples. */
    replayShare: num(0, 0.95).default(0.5),
    /** Epochs of fine-tuning (early stopping on the new validation slice still applies). */
    epochs: int(1, 1000).default(3),
    /** Every Nth retrain of a chain is from scratch (1 = always; errors cannot compound forever). */
    fullRetrainEvery: int(1, 10_000).default(8),
  }).default({ enabled: true, replayShare: 0.5, epochs: 3, fullRetrainEvery: 8 }),
});

const modelOverrideSchema = overridesOf(modelSchema);

export const strategySchema = obj({
  timeframes: z.array(modelTimeframe()).min(1).default(['5m', '1h', '12h', '1d']),
  /** Which timeframe's closed candle triggers a decision. */
  executionTimeframe: modelTimeframe().default('5m'),
  thresholds: obj({
    /** Calibrated P(win) of the trade (after the confidenceAdjust knobs) at least this. */
    confidence: num(0, 1).default(0.5),
    /** Quantile reward/risk (q90 / −q10 for a long) at least this; 0 = off. */
    minRiskReward: num(0, 100).default(0),
    /**
     * Expected net return of the trade after round-trip costs, P(win)·TP − (1 − P(win))·SL − costs,
     * at least this many basis points of its notional (10 = 0.10 %).
     */
    minEdgeBps: num(-10_000, 10_000).default(10),
  }).default({ confidence: 0.5, minRiskReward: 0, minEdgeBps: 10 }),
  confidenceAdjust: obj({
    highRiskReward: num(0, 100).default(2),
    highBoost: num(0, 10).default(1),
    neutralLow: num(0, 100).default(0.7),
    neutralHigh: num(0, 100).default(1.3),
    neutralPenalty: num(0, 10).default(1),
  }).default({ highRiskReward: 2, highBoost: 1, neutralLow: 0.7, neutralHigh: 1.3, neutralPenalty: 1 }),
  fusion: obj({
    weights: perTimeframe(num(0, 10)).default({ '5m': 0.4, '1h': 0.3, '12h': 0.15, '1d': 0.15 }),
    /** What a contradicting higher timeframe does: veto the trade, shrink it, or nothing. */
    contradiction: oneOf(['veto', 'shrink', 'ignore'] as const).default('shrink'),
    shrinkFactor: num(0, 1).default(0.5),
    /**
     * The regime is 'volatile' when the 12h forecast's P10–P90 band is wider than this multiple of
     * the median band of the last 60 12h forecasts (the forecast's spread, not realised volatility).
     */
    volatileRegimeMultiple: num(1, 100).default(2),
    /** Size multiplier in a volatile regime (0 = do not trade). */
    volatileSizeFactor: num(0, 1).default(0.5),
    /**
     * Strategic trend filter from completed UTC days of the execution series' own closes:
     * momentum = longs only while the trendLookbackDays log return is positive, shorts only while
     * it is negative, flat otherwise (and while the lookback is still filling); off = no filter.
     */
    trend: oneOf(['momentum', 'off'] as const).default('momentum'),
    trendLookbackDays: int(2, 365).default(20),
  }).default({
    weights: { '5m': 0.4, '1h': 0.3, '12h': 0.15, '1d': 0.15 },
    contradiction: 'shrink',
    shrinkFactor: 0.5,
    volatileRegimeMultiple: 2,
    volatileSizeFactor: 0.5,
    trend: 'momentum',
    trendLookbackDays: 20,
  }),
  exits: obj({
    /**
     * Take-profit distance = this × σ × √maxHold (log return; σ = RMS of the last volWindow
     * one-candle log returns of the execution series). The same barriers label the training data.
     */
    takeProfitMultiplier: num(0.01, 10).default(1),
    /** Stop distance = this × σ × √maxHold (log return). */
    stopLossMultiplier: num(0.01, 10).default(1),
    /** Close a position after this many execution candles (the model's horizon by default). */
    maxHoldCandles: int(1, 100_000).optional(),
  }).default({ takeProfitMultiplier: 1, stopLossMultiplier: 1 }),
  sizing: obj({
    /** Cap: fraction of equity lost (stop distance + costs) if the stop is hit. */
    riskPerTrade: num(0, 0.5).default(0.01),
    /**
     * kelly: kellyFraction × the Kelly fraction of equity, capped by riskPerTrade (no edge, no
     * size). fixed-risk: riskPerTrade × P(win) of equity lost at the stop, whatever the edge
     * (the demo's tour uses it to show the machinery trading).
     */
    method: oneOf(['kelly', 'fixed-risk'] as const).default('kelly'),
    /** Fraction of the Kelly size f* = P/SL − (1 − P)/TP (net of costs) that is traded. */
    kellyFraction: num(0, 1).default(0.25),
    allowShort: bool().default(false),
  }).default({ riskPerTrade: 0.01, method: 'kelly', kellyFraction: 0.25, allowShort: false }),
  cooldownCandles: int(0, 10_000).default(0),
  /**
   * Live runtime: how long (ms, wall time) the first candle of a close instant waits for the other
   * symbols' candles of the same instant, so each model runs once for all of them (they arrive in
   * separate stream messages). 0 = group only candles already queued.
   */
  batchWaitMs: int(0, 10_000).default(250),
});

export const riskSchema = obj({
  maxNotionalPerSymbol: num(0).default(2_000),
  maxNotionalTotal: num(0).default(5_000),
  maxOpenPositions: int(0, 1000).default(3),
  maxOrdersPerMinute: int(1, 10_000).default(20),
  /** Fraction of start-of-day equity; a loss beyond it halts trading until the next UTC day. */
  dailyLossLimit: num(0, 1).default(0.05),
  /** Drawdown from peak equity beyond which the risk state becomes REDUCING. */
  maxDrawdown: num(0, 1).default(0.15),
  reducingSizeFactor: num(0, 1).default(0.5),
});

export const paperSchema = obj({
  startingBalance: num(0).default(10_000),
  quoteCurrency: str().default('USDT'),
  slippageBps: num(0, 1000).default(2),
});

export const backtestSchema = obj({
  walkForwardDays: num(0.01, 3650).default(7),
  /**
   * Walk-forward window trainings run at once, each in a worker thread (tfjs on wasm trains on
   * one core). 0 = one at a time on the main thread.
   */
  trainWorkers: int(0, 64).default(2),
  /**
   * Worker threads that predict beside the main thread when a backtest precomputes a model's
   * forecasts (each loads its own copy of the model). 0 = main thread only. They are started only
   * for a model whose forecasts would take the main thread alone ≥ 10 s (timed on a batch): a
   * worker's start-up costs 2–5 s of CPU, more than it saves on a fast model such as the MLP.
   */
  inferenceWorkers: int(0, 64).default(1),
  /** Funding rate per 8 hours charged on perp positions (Hyperliquid) when no recorded rates exist. */
  fundingRatePer8h: num(-0.01, 0.01).default(0.0001),
  riskFreeRate: num(-1, 1).default(0),
  /**
   * Walk-forward: retrain a timeframe only every N windows (missing = every window); between
   * retrains its last model keeps serving (it saw only candles before its own retrain point).
   */
  retrainEvery: perTimeframe(int(1, 10_000)).default({ '12h': 4, '1d': 4 }),
});

const gateSchema = obj({
  minSharpeRatio: num(0, 10).default(0.95),
  maxDrawdown: num(0, 1).default(0.15),
  minWinRate: num(0, 1).default(0.4),
  minProfitFactor: num(0, 100).default(1.0),
  minSignals: int(0).default(5),
  coverageTolerance: num(0, 1).default(0.05),
  maxEce: num(0, 1).default(0.1),
});

export const retrainSchema = obj({
  enabled: bool().default(true),
  cron: str('cron expression').default('0 0 * * 0'),
  timezone: str('IANA time zone').default('Etc/UTC'),
  perTimeframe: perTimeframe(
    obj({ cron: str('cron expression').optional(), enabled: bool().optional() }),
  ).default({}),
  worker: obj({
    memoryMb: int(64, 65_536).default(2048),
    timeoutMinutes: num(0.1, 1440).default(60),
  }).default({ memoryMb: 2048, timeoutMinutes: 60 }),
  gate: gateSchema.default({
    minSharpeRatio: 0.95,
    maxDrawdown: 0.15,
    minWinRate: 0.4,
    minProfitFactor: 1.0,
    minSignals: 5,
    coverageTolerance: 0.05,
    maxEce: 0.1,
  }),
  shadow: obj({
    enabled: bool().default(false),
    hours: num(0, 10_000).default(24),
    trafficSplit: num(0, 1).default(0),
    /** Would-be trades the candidate needs in its shadow period; fewer → not promoted (no evidence). */
    minTrades: int(0, 1_000_000).default(20),
    /** The candidate's shadow hit rate may trail the active model's by at most this. */
    hitRateTolerance: num(0, 1).default(0.02),
    /** The candidate's summed would-be trade log return after costs may trail the active model's by at most this. */
    pnlTolerance: num(0, 10).default(0),
  })
    // Run by the live bot's retrain service (src/retrain/service.ts): a candidate that passed the
    // gate forecasts beside the active model for `hours`, then is promoted or rejected.
    .default({
      enabled: false,
      hours: 24,
      trafficSplit: 0,
      minTrades: 20,
      hitRateTolerance: 0.02,
      pnlTolerance: 0,
    }),
  keepVersions: int(1, 100).default(3),
  rollback: obj({
    minHitRate: num(0, 1).default(0.4),
    window: int(10, 100_000).default(200),
    exceedancePValue: num(0, 1).default(0.001),
    maxDrawdownSincePromotion: num(0, 1).default(0.1),
    cooldownHours: num(0, 10_000).default(24),
    /** Resolved forecasts (and directional calls) needed before hit rate, R/R or exceedance can trigger a rollback. */
    minSamples: int(1, 100_000).default(50),
    /** Realised ÷ predicted risk/reward of the calls below this triggers a rollback; 0 = report only. */
    minRiskRewardRatio: num(0, 10).default(0),
    /**
     * The edge ledger, live: over the last edgeWindow closed trades of the execution model, the
     * take-profit count against the P(win)s the gate promised (one-sided, normal approximation of
     * the Poisson-binomial); p below this rolls back. 0 = report only.
     */
    edgePValue: num(0, 1).default(0.01),
    edgeWindow: int(5, 100_000).default(100),
    /** Closed trades needed before the edge rule can trigger. */
    edgeMinTrades: int(1, 100_000).default(30),
  }).default({
    minHitRate: 0.4,
    window: 200,
    exceedancePValue: 0.001,
    maxDrawdownSincePromotion: 0.1,
    cooldownHours: 24,
    minSamples: 50,
    minRiskRewardRatio: 0,
    edgePValue: 0.01,
    edgeWindow: 100,
    edgeMinTrades: 30,
  }),
  drift: obj({
    psiThreshold: num(0, 10).default(0.25),
    minHoursBetweenRetrains: num(0, 10_000).default(24),
    /** Recent live feature rows (all symbols of the timeframe pooled) compared with the training deciles; PSI needs half of them. */
    windowRows: int(20, 1_000_000).default(500),
    /**
     * Which PSI over the features is compared with psiThreshold: the median (default; on real 1h
     * BTCUSDT the max is over 0.25 at every month end, driven by volatility features) or the max.
     */
    statistic: oneOf(['median', 'max'] as const).default('median'),
  }).default({
    psiThreshold: 0.25,
    minHoursBetweenRetrains: 24,
    windowRows: 500,
    statistic: 'median',
  }),
  /**
   * minCandles and maxAbsReturn take one number for every timeframe or a per-timeframe map: a
   * crash day (−39 % on 2020-03-12, |log return| 0.5) is real on 1d and an outlier on 5m, and 1d
   * stores hold far fewer candles. Timeframes missing from a map take the default's value.
   */
  dataQuality: obj({
    minCandles: z.union([int(10), perTimeframe(int(10))]).default(DATA_QUALITY_DEFAULTS.minCandles),
    maxGapRatio: num(0, 1).default(0.02),
    maxStalenessCandles: int(0).default(3),
    maxAbsReturn: z.union([num(0, 10), perTimeframe(num(0, 10))]).default(DATA_QUALITY_DEFAULTS.maxAbsReturn),
  }).default({
    minCandles: DATA_QUALITY_DEFAULTS.minCandles,
    maxGapRatio: 0.02,
    maxStalenessCandles: 3,
    maxAbsReturn: DATA_QUALITY_DEFAULTS.maxAbsReturn,
  }),
  /**
   * Fraction of the stored history (the latest part) held out of a retrain's training: candidate
   * and active model are both judged on it by the gate. (retrain cycle owner)
   */
  holdoutFraction: num(0.05, 0.5).default(0.2),
});

export const alertsSchema = obj({
  webhookUrl: str('URL').optional(),
  webhookTimeoutMs: int(100, 60_000).default(3000),
  minSeverity: oneOf(['info', 'warning', 'critical'] as const).default('warning'),
});

export const loggingSchema = obj({
  level: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const).default('info'),
  /** auto: human-readable lines on a terminal, JSON lines otherwise (`--log-format` overrides). */
  format: oneOf(['auto', 'json', 'pretty'] as const).default('auto'),
  statusIntervalSeconds: int(0, 86_400).default(60),
  /**
   * Live: one info line per this many minutes of candle time counting the decisions by reason
   * (each decision itself is logged at debug). 0 = off. A backtest summarises once per simulated day.
   */
  decisionSummaryMinutes: int(0, 100_000).default(60),
});

/** Loopback addresses only: anything else would expose the control API beyond this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export const controlSchema = obj({
  /** The local control API and status page of a running bot (needs QUANTGATE_CONTROL_TOKEN). */
  enabled: bool().default(false),
  host: str('host name or address').default('127.0.0.1'),
  /** 0 = any free port (tests); the log line "control API and status page listening" says which. */
  port: int(0, 65_535).default(8787),
  /** Listen on a non-loopback host; off by default (reach it over an SSH tunnel instead). */
  allowRemote: bool().default(false),
  /** Seconds between status pushes to the status page when nothing happened (events push at once). */
  refreshSeconds: int(1, 3600).default(5),
}).superRefine((c, ctx) => {
  if (!c.allowRemote && !isLoopbackHost(c.host))
    ctx.addIssue({
      code: 'custom',
      path: ['host'],
      message: `expected a loopback address (127.0.0.1, ::1, localhost), got "${c.host}"; set control.allowRemote: true to listen on it`,
    });
});

export const configSchema = obj({
  exchange: exchangeSchema,
  data: dataSchema.default(dataSchema.parse({})),
  features: featuresSchema.default(featuresSchema.parse({})),
  labels: labelsSchema.default(labelsSchema.parse({})),
  model: modelSchema.default(modelSchema.parse({})),
  /** Per-timeframe overrides of `model` (e.g. a smaller window for 1d, which has little history). */
  modelOverrides: perTimeframe(modelOverrideSchema).default({}),
  strategy: strategySchema.default(strategySchema.parse({})),
  risk: riskSchema.default(riskSchema.parse({})),
  paper: paperSchema.default(paperSchema.parse({})),
  backtest: backtestSchema.default(backtestSchema.parse({})),
  retrain: retrainSchema.default(retrainSchema.parse({})),
  alerts: alertsSchema.default(alertsSchema.parse({})),
  logging: loggingSchema.default(loggingSchema.parse({})),
  control: controlSchema.default(controlSchema.parse({})),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ExchangeConfig = Config['exchange'];
export type FeaturesConfig = Config['features'];
export type LabelsConfig = Config['labels'];
export type ModelConfig = Config['model'];
export type StrategyConfig = Config['strategy'];
export type RiskConfig = Config['risk'];
export type PaperConfig = Config['paper'];
export type BacktestConfig = Config['backtest'];
export type RetrainConfig = Config['retrain'];
export type AlertsConfig = Config['alerts'];
export type ControlConfig = Config['control'];
