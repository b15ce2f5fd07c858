import type { ClassLabel, Direction, Signal, Timeframe } from '../core/types.ts';
import type { RunProvenance, SeriesFingerprint } from './provenance.ts';

/** Account value after a candle was processed (mark-to-market at that candle's close). */
export interface EquityPoint {
  readonly t: number;
  readonly equity: number;
  /** Notional of open positions at that instant (0 = flat); used for exposure. */
  readonly exposure: number;
}

/** One round trip (open → close) as the broker filled it. */
export interface TradeRecord {
  readonly symbol: string;
  /** Timeframe whose candle triggered the entry. */
  readonly timeframe: Timeframe;
  readonly direction: Direction;
  readonly entryTime: number;
  readonly exitTime: number;
  readonly entryPrice: number;
  readonly exitPrice: number;
  readonly quantity: number;
  /** Net profit in quote currency after fees and funding. */
  readonly pnl: number;
  readonly fees: number;
  readonly funding: number;
  /** R/R of the signal that opened the trade (quantile upside / downside); NaN when unknown. */
  readonly predictedRiskReward: number;
  /** The opening signal's confidence (the gate's probability for the trade's direction). */
  readonly confidence?: number;
  /** P(the trade wins after costs) at entry, when the opening signal carries it. */
  readonly pWin?: number;
  /** Expected net return of the trade in basis points at entry, when the opening signal carries it. */
  readonly expectedEdgeBps?: number;
  /** Open time of the candle whose signal opened the trade (the fill comes one candle later). */
  readonly signalTime?: number;
  /** Stop-loss price at entry: realised R = pnl / (|entry − stop| × quantity). */
  readonly stopLoss: number;
  readonly exitReason: string;
  /** True when the exit or a mark happened at the first candle after a data gap. */
  readonly acrossGap?: boolean;
}

/** One P(win) bucket: what the gate predicted at entry against what the trades did. */
export interface LedgerBucket {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
  readonly meanPWin: number;
  /** Share of the bucket's trades that exited at their take-profit. */
  readonly realisedWinRate: number;
  readonly meanExpectedEdgeBps: number;
  /** Mean net return (PnL after fees and funding ÷ entry notional), basis points. */
  readonly meanRealisedBps: number;
}

export interface EdgeLedger {
  /** Trades whose opening signal carried a P(win) (the expected-value gate's trades). */
  readonly trades: number;
  readonly buckets: readonly LedgerBucket[];
  readonly meanPWin: number | null;
  readonly realisedWinRate: number | null;
  readonly meanExpectedEdgeBps: number | null;
  readonly meanRealisedBps: number | null;
  /**
   * z of the realised take-profit count against the predicted P(win)s (a Poisson-binomial sum,
   * normal approximation): below −2 the gate's probabilities were significantly too optimistic.
   */
  readonly winZ: number | null;
}

export interface LedgerEntry {
  readonly pWin: number;
  readonly expectedEdgeBps: number;
  readonly won: boolean;
  readonly realisedBps: number;
}

/** Metric set shared by the strategy, buy-and-hold and the baseline. Fractions are 0–1. */
export interface PerformanceMetrics {
  readonly startEquity: number;
  readonly endEquity: number;
  readonly totalReturn: number;
  readonly annualisedReturn: number;
  /** Daily returns of the equity curve (UTC days), annualised with √365, excess of riskFreeRate/365. */
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly maxDrawdown: number;
  /** Longest time under a previous equity peak, in days. */
  readonly maxDrawdownDays: number;
  readonly calmar: number | null;
  readonly winRate: number | null;
  /** Gross profit / gross loss; null when there was no losing trade. */
  readonly profitFactor: number | null;
  readonly avgRealisedR: number | null;
  readonly avgPredictedRiskReward: number | null;
  readonly trades: number;
  /** Fraction of the equity samples with an open position. */
  readonly exposure: number;
  readonly fees: number;
  readonly funding: number;
  readonly days: number;
}

/** Trade-only metrics for one symbol or one timeframe. */
export interface TradeGroupMetrics {
  readonly trades: number;
  readonly pnl: number;
  readonly fees: number;
  readonly winRate: number | null;
  readonly profitFactor: number | null;
  readonly avgRealisedR: number | null;
}

export interface ReliabilityBin {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
  readonly meanConfidence: number;
  readonly accuracy: number;
}

/** Forecast quality over the backtested period for one timeframe (only candles whose horizon ended inside the data). */
export interface CalibrationReport {
  readonly timeframe: Timeframe;
  readonly samples: number;
  readonly exceedance: { readonly q10: number; readonly q50: number; readonly q90: number };
  readonly target: { readonly q10: number; readonly q50: number; readonly q90: number };
  readonly bandCoverage: number;
  readonly ece: number;
  readonly reliability: readonly ReliabilityBin[];
  /**
   * Calibration in the large, per class: the mean predicted probability next to how often the
   * class happened, and the highest probability given. A gate threshold above `maxProbability`
   * could never have been reached by this timeframe's forecasts in the period.
   */
  readonly classes: Readonly<Record<ClassLabel, ClassCalibration>>;
}

