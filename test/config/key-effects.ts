/**
 * Every config key → how to see it matter: two values and the real component (group) whose run
 * changes between them (test/config/every-key-has-effect.test.ts checks each, and that no schema
 * leaf key is missing here). Keys that only reach a library are observed where we build the
 * library's options ("options:" in `via`).
 */
import { fusionGroup, gateGroup, riskGroup } from './key-effects/decision-groups.ts';
import {
  driftGroup,
  monitorGroup,
  promotionGateGroup,
  purgeGroup,
  schedulerGroup,
  shadowGroup,
} from './key-effects/retrain-groups.ts';
import {
  FIXTURE_STORE,
  PROBE_STORE,
  cycleDataGroup,
  featuresGroup,
  labelsGroup,
} from './key-effects/data-groups.ts';
import { modelGroup, walkForwardGroup, warmStartGroup } from './key-effects/model-groups.ts';
import { liveGroup } from './key-effects/live-groups.ts';
import { HOOK_URL, alertsGroup, loggingGroup } from './key-effects/output-groups.ts';
import { cycleGroup, requestGroup, storeGroup } from './key-effects/retrain-store-groups.ts';
import { runGroup } from './key-effects/run-groups.ts';
import { SIM_HOST, streamGroup } from './key-effects/stream-groups.ts';
import type { KeyProbe, ProbeGroup } from './key-effects/probe.ts';

export type { KeyProbe, ProbeGroup } from './key-effects/probe.ts';

export const GROUPS: Readonly<Record<string, ProbeGroup>> = {
  gate: gateGroup,
  fusion: fusionGroup,
  risk: riskGroup,
  promotionGate: promotionGateGroup,
  monitor: monitorGroup,
  drift: driftGroup,
  shadow: shadowGroup,
  scheduler: schedulerGroup,
  purge: purgeGroup,
  features: featuresGroup,
  labels: labelsGroup,
  run: runGroup,
  model: modelGroup,
  warmStart: warmStartGroup,
  cycleData: cycleDataGroup,
  stream: streamGroup,
  live: liveGroup,
  logging: loggingGroup,
  alerts: alertsGroup,
  walkForward: walkForwardGroup,
  store: storeGroup,
  cycle: cycleGroup,
  request: requestGroup,
};

/** A probe of `group`: `via` says what is observed. */
const probe =
  (group: string, what: string) =>
  (values: KeyProbe['values'], via: string, context?: KeyProbe['context']): KeyProbe => ({
    group,
    values,
    via: `${what}: ${via}`,
    context,
  });
const promotion = probe('promotionGate', 'judge() of a candidate near every threshold');
const monitor = probe('monitor', 'the live monitor over 300 forecasts and 120 trades');
const drift = probe('drift', 'the drift detector over 300 live rows');
const shadow = probe('shadow', 'a 40-forecast shadow trial judged after 30 h');
const features = probe('features', 'computeFeatures on 1,000 fixture 1h candles');
const labels = probe('labels', 'the 1h labels (labelParamsFor → labelsFor) of 1,000 fixture candles');
const run = probe('run', 'a 2-day backtest of tiny models on fixture candles (trades, PnL, decisions)');
const SWAP = { 'exchange.market': 'swap', 'strategy.sizing.allowShort': true };
const model = probe(
  'model',
  'a tiny 1h model trained on fixture candles (samples, training, calibration, metrics)',
);
const warm = probe('warmStart', 'a tiny 1h model retrained from a parent (warm start record, epochs)');
const TFT = { 'model.architecture': 'tft' };
const cycleData = probe(
  'cycleData',
  "the retrain cycle's data step on a 1h store (quality report, hold-out)",
);
const stream = probe(
  'stream',
  'the live candle stream against the local exchange (warm-up, retries, overdue candles)',
);
const live = probe('live', 'the live bot (real orders on the local exchange) over 13 candles');
/** A fixed port of this test process for control.port (0 = any free port). */
const CONTROL_PORT = 20_000 + (process.pid % 20_000);
const logging = probe('logging', "the command's logger (cliLogger) writing a debug and an info line");
const alerts = probe('alerts', 'the alert sink raising info, warning and critical to a slow local webhook');
const walkForward = probe('walkForward', 'a 3-day walk-forward backtest of tiny 1h models');
const store = probe('store', 'two trained models promoted, then a rollback (files written, cool-down)');
const cycle = probe('cycle', 'a 1h retrain cycle up to its training step');
const scheduler = probe('scheduler', 'the node-schedule retrain jobs');

