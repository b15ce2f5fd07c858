import type { Config } from '../config/index.ts';
import { horizonFor } from '../config/index.ts';
import type { Clock } from '../core/clock.ts';
import { describeError } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import type { Logger } from '../core/logger.ts';
import type { ClosedCandle, Forecast, ModelTimeframe } from '../core/types.ts';
import { loadForecaster, versionDir } from '../models/index.ts';
import type { Forecaster, ForecastInput } from '../models/index.ts';
import { readActivePointer, versionProblem } from './active-pointer.ts';
import { createAlertSink } from './alerts.ts';
import type { AlertSink } from './alerts.ts';
import { createCycleRunner, modelStoreContext } from './cycle.ts';
import type { CycleOutcome, Refresher, Trainer } from './cycle.ts';
import { rollbackActive } from './model-ops.ts';
import { DriftDetector, readFeatureEdges } from './drift.ts';
import { LiveMonitor } from './monitor.ts';
import type { ForecastListener } from './monitored-model-set.ts';
import { RollbackGuard } from './rollback-guard.ts';
import type { RollbackOutcome } from './rollback-guard.ts';
import { exchangeRefresher } from './refresh.ts';
import { findVersion, versionsOf } from './registry-ops.ts';
import type { ModelVersion } from './registry-schema.ts';
import { readRegistry, registryPath } from './registry-store.ts';
import { ShadowTrial, finishShadow, rejectShadow, routesToCandidate, shadowStartedAt } from './shadow.ts';
import { startScheduler } from './scheduler.ts';
import type { RetrainScheduler } from './scheduler.ts';
import type { WorkerHandle } from './train-in-worker.ts';

/** The part of the strategy's ModelSet the service drives (staged swap, applied between candles). */
export interface SwappableModels {
  swap(tf: ModelTimeframe, next: Forecaster): void;
  versions(): Partial<Record<ModelTimeframe, string>>;
  /** Present on MonitoredModelSet: feeds the live monitor with every forecast served. */
  observeForecasts?(l: ForecastListener | null): void;
}

interface Shadow {
  readonly trial: ShadowTrial;
  /** The candidate's own loaded copy, disposed when the trial ends. */
  readonly model: Forecaster;
  readonly version: string;
}

/** What the monitor needs of a booked fill (the runtime's trade record fits). */
export interface TradeFill {
  readonly symbol: string;
  readonly kind: string;
  readonly qty: number;
  readonly price: number;
  /** Closing fills: realised PnL net of both fees. */
  readonly pnl?: number;
  readonly pWin?: number;
  readonly expectedEdgeBps?: number;
}

export interface RetrainServiceOptions {
  readonly config: Config;
  readonly models: SwappableModels;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default: a sink on the registry and alerts.webhookUrl. */
  readonly alerts?: AlertSink;
  /**
   * Brings the candle store up to date before each cycle. Default: the download logic against
   * exchange.name / exchange.urls; false: the store is used as it is (tests, offline setups).
   */
  readonly refresh?: Refresher | false;
  readonly train?: Trainer;
  /** Start the node-schedule jobs (default retrain.enabled). */
  readonly schedule?: boolean;
  readonly onOutcome?: (o: CycleOutcome) => void;
  /** Watch live model quality and roll a degraded version back (default true). */
  readonly monitor?: boolean;
  readonly onRollback?: (o: RollbackOutcome) => void;
}