export interface ClassCalibration {
  readonly meanProbability: number;
  readonly frequency: number;
  readonly maxProbability: number;
  /** P(class) in tenths against how often the class happened (non-empty bins only). */
  readonly reliability: readonly ReliabilityBin[];
}

export interface WalkForwardWindow {
  readonly trainFrom: number;
  readonly trainTo: number;
  readonly testFrom: number;
  readonly testTo: number;
  readonly modelVersions: Readonly<Record<string, string>>;
  readonly metrics: PerformanceMetrics;
  /** The gate's counters during this window's test week only (non-zero ones): why it did or did not trade. */
  readonly gate: Readonly<Record<string, number>>;
  /** The execution timeframe's forecasts served in this window: how close P(buy) came to the threshold. */
  readonly forecasts: ProbabilitySummary;
}

export interface ProbabilitySummary {
  readonly count: number;
  /** NaN when `count` is 0. */
  readonly meanBuy: number;
  readonly maxBuy: number;
  readonly meanSell: number;
  readonly maxSell: number;
}

export interface GapReport {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly after: number;
  readonly before: number;
  readonly missing: number;
}

export interface BacktestResult {
  readonly exchange: string;
  readonly symbols: readonly string[];
  readonly from: number;
  readonly to: number;
  readonly walkForward: boolean;
  readonly metrics: PerformanceMetrics;
  readonly perSymbol: Readonly<Record<string, TradeGroupMetrics>>;
  readonly perTimeframe: Readonly<Record<string, TradeGroupMetrics>>;
  readonly buyAndHold: PerformanceMetrics;
  readonly baseline: PerformanceMetrics | null;
  /** The time-series momentum rule (long while the lookback return is > 0, else flat; short on perps). */
  readonly momentum: PerformanceMetrics;
  readonly momentumLookbackDays: number;
  /** Predicted P(win) and edge at entry against what the trades realised (backtest/edge-ledger.ts). */
  readonly edgeLedger: EdgeLedger;
  /** Signals removed by each gate rule (the plugin's counters). */
  readonly gate: Readonly<Record<string, number>>;
  readonly calibration: readonly CalibrationReport[];
  /** Model version per timeframe of a fixed-models run (a walk-forward lists them per window). */
  readonly modelVersions: Readonly<Record<string, string>>;
  readonly windows: readonly WalkForwardWindow[];
  /** Every series the run read (replay and training), with a hash of its values. */
  readonly data: readonly SeriesFingerprint[];
  /** Code and configuration; set by the CLI, which knows the config file. */
  readonly provenance?: RunProvenance;
  readonly gaps: readonly GapReport[];
  readonly warnings: readonly string[];
  readonly candles: number;
  readonly seconds: number;
  /** Candles replayed per second end to end (loading, features, training, inference, replay). */
  readonly candlesPerSecond: number;
  /** The replay alone (warm-up + candles through the runtime), inference already precomputed. */
  readonly replaySeconds: number;
  /** Where the run's time went, per stage (absent in old results). */
  readonly stages?: BacktestStages;
  readonly curve: readonly EquityPoint[];
  readonly buyAndHoldCurve: readonly EquityPoint[];
  readonly momentumCurve: readonly EquityPoint[];
  readonly trades: readonly TradeRecord[];
  /** Every signal the plugin emitted, in replay order (look-ahead analysis compares these). */
  readonly signals: readonly Signal[];
  /** Execution-timeframe candles per symbol (`t` = close time; OHLC for the report's price chart). */
  readonly prices: Readonly<Record<string, ReadonlyArray<PriceBar>>>;
  /**
   * Further reference runs shown beside the strategy (e.g. a momentum rule). Buy-and-hold and the
   * baseline forecaster are always listed first; see `referenceRuns`.
   */
  readonly references?: readonly ReferenceRun[];
}

/** Wall and CPU seconds of one stage; CPU is the whole process's (inference worker threads included). */
export interface StageTime {
  readonly wall: number;
  readonly cpu: number;
}

/**
 * The stages of a backtest: reading and checking candles and merging them by close time (load),
 * batch features (features), models and precomputed forecasts (inference; a walk-forward trains
 * and predicts inside its replay), the warm-up and the replay through the runtime (replay), and
 * curves, references, calibration, metrics and the baseline reference run when not skipped (report;
 * outside `seconds`, which ends with the replay).
 */
export interface BacktestStages {
  readonly load: StageTime;
  readonly features: StageTime;
  readonly inference: StageTime;
  readonly replay: StageTime;
  readonly report: StageTime;
}

/** A candle of the price chart: `t` is its close time; open/high/low are absent in old results. */
export interface PriceBar {
  readonly t: number;
  readonly close: number;
  readonly open?: number;
  readonly high?: number;
  readonly low?: number;
}

/** A comparison run: its metrics and, when it has one, its equity curve (for drawdowns). */
export interface ReferenceRun {
  readonly name: string;
  readonly metrics: PerformanceMetrics;
  readonly curve: readonly EquityPoint[] | null;
}
