import type { ManualClock } from '../core/clock.ts';
import { QuantgateError } from '../core/errors.ts';
import { timeframeMs } from '../core/types.ts';
import type { Forecast, ModelTimeframe } from '../core/types.ts';
import type { FeatureMatrix } from '../features/types.ts';
import { buyAndHoldCurve } from './buy-and-hold.ts';
import type { PricePoint } from './buy-and-hold.ts';
import { feedWarmup, runReplay } from './engine.ts';
import type { ReplayOutput, ReplayTarget } from './engine.ts';
import type { CachedForecaster } from './forecast-cache.ts';
import { AbsentForecaster, SwitchingForecaster, recording } from './forecasters.ts';
import { precomputeAllParallel } from './parallel-precompute.ts';
import type { RecordingForecaster } from './forecasters.ts';
import type { LoadedData } from './data.ts';
import { performanceMetrics } from './metrics.ts';
import { lowerBound } from './replay.ts';
import type { ReplayEvent, ReplaySeries } from './replay.ts';
import type { BacktestDeps, BacktestRequest, WindowProgress } from './request.ts';
import { probabilitySummary } from './summary.ts';
import type { EquityPoint, ProbabilitySummary, WalkForwardWindow } from './types.ts';
import { walkForwardSlots } from './walk-forward.ts';

export type { WindowProgress } from './request.ts';

export interface WalkForwardOutcome {
  readonly out: ReplayOutput;
  readonly target: ReplayTarget;
  readonly recorders: Partial<Record<ModelTimeframe, RecordingForecaster>>;
  readonly windows: WalkForwardWindow[];
  /** Timeframes a window had to run without (their training found too little history). */
  readonly warnings: string[];
  readonly cacheMisses: number;
  /** Inference + replay time (training excluded). */
  readonly replaySeconds: number;
}

interface WalkForwardInput {
  readonly req: BacktestRequest;
  readonly deps: BacktestDeps;
  readonly data: LoadedData;
  readonly replaySeries: readonly ReplaySeries[];
  readonly events: readonly ReplayEvent[];
  readonly features: Partial<Record<ModelTimeframe, Record<string, FeatureMatrix>>>;
  readonly prices: Readonly<Record<string, readonly PricePoint[]>>;
  readonly clock: ManualClock;
}

/**
 * Expanding-window walk-forward, one window at a time: take the models trained on what closed
 * before the window, predict the window's candles in batches, replay it, report it — then the
 * next. One plugin, one risk manager and one paper account run through all windows (equity carries
 * over, as it would live). Trainings of later windows run in the background meanwhile; that
 * changes no result (a window's models see only candles before its start) and a run of many hours
 * reports as it goes.
 */
