import type { Logger } from '../core/logger.ts';
import { ManualClock } from '../core/clock.ts';
import { QuantgateError } from '../core/errors.ts';
import { timeframeMs } from '../core/types.ts';
import type { Candle, ClosedCandle, ExchangeId, Forecast, ModelTimeframe, Timeframe } from '../core/types.ts';
import type { FeatureMatrix } from '../features/types.ts';
import type { ForecastInput, Forecaster } from '../models/forecaster.ts';
import { RollingQuantileForecaster } from '../models/index.ts';
import { buyAndHoldCurve } from './buy-and-hold.ts';
import type { PricePoint } from './buy-and-hold.ts';
import { scoreForecasts } from './calibration.ts';
import type { LabelRule } from './calibration.ts';
import { loadBacktestData } from './data.ts';
import type { CandleSource, Resampler } from './data.ts';
import { runReplay } from './engine.ts';
import type { ReplayOutput, ReplayTarget } from './engine.ts';
import { CachedForecaster } from './forecast-cache.ts';
import { performanceMetrics } from './metrics.ts';
import { lowerBound, mergeByCloseTime, sliceByTime } from './replay.ts';
import { groupTrades } from './summary.ts';
import type {
  BacktestResult,
  CalibrationReport,
  EquityPoint,
  TradeRecord,
  WalkForwardWindow,
} from './types.ts';
import { walkForwardSlots } from './walk-forward.ts';
import type { WalkForwardSlot } from './walk-forward.ts';

export type ModelMap = Partial<Record<ModelTimeframe, Forecaster>>;

/** Everything the backtest drives; each is the same code the live bot uses (wired in wiring.ts). */
export interface BacktestDeps {
  readonly source: CandleSource;
  readonly resample: Resampler;
  /** Batch features of one series (the feature pipeline; equal to the incremental one). */
  computeFeatures(candles: readonly Candle[], timeframe: Timeframe): FeatureMatrix;
  /** The deployed models (ACTIVE versions in the models directory). */
  loadModels(): Promise<ModelMap>;
  /** Walk-forward: trains models in-process on candles that closed before `slot.trainTo`. */
  trainModels?(
    data: Record<string, Partial<Record<Timeframe, Candle[]>>>,
    slot: WalkForwardSlot,
  ): Promise<ModelMap>;
  /** The rolling-quantile baseline forecasters (reference run). */
  baselineModels(): ModelMap;
  /** The plugin + risk manager + paper broker behind the shared per-candle step. */
  createTarget(ctx: TargetContext): Promise<ReplayTarget>;
  readonly label: LabelRule;
  readonly logger: Logger;
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
  readonly onProgress?: (phase: string, done: number, total: number) => void;
}

/**
 * Delegates to whichever model the current walk-forward window trained, so one plugin, one risk
 * manager and one paper account run through all windows (equity carries over, as it would live).
 */
export class SwitchingForecaster implements Forecaster {
  constructor(private current: Forecaster) {}
  get version(): string {
    return this.current.version;
  }
  get timeframe(): Timeframe {
    return this.current.timeframe;
  }
  get horizon(): number {
    return this.current.horizon;
  }
  get featureNames(): readonly string[] {
    return this.current.featureNames;
  }
  get window(): number {
    return this.current.window;
  }
  swap(next: Forecaster): void {
    this.current = next;
  }
  get unwrapped(): Forecaster {
    return this.current;
  }
  predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    return this.current.predictBatch(inputs);
  }
  dispose(): void {
    this.current.dispose();
  }
}

/**
 * Records every forecast the plugin was served, keyed by symbol and the open time of the candle it
 * was made on (the clock stands at that candle's close): calibration scores exactly what traded.
 */
