import type { RetrainConfig } from '../config/index.ts';
import { QuantgateError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { timeframeMs } from '../core/types.ts';
import type { Direction, Forecast, ModelTimeframe } from '../core/types.ts';
import { callFigures, drawdownFrom, edgeFigures, exceedance } from './monitor-stats.ts';
import type { CallFigures, ExceedanceFigures, ResolvedOutcome } from './monitor-stats.ts';

/** retrain.rollback (the keys the monitor reads). */
export type MonitorThresholds = Pick<
  RetrainConfig['rollback'],
  | 'minHitRate'
  | 'window'
  | 'exceedancePValue'
  | 'maxDrawdownSincePromotion'
  | 'minSamples'
  | 'minRiskRewardRatio'
  | 'edgePValue'
  | 'edgeWindow'
  | 'edgeMinTrades'
>;

/** A closed trade of the watched (execution) model, with what the gate promised at its entry. */
export interface TradeOutcome {
  readonly pWin: number;
  readonly expectedEdgeBps: number;
  /** Exited at its take-profit. */
  readonly won: boolean;
  /** Net return after fees (and funding) on the entry notional, basis points. */
  readonly realisedBps: number;
}

/** The live edge ledger over the last trades: promised vs realised. */
export interface EdgeFigures {
  readonly trades: number;
  readonly expectedWins: number;
  readonly wins: number;
  readonly meanExpectedEdgeBps: number | null;
  readonly meanRealisedBps: number | null;
  /** One-sided p of so few take-profits if the promised P(win)s were right (1 with no trades). */
  readonly pValue: number;
}

/** A forecast the active model made at the close of a candle. */
export interface ForecastRecord {
  readonly symbol: string;
  /** Open time of the closed candle the forecast was made on. */
  readonly timestamp: number;
  /** That candle's close (the price the forward return is measured from). */
  readonly price: number;
  readonly forecast: Forecast;
  /**
   * The direction the strategy traded (or would have: the gate passed). Omitted → the model's own
   * call: long / short when BUY / SELL is its most likely class, else none. null → no call.
   */
  readonly call?: Direction | null;
}

/** What the monitor needs of a closed candle (a ClosedCandle fits). */
export interface ClosedPrice {
  readonly symbol: string;
  readonly timeframe: string;
  readonly timestamp: number;
  readonly close: number;
}

export interface MonitorFigures extends CallFigures {
  readonly edge: EdgeFigures;
  readonly timeframe: ModelTimeframe;
  readonly version: string;
  /** Over forecasts a full horizon apart per symbol (non-overlapping outcomes), at most `window`; so are the call figures. */
  readonly exceedance: ExceedanceFigures;
  readonly pending: number;
  /** Forecasts dropped because the candle at their horizon never arrived (a gap). */
  readonly expired: number;
  readonly equity: number | null;
  readonly peakEquity: number | null;
  readonly drawdownSincePromotion: number;
}

export interface Degradation {
  readonly timeframe: ModelTimeframe;
  readonly version: string;
  /** One line per failed rule: the figure, the threshold and its config key. */
  readonly reasons: string[];
  readonly figures: MonitorFigures;
}

/** The model's own directional call: BUY or SELL as its most likely class. */
export function modelCall(f: Forecast): Direction | null {
  if (f.pBuy > f.pSell && f.pBuy > f.pHold) return 'long';
  if (f.pSell > f.pBuy && f.pSell > f.pHold) return 'short';
  return null;
}

/** A resolved forecast with where it came from (for would-be trade ledgers). */
export interface ResolvedForecast extends ResolvedOutcome {
  readonly symbol: string;
  /** Open time of the candle the forecast was made on. */
  readonly issuedAt: number;
  readonly entry: number;
  /** Close of the candle one horizon later. */
  readonly exit: number;
}

interface Pending {
  readonly issuedAt: number;
  readonly target: number;
  readonly price: number;
  readonly q10: number;
  readonly q90: number;
  readonly call: Direction | null;
}

export interface LiveMonitorOptions {
  readonly timeframe: ModelTimeframe;
  /** Forward-return horizon in candles (horizonFor(config, tf)). */
  readonly horizon: number;
  readonly thresholds: MonitorThresholds;
  /** The active version being watched. */
  readonly version: string;
  readonly logger?: Logger;
  /** Told of every forecast as it resolves (shadow trials keep a would-be trade ledger with it). */
  readonly onResolved?: (r: ResolvedForecast) => void;
}

const fmt = (x: number | null, d = 3): string => (x === null ? 'n/a' : x.toFixed(d));
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** Keeps the last `max` items, trimming in batches so a long window costs O(1) per push. */
function pushBounded<T>(a: T[], x: T, max: number): void {
  a.push(x);
  if (a.length >= 2 * max) a.splice(0, a.length - max);
}

const lastN = <T>(a: readonly T[], n: number): readonly T[] => (a.length > n ? a.slice(a.length - n) : a);

/**
 * Live quality of one timeframe's active model. Each forecast is resolved only by the closed
 * candle exactly `horizon` candles later (never by a still-open price), so the figures see what a
 * trader could have seen at that time and no more. Everything resets when the version changes.
 */
export class LiveMonitor {
  readonly timeframe: ModelTimeframe;
  private readonly horizonMs: number;
  private readonly t: MonitorThresholds;
  private readonly logger: Logger | undefined;
  private readonly onResolved: ((r: ResolvedForecast) => void) | undefined;
  private ver: string;
  private readonly left = new Set<string>();
  private pending = new Map<string, Pending[]>();
  /** Non-overlapping outcomes only (see observe): the binomial test assumes independent trials. */
  private resolved: ResolvedOutcome[] = [];
  /** Per symbol, the issue time of the last outcome that entered `resolved`. */
  private lastCounted = new Map<string, number>();
  private lastCalled = new Map<string, number>();
  private calls: ResolvedOutcome[] = [];
  private trades: TradeOutcome[] = [];
  private expired = 0;
  private equity: number | null = null;
  private peak: number | null = null;

  constructor(o: LiveMonitorOptions) {
    if (!Number.isInteger(o.horizon) || o.horizon < 1)
      throw new QuantgateError(
        'CONFIG_INVALID',
        `labels.horizon.${o.timeframe}: the monitor needs an integer horizon >= 1, got ${o.horizon}`,
      );
    this.timeframe = o.timeframe;
    this.horizonMs = o.horizon * timeframeMs(o.timeframe);
    this.t = o.thresholds;
    this.logger = o.logger;
    this.onResolved = o.onResolved;
    this.ver = o.version;
  }

  get version(): string {
    return this.ver;
  }

  /** Starts over for a newly active version (after a promotion, a hot swap or a rollback). */
  reset(version: string): void {
    // Forecasts the left version still serves until the swap reaches every symbol must not pull
    // the monitor back to it (until the new version's first forecast arrives).
    if (version !== this.ver) this.left.add(this.ver);
    this.left.delete(version);
    this.ver = version;
    this.pending = new Map();
    this.resolved = [];
    this.lastCounted = new Map();
    this.lastCalled = new Map();
    this.calls = [];
    this.trades = [];
    this.expired = 0;
    this.peak = this.equity;
  }

  /**
   * Records a forecast of the active model. A forecast from a version not seen before restarts the
   * monitor for it (a hot swap); one from a version it was just reset away from is ignored until
   * the new version's first forecast (the swap reaches symbols at the next candle).
   */
  record(r: ForecastRecord): void {
    if (r.forecast.timeframe !== this.timeframe) return;
    if (!(r.price > 0) || ![r.forecast.q10, r.forecast.q90].every(Number.isFinite)) return;
    if (r.forecast.modelVersion !== this.ver) {
      if (this.left.has(r.forecast.modelVersion)) return;
      this.logger?.info(
        { timeframe: this.timeframe, from: this.ver, to: r.forecast.modelVersion },
        'live monitor follows the new active version',
      );
      this.reset(r.forecast.modelVersion);
    }
    // The new version serves now: a later return of an old one is a real swap again.
    this.left.clear();
    const list = this.pending.get(r.symbol) ?? [];
    list.push({
      issuedAt: r.timestamp,
      target: r.timestamp + this.horizonMs,
      price: r.price,
      q10: r.forecast.q10,
      q90: r.forecast.q90,
      call: r.call === undefined ? modelCall(r.forecast) : r.call,
    });
    this.pending.set(r.symbol, list);
  }

  /** Feeds a closed candle of this timeframe; resolves the forecasts whose horizon ends at it. Returns how many. */
  observe(c: ClosedPrice): number {
    if (c.timeframe !== this.timeframe || !(c.close > 0)) return 0;
    const list = this.pending.get(c.symbol);
    if (!list) return 0;
    let done = 0;
    const keep: Pending[] = [];
    for (const p of list) {
      if (p.target > c.timestamp) keep.push(p);
      else if (p.target < c.timestamp) this.expired++;
      else {
        const out: ResolvedOutcome = {
          q10: p.q10,
          q90: p.q90,
          realised: Math.log(c.close / p.price),
          call: p.call,
        };
        // Forecasts issued less than one horizon apart share most of their forward return, so
        // their misses and hits come in runs; counting them all would make the binomial p-value
        // far too small and the hit rate far noisier than its count suggests (false rollbacks).
        // Only outcomes (and calls) a full horizon apart per symbol are counted.
        if (this.spaced(this.lastCounted, c.symbol, p.issuedAt))
          pushBounded(this.resolved, out, this.t.window);
        if (out.call !== null && this.spaced(this.lastCalled, c.symbol, p.issuedAt))
          pushBounded(this.calls, out, this.t.window);
        done++;
        this.onResolved?.({ ...out, symbol: c.symbol, issuedAt: p.issuedAt, entry: p.price, exit: c.close });
      }
    }
    if (keep.length > 0) this.pending.set(c.symbol, keep);
    else this.pending.delete(c.symbol);
    return done;
  }

  /** True (and remembered) when `issuedAt` is at least one horizon after the last counted for `symbol`. */
  private spaced(last: Map<string, number>, symbol: string, issuedAt: number): boolean {
    const prev = last.get(symbol);
    if (prev !== undefined && issuedAt < prev + this.horizonMs) return false;
    last.set(symbol, issuedAt);
    return true;
  }

  /** A closed trade decided on this model's forecasts (execution timeframe), for the live edge ledger. */
  recordTrade(t: TradeOutcome): void {
    if (!Number.isFinite(t.pWin) || !Number.isFinite(t.realisedBps)) return;
    pushBounded(this.trades, t, this.t.edgeWindow);
  }

  /** The account equity as the runtime sees it; the drawdown counts from the peak since this version went live. */
  observeEquity(equity: number): void {
    if (!Number.isFinite(equity)) return;
    this.equity = equity;
    if (this.peak === null || equity > this.peak) this.peak = equity;
  }

  figures(): MonitorFigures {
    let pending = 0;
    for (const l of this.pending.values()) pending += l.length;
    return {
      timeframe: this.timeframe,
      version: this.ver,
      ...callFigures(lastN(this.calls, this.t.window)),
      edge: edgeFigures(lastN(this.trades, this.t.edgeWindow)),
      exceedance: exceedance(lastN(this.resolved, this.t.window)),
      pending,
      expired: this.expired,
      equity: this.equity,
      peakEquity: this.peak,
      drawdownSincePromotion:
        this.peak !== null && this.equity !== null ? drawdownFrom(this.peak, this.equity) : 0,
    };
  }

  /** undefined while the model holds up (or the sample is too small to say), else every failed rule. */
  check(): Degradation | undefined {
    const figures = this.figures();
    const reasons = degradationReasons(figures, this.t);
    return reasons.length > 0
      ? { timeframe: this.timeframe, version: this.ver, reasons, figures }
      : undefined;
  }
}

/** Pure: which rules the figures fail, each naming its config key and the numbers. */
export function degradationReasons(f: MonitorFigures, t: MonitorThresholds): string[] {
  const out: string[] = [];
  if (f.calls >= t.minSamples && f.hitRate !== null && f.hitRate < t.minHitRate)
    out.push(
      `hit rate ${fmt(f.hitRate)} over the last ${f.calls} calls < retrain.rollback.minHitRate ${t.minHitRate}`,
    );
  if (
    t.minRiskRewardRatio > 0 &&
    f.calls >= t.minSamples &&
    f.riskRewardRatio !== null &&
    f.riskRewardRatio < t.minRiskRewardRatio
  )
    out.push(
      `realised R/R ${fmt(f.realisedRiskReward)} vs predicted ${fmt(f.predictedRiskReward)} (ratio ${fmt(f.riskRewardRatio)}) over ${f.calls} calls < retrain.rollback.minRiskRewardRatio ${t.minRiskRewardRatio}`,
    );
  const e = f.exceedance;
  if (e.n >= t.minSamples) {
    for (const [name, k, p] of [
      ['q10', e.q10Misses, e.q10PValue],
      ['q90', e.q90Misses, e.q90PValue],
    ] as const)
      if (p < t.exceedancePValue)
        out.push(
          `${name} exceeded by ${k} of ${e.n} non-overlapping outcomes (${pct(k / e.n)}, nominal 10 %): binomial p = ${p.toExponential(2)} < retrain.rollback.exceedancePValue ${t.exceedancePValue}`,
        );
  }
  const g = f.edge;
  if (t.edgePValue > 0 && g.trades >= t.edgeMinTrades && g.pValue < t.edgePValue)
    out.push(
      `realised edge below the promised one: ${g.wins} take-profits in ${g.trades} trades where the gate's P(win)s promised ${g.expectedWins.toFixed(1)} (mean ${fmt(g.meanRealisedBps, 1)} bps realised vs ${fmt(g.meanExpectedEdgeBps, 1)} expected): p = ${g.pValue.toExponential(2)} < retrain.rollback.edgePValue ${t.edgePValue}`,
    );
  if (f.drawdownSincePromotion > t.maxDrawdownSincePromotion)
    out.push(
      `drawdown since promotion ${pct(f.drawdownSincePromotion)} (equity ${fmt(f.equity, 2)} from peak ${fmt(f.peakEquity, 2)}) > retrain.rollback.maxDrawdownSincePromotion ${pct(t.maxDrawdownSincePromotion)}`,
    );
  return out;
}