export async function runWalkForward(x: WalkForwardInput): Promise<WalkForwardOutcome> {
  const { req, deps, data, events, clock } = x;
  const log = deps.logger;
  const dataStart = Math.min(
    ...req.symbols.map((s) => data.series[s][req.executionTimeframe]?.[0]?.timestamp ?? Infinity),
  );
  const slots = walkForwardSlots(dataStart, req.from, req.to, req.walkForwardDays);
  const switching: Partial<Record<ModelTimeframe, SwitchingForecaster>> = {};
  let recorders: Partial<Record<ModelTimeframe, RecordingForecaster>> = {};
  let target: ReplayTarget | undefined;
  let caches: CachedForecaster[] = [];
  let cacheMisses = 0;
  let replayMs = 0;
  const curve: EquityPoint[] = [];
  const out = {
    curve,
    signals: [] as ReplayOutput['signals'],
    fills: [] as ReplayOutput['fills'],
    candles: 0,
  };
  const windows: WalkForwardWindow[] = [];
  const warnings: string[] = [];
  let next = 0;
  let gateBefore: Readonly<Record<string, number>> = {};
  const firstReplayed = events.findIndex((e) => e.closeTime > req.from);
  const replayTotal = firstReplayed < 0 ? 0 : events.length - firstReplayed;

  // All windows are known now: their trainings start in the background (backtest.trainWorkers).
  deps.planTraining?.(slots);
  try {
    for (const [k, slot] of slots.entries()) {
      const tw = performance.now();
      req.onProgress?.('train', k, slots.length);
      log.info(
        { window: k + 1, of: slots.length, trainTo: new Date(slot.trainTo).toISOString() },
        'walk-forward: training',
      );
      const models = await deps.trainModels!(data.series, slot);
      const tp = performance.now();
      // Only the candles this window's models will see (its test range, one candle of slack). On
      // this thread: the window trainings already keep the other cores busy.
      const testRows = (tf: ModelTimeframe, sym: string): { from: number; to: number } => {
        const c = x.replaySeries.find((s) => s.symbol === sym && s.timeframe === tf)!.candles;
        const ms = timeframeMs(tf);
        return { from: lowerBound(c, slot.testFrom - 2 * ms), to: lowerBound(c, slot.testTo) };
      };
      const pre = await precomputeAllParallel(models, x.features, testRows, { workers: 0, logger: log });
      for (const tf of req.timeframes) {
        let m = pre.models[tf];
        if (!m) {
          m = pre.models[tf] = new AbsentForecaster(tf, 'not trained: too little history');
          const text = `walk-forward window ${k + 1} (retrain ${new Date(slot.trainTo).toISOString()}): no ${tf} model could be trained; the strategy ran without ${tf} forecasts in this window`;
          log.warn(text);
          warnings.push(text);
        }
        if (switching[tf]) switching[tf].swap(m);
        else switching[tf] = new SwitchingForecaster(m);
      }
      if (!target) {
        recorders = recording(switching, clock);
        target = await deps.createTarget({ clock, models: recorders, source: deps.source });
        next = await feedWarmup(events, req.from, target, clock);
      }
      // A candle closing at t belongs to the window whose test range holds t (testFrom < t ≤ testTo).
      const last = k + 1 < slots.length ? slots[k + 1].testFrom : Infinity;
      let end = next;
      while (end < events.length && events[end].closeTime <= last) end++;
      const done = out.candles;
      const part = await runReplay(events.slice(next, end), target, clock, {
        executionTimeframe: req.executionTimeframe,
        onProgress: (d) => req.onProgress?.('replay', done + d, replayTotal),
      });
      next = end;
      for (const p of part.curve) curve.push(p);
      for (const s of part.signals) out.signals.push(s);
      for (const f of part.fills) out.fills.push(f);
      out.candles += part.candles;
      replayMs += performance.now() - tp;
      // The previous window's models are no longer reachable: free them (tfjs memory is not GC'd).
      for (const c of caches) {
        cacheMisses += c.stats.misses;
        c.dispose();
      }
      caches = pre.caches;

      const gateNow = target.gateCounters();
      const window = windowResult(slot, pre.models, curve, target, req.riskFreeRate, {
        gate: gateDelta(gateBefore, gateNow),
        forecasts: servedIn(recorders[req.executionTimeframe], slot.testFrom, slot.testTo),
      });
      gateBefore = gateNow;
      windows.push(window);
      const equity = curve.length > 0 ? curve[curve.length - 1].equity : req.startingBalance;
      const t = curve.length > 0 ? curve[curve.length - 1].t : slot.testTo;
      const bh = buyAndHoldCurve(x.prices, [t], req.startingBalance, req.fee, req.slippage)[0].equity;
      const progress: WindowProgress = {
        index: k + 1,
        of: slots.length,
        window,
        equity,
        cumulativeReturn: equity / req.startingBalance - 1,
        buyAndHoldReturn: bh / req.startingBalance - 1,
        seconds: (performance.now() - tw) / 1000,
      };
      log.info(
        {
          window: progress.index,
          of: progress.of,
          test: [new Date(slot.testFrom).toISOString(), new Date(slot.testTo).toISOString()],
          return: window.metrics.totalReturn,
          sharpe: window.metrics.sharpe,
          maxDrawdown: window.metrics.maxDrawdown,
          trades: window.metrics.trades,
          cumulativeReturn: progress.cumulativeReturn,
          buyAndHoldReturn: progress.buyAndHoldReturn,
          seconds: Math.round(progress.seconds),
        },
        'walk-forward: window done',
      );
      req.onWindow?.(progress);
    }
  } finally {
    await deps.stopTraining?.();
  }
  req.onProgress?.('train', slots.length, slots.length);
  if (!target) throw new QuantgateError('INTERNAL', 'walk-forward: no window in the range');
  for (const c of caches) cacheMisses += c.stats.misses;
  return { out, target, recorders, windows, warnings, cacheMisses, replaySeconds: replayMs / 1000 };
}

function windowResult(
  slot: ReturnType<typeof walkForwardSlots>[number],
  models: Readonly<Record<string, { readonly version: string } | undefined>>,
  curve: readonly EquityPoint[],
  target: ReplayTarget,
  riskFreeRate: number,
  why: Pick<WalkForwardWindow, 'gate' | 'forecasts'>,
): WalkForwardWindow {
  const points = curve.filter((p) => p.t > slot.testFrom && p.t <= slot.testTo);
  const trades = target.account
    .trades()
    .filter((t) => t.exitTime > slot.testFrom && t.exitTime <= slot.testTo);
  return {
    ...slot,
    modelVersions: Object.fromEntries(Object.entries(models).map(([tf, m]) => [tf, m!.version])),
    metrics: performanceMetrics({
      curve: points,
      trades,
      fees: trades.reduce((a, t) => a + t.fees, 0),
      funding: trades.reduce((a, t) => a + t.funding, 0),
      riskFreeRate,
    }),
    ...why,
  };
}

/** Summary of the forecasts a recorder served for candles opening in [from, to). */
function servedIn(rec: RecordingForecaster | undefined, from: number, to: number): ProbabilitySummary {
  const out: Forecast[] = [];
  for (const bySymbol of rec?.served.values() ?? [])
    for (const [t, f] of bySymbol) if (t >= from && t < to) out.push(f);
  return probabilitySummary(out);
}

/** Counters added between two cumulative snapshots, zero ones left out. */
export function gateDelta(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}
