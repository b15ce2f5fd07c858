import { ManualClock } from '../core/clock.ts';
import { QuantgateError } from '../core/errors.ts';
import { timeframeMs } from '../core/types.ts';
import type { ModelTimeframe, Timeframe } from '../core/types.ts';
import type { FeatureMatrix } from '../features/types.ts';
import { buyAndHoldCurve } from './buy-and-hold.ts';
import { momentumCurve } from './momentum-reference.ts';
import { edgeLedger, ledgerEntries } from './edge-ledger.ts';
import type { PricePoint } from './buy-and-hold.ts';
import { scoreForecasts } from './calibration.ts';
import { loadBacktestData } from './data.ts';
import { feedWarmup, runReplay } from './engine.ts';
import type { ReplayOutput, ReplayTarget } from './engine.ts';
import type { CachedForecaster } from './forecast-cache.ts';
import { performanceMetrics } from './metrics.ts';
import { mergeByCloseTime, sliceByTime } from './replay.ts';
import type { ReplayEvent } from './replay.ts';
import { seriesFingerprint } from './provenance.ts';
import { groupTrades } from './summary.ts';
import type {
  BacktestResult,
  BacktestStages,
  CalibrationReport,
  StageTime,
  TradeRecord,
  WalkForwardWindow,
} from './types.ts';
import { runWalkForward } from './walk-forward-run.ts';
import type { BacktestDeps, BacktestRequest } from './request.ts';
import { recording } from './forecasters.ts';
import { precomputeAllParallel } from './parallel-precompute.ts';
import type { RecordingForecaster } from './forecasters.ts';

export type { ModelMap } from './forecasters.ts';

export type { BacktestDeps, BacktestRequest, SeriesContext, TargetContext } from './request.ts';

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

/** Feeds the warm-up candles, then replays [from, to) through the target's per-candle step. */
async function replayAll(
  req: BacktestRequest,
  events: readonly ReplayEvent[],
  target: ReplayTarget,
  clock: ManualClock,
  phase = 'replay',
): Promise<ReplayOutput> {
  const first = await feedWarmup(events, req.from, target, clock);
  return runReplay(events.slice(first), target, clock, {
    executionTimeframe: req.executionTimeframe,
    onProgress: (d, n) => req.onProgress?.(phase, d, n),
  });
}

/** Wall and process CPU seconds since the last call, per stage (several calls of a stage add up). */
function stageClock(): { lap(stage: keyof BacktestStages): void; stages(): BacktestStages } {
  const zero = (): StageTime => ({ wall: 0, cpu: 0 });
  const acc: Record<keyof BacktestStages, StageTime> = {
    load: zero(),
    features: zero(),
    inference: zero(),
    replay: zero(),
    report: zero(),
  };
  const cpuNow = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let wall = performance.now();
  let cpu = cpuNow();
  return {
    lap(stage) {
      const w = performance.now();
      const c = cpuNow();
      acc[stage] = { wall: acc[stage].wall + (w - wall) / 1000, cpu: acc[stage].cpu + (c - cpu) };
      wall = w;
      cpu = c;
    },
    stages: () => ({ ...acc }),
  };
}