export interface RetrainService {
  readonly alerts: AlertSink;
  readonly scheduler: RetrainScheduler;
  /**
   * Called before each execution candle is queued: when an ACTIVE pointer names another version
   * than the one loaded (our own promotion, a rollback, or `quantgate models` in another process),
   * loads it and stages the swap, so that candle is the first one the new model decides on.
   * A version that fails to load raises one alert and the old model keeps trading.
   */
  beforeCandle(): Promise<void>;
  /** One cycle now; null when a cycle for that timeframe is already running (skipped, logged). */
  runOnce(tf: ModelTimeframe, why: string): Promise<CycleOutcome | null>;
  /**
   * After the runtime processed a closed candle: the live monitor records the forecast made on it,
   * resolves forecasts whose horizon ended, and a degraded version is rolled back (the rollback
   * guard; the previous version is staged for the next candle).
   */
  afterCandle(c: ClosedCandle, equity: number, warmup: boolean): Promise<void>;
  /**
   * After the runtime booked a fill: an opening fill's promised P(win) and edge are kept per symbol,
   * and the closing fill resolves them in the execution model's monitor (the live edge ledger).
   */
  afterTrade(t: TradeFill): void;
  readonly monitors: ReadonlyMap<ModelTimeframe, LiveMonitor>;
  /** Degradation hook: rolls back to the previous version (the next candle swaps to it). */
  rollback(tf: ModelTimeframe, reason: string): Promise<{ from: string; to: string } | null>;
  /** The version each timeframe runs (or is about to run, once staged). */
  loaded(): Partial<Record<ModelTimeframe, string>>;
  /** Running shadow trials (retrain.shadow), one per timeframe at most. */
  readonly shadows: ReadonlyMap<ModelTimeframe, ShadowTrial>;
  /** The version whose forecast was last served to the strategy for (timeframe, symbol). */
  servedBy(tf: ModelTimeframe, symbol: string): string | undefined;
  /** Stops the schedule, stops a running training worker, waits for the cycle, flushes alerts. */
  stop(): Promise<void>;
}