export class RecordingForecaster implements Forecaster {
  readonly served = new Map<string, Map<number, Forecast>>();
  constructor(
    private readonly inner: Forecaster,
    private readonly clock: ManualClock,
    private readonly tfMs: number,
  ) {}
  get version(): string {
    return this.inner.version;
  }
  get timeframe(): Timeframe {
    return this.inner.timeframe;
  }
  get horizon(): number {
    return this.inner.horizon;
  }
  get featureNames(): readonly string[] {
    return this.inner.featureNames;
  }
  get window(): number {
    return this.inner.window;
  }
  /** The wrapped model (the baseline feeder needs to reach it). */
  get unwrapped(): Forecaster {
    return this.inner;
  }
  predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    const out = this.inner.predictBatch(inputs);
    const at = this.clock.now() - this.tfMs;
    inputs.forEach((x, i) => {
      let m = this.served.get(x.symbol);
      if (!m) this.served.set(x.symbol, (m = new Map()));
      m.set(at, out[i]);
    });
    return out;
  }
  dispose(): void {
    this.inner.dispose();
  }
}

/** Models whose output depends on state fed during the replay (the rolling baseline) cannot be precomputed. */
function isStateful(m: Forecaster): boolean {
  return m instanceof RollingQuantileForecaster;
}

interface PrecomputedSet {
  readonly models: ModelMap;
  readonly caches: CachedForecaster[];
}

function precomputeAll(
  models: ModelMap,
  features: Partial<Record<ModelTimeframe, Record<string, FeatureMatrix>>>,
  rowRange: (tf: ModelTimeframe, symbol: string) => { from: number; to: number } = () => ({
    from: 0,
    to: Infinity,
  }),
): PrecomputedSet {
  const out: ModelMap = {};
  const caches: CachedForecaster[] = [];
  for (const [tf, m] of Object.entries(models) as Array<[ModelTimeframe, Forecaster]>) {
    if (isStateful(m)) {
      out[tf] = m;
      continue;
    }
    const c = new CachedForecaster(m);
    for (const [sym, fm] of Object.entries(features[tf] ?? {})) c.precompute(sym, fm, rowRange(tf, sym));
    out[tf] = c;
    caches.push(c);
  }
  return { models: out, caches };
}

function recording(
  models: ModelMap,
  clock: ManualClock,
): Partial<Record<ModelTimeframe, RecordingForecaster>> {
  const out: Partial<Record<ModelTimeframe, RecordingForecaster>> = {};
  for (const [tf, m] of Object.entries(models) as Array<[ModelTimeframe, Forecaster]>)
    out[tf] = new RecordingForecaster(m, clock, timeframeMs(tf));
  return out;
}

function equityFrom(curve: readonly EquityPoint[], from: number, to: number): EquityPoint[] {
  return curve.filter((p) => p.t > from && p.t <= to);
}

function markAcrossGaps(
  trades: readonly TradeRecord[],
  gaps: BacktestResult['gaps'],
  tf: Timeframe,
): TradeRecord[] {
  return trades.map((t) =>
    gaps.some(
      (g) => g.symbol === t.symbol && g.timeframe === tf && g.after >= t.entryTime && g.before <= t.exitTime,
    )
      ? { ...t, acrossGap: true }
      : t,
  );
}

interface ReplayRun {
  readonly out: ReplayOutput;
  readonly target: ReplayTarget;
}

/** Feeds warm-up candles (closing before `from`) through `warm`, then replays [from, to) through `step`. */
async function replay(
  req: BacktestRequest,
  events: ReturnType<typeof mergeByCloseTime>,
  target: ReplayTarget,
  clock: ManualClock,
  onSlot?: (t: number) => void,
  phase = 'replay',
): Promise<ReplayOutput> {
  let i = 0;
  for (; i < events.length && events[i].closeTime <= req.from; i++) {
    clock.set(Math.max(clock.now(), events[i].closeTime));
    await target.warm(events[i].candle);
  }
  const rest = events.slice(i);
  if (!onSlot)
    return runReplay(rest, target, clock, {
      executionTimeframe: req.executionTimeframe,
      onProgress: (d, n) => req.onProgress?.(phase, d, n),
    });
  // Walk-forward: split the replay at retrain points; the same target continues across windows.
  return runReplay(rest, target, clock, {
    executionTimeframe: req.executionTimeframe,
    onProgress: (d, n) => req.onProgress?.(phase, d, n),
    beforeCandle: (c: ClosedCandle, closeTime: number) => onSlot(closeTime),
  });
}