const gate = (values: KeyProbe['values'], via: string, context?: KeyProbe['context']): KeyProbe => ({
  group: 'gate',
  values,
  via: `evaluateGate over 42 forecasts: ${via}`,
  context,
});
const fusion = (values: KeyProbe['values'], via: string, context?: KeyProbe['context']): KeyProbe => ({
  group: 'fusion',
  values,
  via: `fuse() of 5 multi-timeframe cases: ${via}`,
  context,
});
const risk = (values: KeyProbe['values'], via: string, context?: KeyProbe['context']): KeyProbe => ({
  group: 'risk',
  values,
  via: `RiskManager through a day of entries: ${via}`,
  context,
});
const NO_HALT = { 'risk.dailyLossLimit': 1 };
const MARKET = { 'features.marketContext.enabled': true };
const HTF = { 'features.higherTimeframes.enabled': true };
const MAX_PSI = { 'retrain.drift.statistic': 'max' };

export const KEY_PROBES: Readonly<Record<string, KeyProbe>> = {
  'strategy.thresholds.confidence': gate([0.5, 0.7], 'low_confidence verdicts'),
  'strategy.thresholds.minRiskReward': gate([0, 1.5], 'poor_rr verdicts'),
  'strategy.thresholds.minEdgeBps': gate([10, 60], 'no_edge verdicts'),
  'strategy.confidenceAdjust.highRiskReward': gate([2, 1.5], 'which R/R is boosted', {
    'strategy.confidenceAdjust.highBoost': 1.2,
  }),
  'strategy.confidenceAdjust.highBoost': gate([1, 1.2], 'confidence above highRiskReward'),
  'strategy.confidenceAdjust.neutralLow': gate([0.7, 0.9], 'which R/R is penalised', {
    'strategy.confidenceAdjust.neutralPenalty': 0.8,
  }),
  'strategy.confidenceAdjust.neutralHigh': gate([1.3, 1.1], 'which R/R is penalised', {
    'strategy.confidenceAdjust.neutralPenalty': 0.8,
  }),
  'strategy.confidenceAdjust.neutralPenalty': gate([1, 0.8], 'confidence in the neutral band'),
  'strategy.fusion.weights': fusion(
    [
      { '5m': 0.4, '1h': 0.3, '12h': 0.15, '1d': 0.15 },
      { '5m': 1, '1h': 0, '12h': 0, '1d': 0 },
    ],
    'fused score',
  ),
  'strategy.fusion.contradiction': fusion(['shrink', 'veto'], 'veto of a contradicted long'),
  'strategy.fusion.shrinkFactor': fusion([0.5, 0.8], 'size factor of a contradicted long'),
  'strategy.fusion.volatileRegimeMultiple': fusion([2, 3], 'which 12h band is a volatile regime'),
  'strategy.fusion.volatileSizeFactor': fusion([0.5, 0], 'size (or veto) in a volatile regime'),
  'risk.maxNotionalPerSymbol': risk([2_000, 1_200], 'entry quantity capped by the symbol notional'),
  'risk.maxNotionalTotal': risk([5_000, 4_200], 'entry quantity capped by the total notional'),
  'risk.maxOpenPositions': risk([3, 2], 'max_positions refusals'),
  'risk.maxOrdersPerMinute': risk([20, 5], 'rate-limited entries in a burst'),
  'risk.dailyLossLimit': risk([0.05, 0.12], 'HALTED after the day loss'),
  'risk.maxDrawdown': risk([0.15, 0.05], 'REDUCING state and sizes', NO_HALT),
  'risk.reducingSizeFactor': risk([0.5, 0.25], 'sizes while REDUCING', NO_HALT),
  'features.returnLags': features(
    [
      [1, 3, 6, 12, 24],
      [1, 2],
    ],
    'the return columns',
  ),
  'features.volatilityWindow': features([24, 12], 'the realised volatility column'),
  'features.rsiPeriod': features([14, 7], 'the RSI column'),
  'features.macd.fast': features([12, 8], 'the MACD columns'),
  'features.macd.slow': features([26, 30], 'the MACD columns'),
  'features.macd.signal': features([9, 5], 'the MACD columns'),
  'features.bollinger.period': features([20, 10], 'the Bollinger position'),
  'features.bollinger.stdDev': features([2, 1], 'the Bollinger position'),
  'features.atrPeriod': features([14, 7], 'the ATR column'),
  'features.volumeWindow': features([48, 24], 'the volume z-score'),
  'features.timeFeatures': features([true, false], 'the time-of-day/week columns'),
  'features.har.enabled': features([false, true], 'the HAR columns'),
  'features.har.hours': features(
    [
      [1, 24, 168],
      [2, 48],
    ],
    'the HAR columns',
    { 'features.har.enabled': true },
  ),
  'features.range.enabled': features([false, true], 'the range-volatility columns'),
  'features.range.window': features([24, 12], 'the range-volatility columns', {
    'features.range.enabled': true,
  }),
  'features.trend.enabled': features([false, true], 'the trend columns'),
  'features.trend.lookbacks': features([[5, 10, 20], [3]], 'the momentum columns', {
    'features.trend.enabled': true,
  }),
  'features.trend.donchian': features([20, 10], 'the Donchian position', { 'features.trend.enabled': true }),
  'features.marketContext.enabled': features([false, true], 'the market-context columns'),
  'features.marketContext.symbol': features([undefined, 'ETH/USDT'], 'the market reference', {
    ...MARKET,
    'exchange.symbols': ['BTC/USDT', 'ETH/USDT'],
  }),
  'features.marketContext.returnLags': features([[1, 12], [3]], 'the market-context columns', MARKET),
  'features.marketContext.volatilityWindow': features([24, 6], 'the market volatility column', MARKET),
  'features.higherTimeframes.enabled': features([false, true], 'the higher-timeframe columns'),
  'features.higherTimeframes.timeframes': features(
    [['1h', '1d'], ['1h']],
    'which higher timeframes are joined',
    HTF,
  ),
  'features.higherTimeframes.returnLags': features([[1, 24], [2]], 'the higher-timeframe columns', HTF),
  'features.higherTimeframes.volatilityWindow': features([24, 6], 'the higher-timeframe volatility', HTF),
  'features.overrides': features([undefined, { '1h': { rsiPeriod: 7 } }], 'the 1h RSI column'),
  'labels.method': labels(['triple-barrier', 'threshold'], 'class counts and thresholds'),
  'labels.horizon': labels(
    [
      { '5m': 12, '1h': 6, '12h': 2, '1d': 1 },
      { '5m': 12, '1h': 3, '12h': 2, '1d': 1 },
    ],
    'the 1h forward returns',
  ),
  'labels.k': labels([1.5, 0.5], 'class counts', { 'labels.method': 'threshold' }),
  'labels.volatilityWindow': labels([undefined, 48], 'the barrier distances'),
  'exchange.symbols': run([['BTC/USDT', 'ETH/USDT'], ['BTC/USDT']], 'symbols traded'),
  'exchange.market': run(['spot', 'swap'], 'shorts taken', { 'strategy.sizing.allowShort': true }),
  'exchange.takerFee': run([0.001, 0.0005], 'fees and PnL'),
  'paper.startingBalance': run([10_000, 3_000], 'sizes and PnL'),
  'paper.slippageBps': run([2, 20], 'fill prices and PnL'),
  'backtest.fundingRatePer8h': run([0.0001, 0.002], 'funding paid on perp positions', SWAP),
  'backtest.riskFreeRate': run([0, 0.5], 'Sharpe and Sortino'),
  'strategy.timeframes': run([['5m', '1h'], ['5m']], 'fused forecasts and trades'),
  'strategy.executionTimeframe': run(['5m', '1h'], 'when decisions are made'),
  'strategy.fusion.trend': run(['off', 'momentum'], 'vetoed_trend decisions'),
  'strategy.fusion.trendLookbackDays': run([20, 2], 'which side the trend filter lets through', {
    ...SWAP,
    'strategy.fusion.trend': 'momentum',
  }),
  'strategy.exits.takeProfitMultiplier': run([1, 2], 'take-profit exits'),
  'strategy.exits.stopLossMultiplier': run([1, 0.5], 'stop exits'),
  'strategy.exits.maxHoldCandles': run([undefined, 3], 'time exits'),
  'strategy.sizing.riskPerTrade': run([0.01, 0.003], 'position sizes'),
  'strategy.sizing.method': run(['fixed-risk', 'kelly'], 'position sizes'),
  // Wide take-profit, tight stop: even the tiny models' P(win) gives a positive Kelly fraction.
  'strategy.sizing.kellyFraction': run([0.25, 1], 'position sizes below the risk cap', {
    'strategy.sizing.method': 'kelly',
    'strategy.sizing.riskPerTrade': 0.5,
    'strategy.exits.takeProfitMultiplier': 3,
    'strategy.exits.stopLossMultiplier': 0.3,
    'risk.maxNotionalPerSymbol': 1e9,
    'risk.maxNotionalTotal': 1e9,
  }),
  'strategy.sizing.allowShort': run([false, true], 'shorts taken', { 'exchange.market': 'swap' }),
  'strategy.cooldownCandles': run([0, 24], 'entries right after an exit (cooldown decisions)'),
  'model.architecture': model(['mlp', 'tft'], 'the network'),
  'model.window': model([4, 6], 'input windows and samples'),
  'model.hidden': model([4, 6], 'the network'),
  'model.heads': model([2, 1], 'the attention layer', TFT),
  'model.dropout': model([0.1, 0.5], 'training losses'),
  'model.epochs': model([2, 1], 'epochs run'),
  'model.batchSize': model([64, 32], 'training losses'),
  'model.learningRate': model([0.002, 0.02], 'training losses'),
  'model.weightDecay': model([0.0001, 0.1], 'training losses'),
  'model.clipNorm': model([1, 0.01], 'training losses'),
  'model.quantileLossWeight': model([1, 5], 'training losses'),
  'model.patience': model([5, 1], 'when early stopping ends training', {
    'model.epochs': 8,
    'model.learningRate': 0.2,
  }),
  'model.maxTrainSamples': model([400, 200], 'training samples'),
  'model.maxMinutes': model([20, 0.1], 'the time budget stop (a clock one second per read)'),
  'model.seed': model([42, 7], 'initial weights, hence losses'),
  'model.split.train': model([0.55, 0.5], 'slice sizes'),
  'model.split.validation': model([0.15, 0.2], 'slice sizes'),
  'model.split.calibration': model([0.15, 0.2], 'slice sizes'),
  'model.conformalScale': model(['additive', 'volatility'], 'the calibration'),
  'model.targetScaling': model(['none', 'volatility'], 'the quantile targets, hence losses and calibration'),
  'model.lookbackDays': model([0, 30], 'samples used'),
  modelOverrides: model([{}, { '1h': { hidden: 6 } }], 'the 1h network'),
  'model.warmStart.enabled': warm([true, false], "whether the parent's weights are used"),
  'model.warmStart.replayShare': warm([0.5, 0.2], 'replayed older samples'),
  'model.warmStart.epochs': warm([3, 1], 'fine-tuning epochs'),
  'model.warmStart.fullRetrainEvery': warm([8, 1], 'a full retrain instead'),
  'retrain.dataQuality.minCandles': cycleData(
    [{ '5m': 2000, '1h': 2000, '12h': 500, '1d': 500 }, 5000],
    'the too-few-candles problem',
  ),
  'retrain.dataQuality.maxGapRatio': cycleData([0.02, 0.001], 'the gap problem'),
  'retrain.dataQuality.maxStalenessCandles': cycleData([3, 0], 'the staleness problem'),
  'retrain.dataQuality.maxAbsReturn': cycleData(
    [{ '5m': 0.5, '1h': 0.5, '12h': 0.75, '1d': 1 }, 0.02],
    'the outlier problem',
  ),
  'retrain.holdoutFraction': cycleData([0.2, 0.4], 'the hold-out start'),
  'data.dir': cycleData(
    [PROBE_STORE, FIXTURE_STORE],
    'which candles are read (the fixture store has no gaps)',
  ),
  'data.skipBadRows': cycleData([false, true], 'a bad row: the error or a skipped row', {
    'exchange.symbols': ['BTC/USDT', 'ETH/USDT'],
  }),
  'data.format': cycleData(['csv', 'freqtrade'], 'which files are read'),
  'exchange.name': cycleData(['binance', 'hyperliquid'], 'which exchange directory is read'),
  'exchange.warmupCandles': stream([50, 120], 'candles fetched at start-up'),
  'exchange.closeGraceMs': stream(
    [5_000, 600_000],
    'overdue candles fetched by REST while the websocket is silent',
  ),
  'exchange.reconnect.initialDelayMs': stream([200, 50], 'the delays between failed REST calls'),
  'exchange.reconnect.maxDelayMs': stream([30_000, 300], 'the delays between failed REST calls'),
  'exchange.urls.rest': stream(
    [`http://${SIM_HOST}/api/v3`, 'http://127.0.0.1:9/api/v3'],
    'which server answers REST',
  ),
  'exchange.urls.ws': stream(
    [`ws://${SIM_HOST}/stream/ws`, 'ws://127.0.0.1:9/stream/ws'],
    'which server streams candles',
  ),
  'control.enabled': live([true, false], 'whether the control API is served'),
  'control.host': live(['127.0.0.1', 'localhost'], 'the address it listens on'),
  'control.port': live([0, CONTROL_PORT], 'the port it listens on'),
  'control.allowRemote': live([false, true], 'whether a foreign Host header is refused'),
  'control.refreshSeconds': live([5, 1], 'heartbeat pushes in a quiet 3 s'),
  'logging.statusIntervalSeconds': live([0, 1], 'periodic status lines'),
  'logging.decisionSummaryMinutes': live([60, 5], 'decision summary lines'),
  'paper.quoteCurrency': live(['USDT', 'USDC'], 'the starting cash read from the exchange balance'),
  'strategy.batchWaitMs': live([250, 0], "how the 5m model's forecasts are batched across symbols"),
  'data.stateDir': live(['state', 'state-elsewhere'], 'where the state file is written'),
  'logging.level': logging(['info', 'debug'], 'which lines are written'),
  'logging.format': logging(['json', 'pretty'], 'JSON lines or readable text'),
  'alerts.webhookUrl': alerts([undefined, HOOK_URL], 'deliveries'),
  'alerts.webhookTimeoutMs': alerts([3_000, 100], 'deliveries given up', { 'alerts.webhookUrl': HOOK_URL }),
  'alerts.minSeverity': alerts(['warning', 'info'], 'which severities are posted', {
    'alerts.webhookUrl': HOOK_URL,
  }),
  'backtest.walkForwardDays': walkForward([1, 1.5], 'the windows'),
  'backtest.retrainEvery': walkForward([{}, { '1h': 2 }], 'which windows retrain'),
  // Parallelism changes no result by design (one training is the same on any thread): what
  // changes is the pool the window trainer starts and reports.
  'backtest.trainWorkers': walkForward([0, 1], "the window trainer's worker threads (its start-up line)"),
  'data.modelsDir': store(['models', 'models-elsewhere'], 'where models and the ACTIVE pointer are written'),
  'retrain.rollback.cooldownHours': store([24, 2], 'the cool-down a rollback sets'),
  'retrain.shadow.enabled': cycle([false, true], 'a cycle skipped while a candidate is in its shadow trial'),
  'retrain.worker.memoryMb': cycle(
    [2048, 1024],
    "options: the training worker's memory cap the cycle hands over",
  ),
  'retrain.worker.timeoutMinutes': cycle(
    [60, 5],
    "options: the training worker's time budget the cycle hands over",
  ),
  // By design the forecasts are bit-identical on any number of threads (test/backtest/parallel-precompute.test.ts).
  'backtest.inferenceWorkers': {
    group: 'request',
    values: [1, 0],
    via: 'options: the inference worker count backtestRequest hands to the replay (precomputeAllParallel)',
  },
  'retrain.enabled': scheduler([true, false], 'jobs scheduled at all'),
  'retrain.cron': scheduler(['0 0 * * 0', '0 6 * * *'], 'cron and next firing'),
  'retrain.timezone': scheduler(['Etc/UTC', 'America/New_York'], 'next firing'),
  'retrain.perTimeframe': scheduler(
    [{}, { '5m': { cron: '0 * * * *' }, '1d': { enabled: false } }],
    'per-timeframe cron and jobs',
  ),
  'retrain.gate.minSharpeRatio': promotion([0.95, 0.5], 'the Sharpe-vs-active reason'),
  'retrain.gate.maxDrawdown': promotion([0.15, 0.05], 'the drawdown reason'),
  'retrain.gate.minWinRate': promotion([0.4, 0.5], 'the win-rate reason'),
  'retrain.gate.minProfitFactor': promotion([1, 1.2], 'the profit-factor reason'),
  'retrain.gate.minSignals': promotion([5, 10], 'the signal-count reason'),
  'retrain.gate.coverageTolerance': promotion([0.05, 0.02], 'the band-coverage reason'),
  'retrain.gate.maxEce': promotion([0.1, 0.05], 'the ECE reason'),
  'retrain.shadow.hours': shadow([24, 48], 'running or judged'),
  'retrain.shadow.trafficSplit': shadow([0, 0.5], 'symbols routed to the candidate'),
  'retrain.shadow.minTrades': shadow([20, 60], 'the too-few-trades reason'),
  'retrain.shadow.hitRateTolerance': shadow([0.02, 0.2], 'the hit-rate reason'),
  'retrain.shadow.pnlTolerance': shadow([0, 10], 'the PnL reason'),
  'retrain.keepVersions': {
    group: 'purge',
    values: [3, 1],
    via: "purgeList over five promotions, with the cycle's model-store context",
  },
  'retrain.rollback.minHitRate': monitor([0.4, 0.5], 'the hit-rate rollback reason'),
  'retrain.rollback.window': monitor([200, 50], 'calls and outcomes in the window'),
  'retrain.rollback.exceedancePValue': monitor([0.001, 0.0001], 'the exceedance reasons'),
  'retrain.rollback.maxDrawdownSincePromotion': monitor([0.1, 0.05], 'the drawdown reason'),
  'retrain.rollback.minSamples': monitor([50, 500], 'whether hit-rate rules may fire', {
    'retrain.rollback.minHitRate': 0.5,
  }),
  'retrain.rollback.minRiskRewardRatio': monitor([0, 5], 'the realised R/R reason'),
  'retrain.rollback.edgePValue': monitor([0.01, 0.5], 'the edge-ledger reason'),
  'retrain.rollback.edgeWindow': monitor([100, 20], 'trades in the edge ledger'),
  'retrain.rollback.edgeMinTrades': monitor([30, 500], 'whether the edge rule may fire', {
    'retrain.rollback.edgePValue': 0.5,
  }),
  'retrain.drift.psiThreshold': drift([0.25, 5], 'drifted or not', MAX_PSI),
  'retrain.drift.minHoursBetweenRetrains': drift([24, 5], 'rate-limited or a retrain requested', MAX_PSI),
  'retrain.drift.windowRows': drift([500, 100], 'rows compared'),
  'retrain.drift.statistic': drift(['median', 'max'], 'drifted or not'),
};
