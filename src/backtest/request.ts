import type { Logger } from '../core/logger.ts';
import type { ManualClock } from '../core/clock.ts';
import type { Candle, ExchangeId, ModelTimeframe, Timeframe } from '../core/types.ts';
import type { FeatureMatrix } from '../features/types.ts';
import type { LabelRule } from './calibration.ts';
import type { CandleSource } from './data.ts';
import type { ReplayTarget } from './engine.ts';
import type { ModelMap } from './forecasters.ts';
import type { WalkForwardWindow } from './types.ts';
import type { WalkForwardSlot } from './walk-forward.ts';

// What a backtest is asked for and what it drives, apart from run.ts and walk-forward-run.ts so
// both can name them without importing each other.

/** Everything the backtest drives; each is the same code the live bot uses (wired in wiring.ts). */
export interface BacktestDeps {
  readonly source: CandleSource;
  /** retrain.dataQuality.maxAbsReturn for a timeframe (undefined: no outlier check). */
  maxAbsReturn?(tf: Timeframe): number | undefined;
  /**
   * Batch features of one series (the feature pipeline; equal to the incremental one). `context`
   * gives the series' symbol and the other replayed series, which the market-context and
   * higher-timeframe groups read (the same candles the plugin is fed).
   */
  computeFeatures(candles: readonly Candle[], timeframe: Timeframe, context?: SeriesContext): FeatureMatrix;
  /** The deployed models (ACTIVE versions in the models directory). */
  loadModels(): Promise<ModelMap>;
  /** Walk-forward: the models trained on candles that closed before `slot.trainTo`. */
  trainModels?(
    data: Record<string, Partial<Record<Timeframe, Candle[]>>>,
    slot: WalkForwardSlot,
  ): Promise<ModelMap>;
  /** Walk-forward: every window is known up front; start training them in the background. */
  planTraining?(slots: readonly WalkForwardSlot[]): void;
  /** Walk-forward done or failed: stop background trainings. */
  stopTraining?(): Promise<void>;
  /** The rolling-quantile baseline forecasters (reference run). */
  baselineModels(): ModelMap;
  /** The plugin + risk manager + paper broker behind the shared per-candle step. */
  createTarget(ctx: TargetContext): Promise<ReplayTarget>;
  readonly label: LabelRule;
  readonly logger: Logger;
}

/** The series whose features are computed, and the candles of the others (undefined: not replayed). */
export interface SeriesContext {
  readonly symbol: string;
  candlesOf(symbol: string, timeframe: Timeframe): readonly Candle[] | undefined;
}

export interface TargetContext {
  readonly clock: ManualClock;
  readonly models: ModelMap;
  /** The candle store as this run sees it (cut at the range end by the look-ahead analysis). */
  readonly source: CandleSource;
}

export interface BacktestRequest {
  readonly exchange: ExchangeId;
  readonly symbols: readonly string[];
  readonly timeframes: readonly ModelTimeframe[];
  readonly executionTimeframe: ModelTimeframe;
  readonly from: number;
  readonly to: number;
  readonly walkForward: boolean;
  readonly walkForwardDays: number;
  /** Candles per timeframe fed before `from` so indicators and model windows are warm. */
  readonly warmupCandles: number;
  readonly horizons: Readonly<Record<ModelTimeframe, number>>;
  readonly startingBalance: number;
  readonly fee: number;
  readonly slippage: number;
  readonly riskFreeRate: number;
  /** Skip the reference run with the baseline forecaster (it is a full second replay). */
  readonly skipBaseline?: boolean;
  /** The time-series momentum reference: lookback (default 20 days) and whether it may short (perps). */
  readonly momentum?: { readonly lookbackDays: number; readonly allowShort: boolean };
  /** backtest.inferenceWorkers: worker threads predicting beside the main thread (default 0). */
  readonly inferenceWorkers?: number;
  readonly onProgress?: (phase: string, done: number, total: number) => void;
  /** Walk-forward: called as each window finishes, so a run of many hours reports as it goes. */
  readonly onWindow?: (w: WindowProgress) => void;
}

/** What a finished walk-forward window reports while the run goes on (a stopped run keeps these). */
export interface WindowProgress {
  /** 1-based. */
  readonly index: number;
  readonly of: number;
  readonly window: WalkForwardWindow;
  /** Strategy equity at the end of this window, and its return since `from`. */
  readonly equity: number;
  readonly cumulativeReturn: number;
  /** Equal-weight buy-and-hold return since `from`, at the same instant. */
  readonly buyAndHoldReturn: number;
  /** Seconds this window took: training, inference, replay. */
  readonly seconds: number;
}