export async function runBacktest(req: BacktestRequest, deps: BacktestDeps): Promise<BacktestResult> {
  const t0 = performance.now();
  const log = deps.logger;
  const tfs: Timeframe[] = [...new Set<Timeframe>([...req.timeframes, req.executionTimeframe])];
  const data = loadBacktestData(
    deps.source,
    deps.resample,
    req.symbols,
    tfs,
    req.executionTimeframe,
    req.from,
    req.to,
  );
  for (const w of data.warnings) log.warn(w);

  // Only the warm-up before `from` is replayed; older history is for walk-forward training.
  const replaySeries = req.symbols.flatMap((symbol) =>
    tfs.map((tf) => {
      const all = data.series[symbol][tf] ?? [];
      const fromIdx = sliceByTime(all, -Infinity, req.from).length;
      return { symbol, timeframe: tf, candles: all.slice(Math.max(0, fromIdx - req.warmupCandles)) };
    }),
  );
  const events = mergeByCloseTime(req.exchange, replaySeries);
  const features: Partial<Record<ModelTimeframe, Record<string, FeatureMatrix>>> = {};
  for (const tf of req.timeframes) {
    features[tf] = {};
    for (const s of replaySeries.filter((x) => x.timeframe === tf))
      features[tf][s.symbol] = deps.computeFeatures(s.candles, tf);
  }

  const windows: WalkForwardWindow[] = [];
  let replaySeconds: number;
  const clock = new ManualClock(0);
  let run: ReplayRun;
  let recorders: Partial<Record<ModelTimeframe, RecordingForecaster>>;
  const caches: CachedForecaster[] = [];
  if (!req.walkForward) {
    const models = await deps.loadModels();
    const missing = req.timeframes.filter((tf) => !models[tf]);
    if (missing.length > 0)
      throw new QuantgateError(
        'MODEL_MISSING',
        `no model for timeframe(s) ${missing.join(', ')} in the models directory; train first (quantgate train) or use --walk-forward`,
      );
    const pre = precomputeAll(models, features);
    caches.push(...pre.caches);
    recorders = recording(pre.models, clock);
    const target = await deps.createTarget({ clock, models: recorders, source: deps.source });
    const tr = performance.now();
    run = { out: await replay(req, events, target, clock), target };
    replaySeconds = (performance.now() - tr) / 1000;
  } else {
    if (!deps.trainModels) throw new QuantgateError('INTERNAL', 'walk-forward needs a training pipeline');
    const dataStart = Math.min(
      ...req.symbols.map((s) => data.series[s][req.executionTimeframe]?.[0]?.timestamp ?? Infinity),
    );
    const slots = walkForwardSlots(dataStart, req.from, req.to, req.walkForwardDays);
    const perSlot: PrecomputedSet[] = [];
    for (const [k, slot] of slots.entries()) {
      req.onProgress?.('train', k, slots.length);
      log.info(
        { window: k + 1, of: slots.length, trainTo: new Date(slot.trainTo).toISOString() },
        'walk-forward: training',
      );
      const models = await deps.trainModels(data.series, slot);
      // Only the candles this window's models will see (its test range, one candle of slack).
      const pre = precomputeAll(models, features, (tf, sym) => {
        const c = replaySeries.find((x) => x.symbol === sym && x.timeframe === tf)!.candles;
        const ms = timeframeMs(tf);
        return { from: lowerBound(c, slot.testFrom - 2 * ms), to: lowerBound(c, slot.testTo) };
      });
      caches.push(...pre.caches);
      perSlot.push(pre);
    }
    req.onProgress?.('train', slots.length, slots.length);
    const switching: Partial<Record<ModelTimeframe, SwitchingForecaster>> = {};
    for (const tf of req.timeframes) {
      const m = perSlot[0].models[tf];
      if (!m) throw new QuantgateError('MODEL_MISSING', `walk-forward: training produced no ${tf} model`);
      switching[tf] = new SwitchingForecaster(m);
    }
    recorders = recording(switching, clock);
    const target = await deps.createTarget({ clock, models: recorders, source: deps.source });
    let current = 0;
    const onSlot = (t: number): void => {
      // A candle closing at t belongs to the window whose test range holds t.
      while (current + 1 < slots.length && t > slots[current + 1].testFrom) {
        current++;
        for (const tf of req.timeframes) switching[tf]!.swap(perSlot[current].models[tf]!);
      }
    };
    const tr = performance.now();
    run = { out: await replay(req, events, target, clock, onSlot), target };
    replaySeconds = (performance.now() - tr) / 1000;
    const trades = run.target.account.trades();
    for (const [k, slot] of slots.entries()) {
      const curve = equityFrom(run.out.curve, slot.testFrom, slot.testTo);
      const tr = trades.filter((t) => t.exitTime > slot.testFrom && t.exitTime <= slot.testTo);
      windows.push({
        ...slot,
        modelVersions: Object.fromEntries(
          Object.entries(perSlot[k].models).map(([tf, m]) => [tf, m!.version]),
        ),
        metrics: performanceMetrics({
          curve,
          trades: tr,
          fees: tr.reduce((a, t) => a + t.fees, 0),
          funding: tr.reduce((a, t) => a + t.funding, 0),
          riskFreeRate: req.riskFreeRate,
        }),
      });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const account = run.target.account;
  const curve = run.out.curve;
  const trades = markAcrossGaps(account.trades(), data.gaps, req.executionTimeframe);

  const prices: Record<string, PricePoint[]> = {};
  const execMs = timeframeMs(req.executionTimeframe);
  for (const s of req.symbols)
    prices[s] = sliceByTime(data.series[s][req.executionTimeframe] ?? [], req.from, req.to).map((c) => ({
      t: c.timestamp + execMs,
      close: c.close,
    }));
  const bhCurve = buyAndHoldCurve(
    prices,
    curve.map((p) => p.t),
    req.startingBalance,
    req.fee,
    req.slippage,
  );

  const calibration: CalibrationReport[] = req.timeframes.map((tf) =>
    scoreForecasts(
      tf,
      req.symbols.map((s) => ({
        candles: replaySeries.find((x) => x.symbol === s && x.timeframe === tf)!.candles,
        forecasts: replaySeries
          .find((x) => x.symbol === s && x.timeframe === tf)!
          .candles.map((c) => recorders[tf]?.served.get(s)?.get(c.timestamp)),
      })),
      req.horizons[tf],
      req.from,
      req.to,
      timeframeMs(tf),
      deps.label,
    ),
  );
  const misses = caches.reduce((a, c) => a + c.stats.misses, 0);
  const warnings = [...data.warnings];
  if (misses > 0)
    warnings.push(
      `${misses} forecasts were not in the precomputed cache and ran the model directly (slower, same result)`,
    );

  let baseline: BacktestResult['baseline'] = null;
  if (!req.skipBaseline) {
    const bclock = new ManualClock(0);
    const btarget = await deps.createTarget({
      clock: bclock,
      models: deps.baselineModels(),
      source: deps.source,
    });
    const bout = await replay(req, events, btarget, bclock, undefined, 'baseline');
    baseline = performanceMetrics({
      curve: bout.curve,
      trades: btarget.account.trades(),
      fees: btarget.account.fees(),
      funding: btarget.account.funding(),
      riskFreeRate: req.riskFreeRate,
    });
  }
  const metrics = performanceMetrics({
    curve,
    trades,
    fees: account.fees(),
    funding: account.funding(),
    riskFreeRate: req.riskFreeRate,
  });
  const bhFee = req.startingBalance * req.fee;
  return {
    exchange: req.exchange,
    symbols: req.symbols,
    from: req.from,
    to: req.to,
    walkForward: req.walkForward,
    metrics,
    perSymbol: groupTrades(trades, (t) => t.symbol),
    perTimeframe: groupTrades(trades, (t) => t.timeframe),
    buyAndHold: performanceMetrics({
      curve: bhCurve,
      trades: [],
      fees: bhFee,
      funding: 0,
      riskFreeRate: req.riskFreeRate,
    }),
    baseline,
    gate: run.target.gateCounters(),
    calibration,
    windows,
    gaps: data.gaps,
    warnings,
    candles: run.out.candles,
    seconds,
    candlesPerSecond: run.out.candles / Math.max(seconds, 1e-9),
    replaySeconds,
    curve,
    buyAndHoldCurve: bhCurve,
    trades,
    signals: run.out.signals,
    prices,
  };
}