export async function runBacktest(req: BacktestRequest, deps: BacktestDeps): Promise<BacktestResult> {
  const t0 = performance.now();
  const clockOf = stageClock();
  const log = deps.logger;
  const tfs: Timeframe[] = [...new Set<Timeframe>([...req.timeframes, req.executionTimeframe])];
  const data = loadBacktestData(
    deps.source,
    req.symbols,
    tfs,
    req.executionTimeframe,
    req.from,
    req.to,
    (tf) => deps.maxAbsReturn?.(tf),
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
  clockOf.lap('load');
  const features: Partial<Record<ModelTimeframe, Record<string, FeatureMatrix>>> = {};
  for (const tf of req.timeframes) {
    features[tf] = {};
    for (const s of replaySeries.filter((x) => x.timeframe === tf))
      features[tf][s.symbol] = deps.computeFeatures(s.candles, tf, {
        symbol: s.symbol,
        candlesOf: (sym, t) => replaySeries.find((x) => x.symbol === sym && x.timeframe === t)?.candles,
      });
  }
  clockOf.lap('features');

  const prices: Record<string, PricePoint[]> = {};
  const execMs = timeframeMs(req.executionTimeframe);
  for (const s of req.symbols)
    prices[s] = sliceByTime(data.series[s][req.executionTimeframe] ?? [], req.from, req.to).map((c) => ({
      t: c.timestamp + execMs,
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
    }));
  const windows: WalkForwardWindow[] = [];
  let walkForwardMisses = 0;
  const walkForwardWarnings: string[] = [];
  let replaySeconds: number;
  const clock = new ManualClock(0);
  let run: { out: ReplayOutput; target: ReplayTarget };
  let recorders: Partial<Record<ModelTimeframe, RecordingForecaster>>;
  let modelVersions: Record<string, string> = {};
  const caches: CachedForecaster[] = [];
  if (!req.walkForward) {
    const models = await deps.loadModels();
    const missing = req.timeframes.filter((tf) => !models[tf]);
    if (missing.length > 0)
      throw new QuantgateError(
        'MODEL_MISSING',
        `no model for timeframe(s) ${missing.join(', ')} in the models directory; train first (quantgate train) or use --walk-forward`,
      );
    const pre = await precomputeAllParallel(models, features, () => ({ from: 0, to: Infinity }), {
      workers: req.inferenceWorkers ?? 0,
      logger: log,
    });
    caches.push(...pre.caches);
    modelVersions = Object.fromEntries(Object.entries(models).map(([tf, m]) => [tf, m!.version]));
    recorders = recording(pre.models, clock);
    const target = await deps.createTarget({ clock, models: recorders, source: deps.source });
    clockOf.lap('inference');
    const tr = performance.now();
    run = { out: await replayAll(req, events, target, clock), target };
    replaySeconds = (performance.now() - tr) / 1000;
    clockOf.lap('replay');
  } else {
    if (!deps.trainModels) throw new QuantgateError('INTERNAL', 'walk-forward needs a training pipeline');
    const wf = await runWalkForward({ req, deps, data, replaySeries, events, features, prices, clock });
    run = { out: wf.out, target: wf.target };
    recorders = wf.recorders;
    windows.push(...wf.windows);
    walkForwardMisses = wf.cacheMisses;
    walkForwardWarnings.push(...wf.warnings);
    replaySeconds = wf.replaySeconds;
    // Training and prediction run inside the walk-forward's replay: one stage here.
    clockOf.lap('replay');
  }
  const seconds = (performance.now() - t0) / 1000;
  const account = run.target.account;
  const curve = run.out.curve;
  const trades = markAcrossGaps(account.trades(), data.gaps, req.executionTimeframe);

  const bhCurve = buyAndHoldCurve(
    prices,
    curve.map((p) => p.t),
    req.startingBalance,
    req.fee,
    req.slippage,
  );

  const mom = momentumCurve(
    prices,
    curve.map((p) => p.t),
    {
      startingBalance: req.startingBalance,
      fee: req.fee,
      slippage: req.slippage,
      lookbackDays: req.momentum?.lookbackDays ?? 20,
      allowShort: req.momentum?.allowShort ?? false,
    },
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
  const misses = caches.reduce((a, c) => a + c.stats.misses, walkForwardMisses);
  const warnings = [...data.warnings, ...walkForwardWarnings];
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
    const bout = await replayAll(req, events, btarget, bclock, 'baseline');
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
  clockOf.lap('report');
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
    momentum: performanceMetrics({
      curve: mom.curve,
      trades: [],
      fees: mom.fees,
      funding: 0,
      riskFreeRate: req.riskFreeRate,
    }),
    momentumLookbackDays: req.momentum?.lookbackDays ?? 20,
    edgeLedger: edgeLedger(ledgerEntries(trades, run.out.signals, req.executionTimeframe)),
    gate: run.target.gateCounters(),
    calibration,
    modelVersions,
    windows,
    data: req.symbols.flatMap((s) =>
      tfs.flatMap((tf) => {
        const c = data.series[s][tf];
        return c ? [seriesFingerprint(s, tf, c)] : [];
      }),
    ),
    gaps: data.gaps,
    warnings,
    candles: run.out.candles,
    seconds,
    candlesPerSecond: run.out.candles / Math.max(seconds, 1e-9),
    replaySeconds,
    stages: clockOf.stages(),
    curve,
    buyAndHoldCurve: bhCurve,
    momentumCurve: mom.curve,
    trades,
    signals: run.out.signals,
    prices,
  };
}