export function startRetrainService(o: RetrainServiceOptions): RetrainService {
  const { config, clock, models } = o;
  const log = childLogger(o.logger, { component: 'retrain-service' });
  const modelsDir = config.data.modelsDir;
  const alerts =
    o.alerts ??
    createAlertSink({
      logger: log,
      registryFile: registryPath(config.data.stateDir),
      webhookUrl: config.alerts.webhookUrl,
      webhookTimeoutMs: config.alerts.webhookTimeoutMs,
      minSeverity: config.alerts.minSeverity,
      clock,
    });
  const timeframes = config.strategy.timeframes;
  const loaded = new Map<ModelTimeframe, string>(
    Object.entries(models.versions()) as Array<[ModelTimeframe, string]>,
  );
  // Whatever the pointer said when the bot started is what it loaded (live reads ACTIVE too).
  for (const tf of timeframes) {
    const p = safePointer(tf);
    if (p !== null) loaded.set(tf, p);
  }
  /** Pointer values that failed to load: alerted once, retried only when the pointer changes. */
  const failed = new Map<ModelTimeframe, string>();
  let worker: WorkerHandle | null = null;
  const running = new Map<ModelTimeframe, Promise<CycleOutcome>>();
  let stopped = false;

  function safePointer(tf: ModelTimeframe): string | null {
    try {
      return readActivePointer(modelsDir, tf);
    } catch (e) {
      log.warn({ timeframe: tf, err: describeError(e) }, 'could not read the ACTIVE pointer');
      return null;
    }
  }

  const refresher = o.refresh === undefined ? exchangeRefresher(config, clock, log) : null;
  const runner = createCycleRunner({
    config,
    clock,
    logger: o.logger,
    alerts,
    refresh: o.refresh === false ? undefined : (o.refresh ?? refresher?.refresh),
    train: o.train,
    onWorker: (h) => (worker = h),
  });

  // One cycle at a time across timeframes (two trainings on 2 cores would slow trading); a
  // timeframe already queued or running skips its next firing (the scheduler's guard).
  let serial: Promise<unknown> = Promise.resolve();
  const last = new Map<ModelTimeframe, CycleOutcome>();
  async function runCycle(tf: ModelTimeframe, why: string): Promise<CycleOutcome> {
    const p = serial.then(() => runner.run(tf, why));
    serial = p.catch(() => undefined);
    running.set(tf, p);
    try {
      const out = await p;
      last.set(tf, out);
      // Any retrain (scheduled or early) restarts the drift check's rate limit.
      drift.get(tf)?.noteRetrain();
      o.onOutcome?.(out);
      return out;
    } finally {
      running.delete(tf);
    }
  }

  const scheduler = startScheduler({
    config: o.schedule === false ? { ...config.retrain, enabled: false } : config.retrain,
    timeframes,
    runCycle: async (tf, why) => {
      await runCycle(tf, why);
    },
    logger: log,
    onSkip: (tf, why) =>
      alerts.raise({
        severity: 'warning',
        code: 'RETRAIN_OVERLAP_SKIPPED',
        message: `retrain ${tf} (${why}) skipped: the previous cycle for ${tf} is still running`,
        timeframe: tf,
      }),
  });

  const monitors = new Map<ModelTimeframe, LiveMonitor>();
  // Per symbol: what the gate promised for the open position (resolved by its closing fill).
  const promised = new Map<string, { pWin: number; edge: number; notional: number }>();
  if (o.monitor !== false)
    for (const tf of timeframes)
      monitors.set(
        tf,
        new LiveMonitor({
          timeframe: tf,
          horizon: horizonFor(config, tf),
          thresholds: config.retrain.rollback,
          version: loaded.get(tf) ?? 'none',
          logger: log,
        }),
      );
  // Feature drift of the served inputs against the active model's training deciles; strong drift
  // asks for an early retrain (only when retraining is enabled), rate-limited, with an alert.
  const drift = new Map<ModelTimeframe, DriftDetector>();
  const edgesOf = (tf: ModelTimeframe, v: string | undefined) =>
    v === undefined ? null : readFeatureEdges(versionDir(modelsDir, tf, v), log);
  for (const tf of monitors.keys())
    drift.set(
      tf,
      new DriftDetector({
        timeframe: tf,
        edges: edgesOf(tf, loaded.get(tf)),
        psiThreshold: config.retrain.drift.psiThreshold,
        minHoursBetweenRetrains: config.retrain.drift.minHoursBetweenRetrains,
        windowRows: config.retrain.drift.windowRows,
        statistic: config.retrain.drift.statistic,
        clock,
        logger: log,
        alerts,
        requestRetrain: config.retrain.enabled
          ? (t) => {
              void scheduler.trigger(t, 'feature drift');
            }
          : undefined,
      }),
    );
  const guard = new RollbackGuard({
    store: modelStoreContext(config, clock, log),
    alerts,
    onRolledBack: (tf, to) => load(tf, to),
  });
  /** The active model's forecast for each (timeframe, symbol), until its candle is recorded. */
  const served = new Map<string, Forecast>();
  const servedBy = new Map<string, string>();
  const shadows = new Map<ModelTimeframe, Shadow>();
  /** The candidate's forecast for each (timeframe, symbol) during a trial, until its candle is recorded. */
  const shadowServed = new Map<string, Forecast>();
  /** `tf|version` trials that ended or could not start in this process: never reopened. */
  const shadowDone = new Set<string>();
  const shadowCfg = config.retrain.shadow;
  const store = modelStoreContext(config, clock, log);
  const serviceStart = clock.now();
  models.observeForecasts?.((tf, inputs, out) => {
    inputs.forEach((x, i) => {
      served.set(`${tf}|${x.symbol}`, out[i]);
      drift.get(tf)?.observeWindow(x.features);
    });
    const s = shadows.get(tf);
    const cand = s === undefined ? null : shadowForecasts(tf, s, inputs);
    const res = inputs.map((x, i) => {
      const key = `${tf}|${x.symbol}`;
      if (cand !== null) shadowServed.set(key, cand[i]);
      // Traffic split: these symbols trade on the candidate for the whole trial.
      const f =
        cand !== null && s !== undefined && routesToCandidate(x.symbol, s.version, shadowCfg.trafficSplit)
          ? cand[i]
          : out[i];
      servedBy.set(key, f.modelVersion);
      return f;
    });
    return cand === null ? undefined : res;
  });

  /** The candidate's forecasts on the active model's inputs; a candidate that cannot forecast ends its trial. */
  function shadowForecasts(
    tf: ModelTimeframe,
    s: Shadow,
    inputs: readonly ForecastInput[],
  ): Forecast[] | null {
    const want = s.model.window * s.model.featureNames.length;
    const bad = inputs.find((x) => x.features.length !== want);
    if (bad !== undefined) {
      void endShadow(
        tf,
        s,
        `its input is ${s.model.window} rows × ${s.model.featureNames.length} features = ${want} values, the active model's is ${bad.features.length}`,
      );
      return null;
    }
    try {
      const f = s.model.predictBatch(inputs);
      if (f.length === inputs.length) return f;
      throw new Error(`${f.length} forecasts for ${inputs.length} inputs`);
    } catch (e) {
      void endShadow(tf, s, `it failed to forecast (${describeError(e)})`);
      return null;
    }
  }

  function dropShadow(tf: ModelTimeframe, s: Shadow): void {
    if (shadows.get(tf) !== s) return;
    shadows.delete(tf);
    shadowDone.add(`${tf}|${s.version}`);
    for (const k of [...shadowServed.keys()]) if (k.startsWith(`${tf}|`)) shadowServed.delete(k);
    s.model.dispose();
  }

  /** A trial that cannot go on: rejected, alerted, the active model alone decides again. */
  async function endShadow(tf: ModelTimeframe, s: Shadow, why: string): Promise<void> {
    dropShadow(tf, s);
    await failShadow(tf, s.version, why);
  }

  async function failShadow(tf: ModelTimeframe, version: string, why: string): Promise<void> {
    shadowDone.add(`${tf}|${version}`);
    const reason = `shadow trial ended: ${why}`;
    try {
      await rejectShadow(store, tf, version, reason);
    } catch (e) {
      log.error(
        { timeframe: tf, version, err: describeError(e) },
        'could not mark the shadow candidate rejected',
      );
    }
    alerts.raise({
      severity: 'warning',
      code: 'SHADOW_REJECTED',
      timeframe: tf,
      message: `${tf} candidate ${version} not promoted: ${reason}; ${loaded.get(tf) ?? 'no model'} keeps trading`,
    });
  }

  /** Starts (or, after a restart, resumes) the trial of a version the registry has in status 'shadow'. */
  async function openShadow(tf: ModelTimeframe, v: ModelVersion): Promise<void> {
    const active = loaded.get(tf);
    const startedAt = shadowStartedAt(v) ?? clock.now();
    if (active === undefined || active === v.version)
      return failShadow(
        tf,
        v.version,
        `no other active model to compare it with (active: ${active ?? 'none'})`,
      );
    let model: Forecaster;
    try {
      model = await loadForecaster(versionDir(modelsDir, tf, v.version), { timeframe: tf });
    } catch (e) {
      return failShadow(tf, v.version, `the candidate does not load (${describeError(e)})`);
    }
    const trial = new ShadowTrial({
      timeframe: tf,
      horizon: horizonFor(config, tf),
      activeVersion: active,
      candidateVersion: v.version,
      shadow: shadowCfg,
      rollback: config.retrain.rollback,
      roundTripCost: 2 * (config.exchange.takerFee + config.paper.slippageBps / 10_000),
      startedAt,
      clock,
      logger: log,
    });
    shadows.set(tf, { trial, model, version: v.version });
    // Resumed after a restart: the period still ends at its original time, but the would-be trades
    // before the restart were in memory only; too few left → minTrades rejects it.
    const resumed = startedAt < serviceStart;
    alerts.raise({
      severity: 'info',
      code: resumed ? 'SHADOW_RESUMED' : 'SHADOW_STARTED',
      timeframe: tf,
      message:
        `${tf} candidate ${v.version} ${resumed ? 'resumes its shadow trial' : 'runs in shadow'} beside ${active} ` +
        `until ${new Date(trial.endsAt).toISOString()}; symbols it trades: ${config.exchange.symbols.filter((x) => routesToCandidate(x, v.version, shadowCfg.trafficSplit)).join(', ') || 'none'}` +
        (resumed ? ' (after a restart: would-be trades before it are not counted)' : ''),
    });
  }

  /** Each candle: follows the registry's 'shadow' versions and ends trials whose period is over. */
  async function syncShadows(): Promise<void> {
    if (!shadowCfg.enabled) return;
    let inShadow: Map<ModelTimeframe, ModelVersion>;
    try {
      const reg = readRegistry(store.registryPath);
      inShadow = new Map();
      for (const tf of timeframes) {
        const v = versionsOf(reg, tf).find((x) => x.status === 'shadow');
        if (v !== undefined) inShadow.set(tf, v);
      }
    } catch (e) {
      log.warn({ err: describeError(e) }, 'shadow trials: could not read the registry');
      return;
    }
    for (const tf of timeframes) {
      const v = inShadow.get(tf);
      const s = shadows.get(tf);
      // Ended elsewhere (e.g. `quantgate models` by hand): stop running it.
      if (s !== undefined && s.version !== v?.version) dropShadow(tf, s);
      if (v !== undefined && !shadows.has(tf) && !shadowDone.has(`${tf}|${v.version}`))
        await openShadow(tf, v);
    }
    for (const [tf, s] of [...shadows]) {
      const verdict = s.trial.verdict();
      if (verdict.status === 'running') continue;
      const out = await finishShadow(store, alerts, s.version, verdict);
      log.info({ timeframe: tf, version: s.version, outcome: out, verdict }, 'shadow trial finished');
      // Held by a rollback cool-down: the trial keeps running and is judged again next candle.
      if (out !== 'held-cooldown') dropShadow(tf, s);
    }
  }

  /** Why the pointer's version may not be swapped in: outside the store, or unknown to the registry. */
  function refusal(tf: ModelTimeframe, version: string): string | null {
    const problem = versionProblem(modelsDir, tf, version);
    if (problem !== null) return problem;
    try {
      if (findVersion(readRegistry(registryPath(config.data.stateDir)), tf, version) === undefined)
        return `the registry does not know ${version} (promote a registered version with \`quantgate models promote\`)`;
    } catch (e) {
      return `the registry cannot be read (${describeError(e)})`;
    }
    return null;
  }

  async function load(tf: ModelTimeframe, version: string): Promise<void> {
    const old = loaded.get(tf) ?? 'none';
    const refused = refusal(tf, version);
    if (refused !== null) {
      failed.set(tf, version);
      alerts.raise({
        severity: 'critical',
        code: 'MODEL_POINTER_REFUSED',
        message: `${tf}: the ACTIVE pointer was refused: ${refused}; ${old} keeps trading`,
        timeframe: tf,
      });
      return;
    }
    try {
      const f = await loadForecaster(versionDir(modelsDir, tf, version), { timeframe: tf });
      // Staged: the ModelSet applies it at the next candle boundary and disposes the old model then.
      models.swap(tf, f);
      loaded.set(tf, version);
      drift.get(tf)?.setEdges(edgesOf(tf, version));
      failed.delete(tf);
      alerts.raise({
        severity: 'info',
        code: 'MODEL_SWAP_STAGED',
        message: `${tf}: ${version} loaded, replacing ${old} from the next candle`,
        timeframe: tf,
      });
    } catch (e) {
      failed.set(tf, version);
      alerts.raise({
        severity: 'critical',
        code: 'MODEL_LOAD_FAILED',
        message: `${tf}: the ACTIVE pointer names ${version} but it does not load (${describeError(e)}); ${old} keeps trading`,
        timeframe: tf,
      });
    }
  }

  return {
    alerts,
    scheduler,
    async beforeCandle() {
      if (stopped) return;
      // First, so a promotion after the shadow period is loaded by the pointer check below.
      await syncShadows();
      for (const tf of timeframes) {
        const p = safePointer(tf);
        if (p === null || p === loaded.get(tf) || p === failed.get(tf)) continue;
        await load(tf, p);
      }
    },
    async runOnce(tf, why) {
      last.delete(tf);
      const ran = await scheduler.trigger(tf, why);
      return ran ? (last.get(tf) ?? null) : null;
    },
    async rollback(tf, reason) {
      try {
        const r = await rollbackActive(modelStoreContext(config, clock, log), tf, reason);
        alerts.raise({
          severity: 'critical',
          code: 'MODEL_ROLLED_BACK',
          message: `${tf}: rolled back ${r.from} → ${r.to} (${reason}); the next candle trades on ${r.to}`,
          timeframe: tf,
        });
        return r;
      } catch (e) {
        alerts.raise({
          severity: 'critical',
          code: 'MODEL_ROLLBACK_FAILED',
          message: `${tf}: rollback failed (${describeError(e)}); ${loaded.get(tf) ?? 'no model'} keeps trading`,
          timeframe: tf,
        });
        return null;
      }
    },
    monitors,
    afterTrade(t) {
      if (stopped || !(t.qty > 0)) return;
      if (t.kind === 'open') {
        if (t.pWin !== undefined && t.expectedEdgeBps !== undefined)
          promised.set(t.symbol, { pWin: t.pWin, edge: t.expectedEdgeBps, notional: t.qty * t.price });
        return;
      }
      const p = promised.get(t.symbol);
      promised.delete(t.symbol);
      if (!p || t.pnl === undefined || !(p.notional > 0)) return;
      monitors.get(config.strategy.executionTimeframe)?.recordTrade({
        pWin: p.pWin,
        expectedEdgeBps: p.edge,
        won: t.kind === 'take_profit',
        realisedBps: (t.pnl / p.notional) * 10_000,
      });
    },
    async afterCandle(c, equity, warmup) {
      const tf = c.timeframe as ModelTimeframe;
      const key = `${tf}|${c.symbol}`;
      const f = served.get(key);
      served.delete(key);
      const sf = shadowServed.get(key);
      shadowServed.delete(key);
      const s = shadows.get(tf);
      if (s !== undefined && !warmup && !stopped) {
        const at = { symbol: c.symbol, timestamp: c.timestamp, price: c.close };
        if (f !== undefined) s.trial.recordActive({ ...at, forecast: f });
        if (sf !== undefined) s.trial.recordCandidate({ ...at, forecast: sf });
        s.trial.observe(c);
      }
      const m = monitors.get(tf);
      if (m === undefined || stopped) return;
      if (f !== undefined && !warmup)
        m.record({ symbol: c.symbol, timestamp: c.timestamp, price: c.close, forecast: f });
      m.observe(c);
      if (warmup) return;
      if (tf === config.strategy.executionTimeframe)
        for (const x of monitors.values()) x.observeEquity(equity);
      const r = await guard.evaluate(m);
      if (r.action !== 'none') o.onRollback?.(r);
      drift.get(tf)?.evaluate();
    },
    loaded: () => Object.fromEntries(loaded),
    get shadows() {
      return new Map([...shadows].map(([tf, s]) => [tf, s.trial]));
    },
    servedBy: (tf, symbol) => servedBy.get(`${tf}|${symbol}`),
    async stop() {
      if (stopped) return;
      stopped = true;
      scheduler.stop();
      await worker?.terminate();
      await Promise.allSettled(running.values());
      await refresher?.close();
      for (const [tf, s] of [...shadows]) dropShadow(tf, s);
      await alerts.flush();
    },
  };
}
