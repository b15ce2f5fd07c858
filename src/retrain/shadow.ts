import { createHash } from 'node:crypto';
import type { RetrainConfig } from '../config/index.ts';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { timeframeMs } from '../core/types.ts';
import type { Direction, ModelTimeframe } from '../core/types.ts';
import type { AlertSink } from './alerts.ts';
import type { ModelStoreContext } from './model-ops.ts';
import { promoteVersion } from './model-ops.ts';
import { directionalReturn } from './monitor-stats.ts';
import { LiveMonitor, degradationReasons } from './monitor.ts';
import type { ClosedPrice, ForecastRecord, MonitorThresholds, ResolvedForecast } from './monitor.ts';
import { findVersion } from './registry-ops.ts';
import type { ModelVersion, VersionStatus } from './registry-schema.ts';
import { readRegistry, updateRegistry } from './registry-store.ts';

/** retrain.shadow (the keys a trial reads). */
export type ShadowThresholds = Pick<
  RetrainConfig['shadow'],
  'hours' | 'minTrades' | 'hitRateTolerance' | 'pnlTolerance'
>;

/**
 * Whether `symbol` trades on the candidate during its shadow period (retrain.shadow.trafficSplit).
 * A hash of candidate version and symbol: the same symbols for the whole trial and across restarts,
 * a different subset for the next candidate.
 */
export function routesToCandidate(symbol: string, candidateVersion: string, fraction: number): boolean {
  if (!(fraction > 0)) return false;
  if (fraction >= 1) return true;
  const h = createHash('sha256').update(`${candidateVersion}\u0000${symbol}`).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < fraction;
}

/** A trade the model would have made: in at the forecast's close, out at the close one horizon later. */
export interface WouldBeTrade {
  readonly symbol: string;
  readonly issuedAt: number;
  readonly direction: Direction;
  readonly entry: number;
  readonly exit: number;
  /** Directional log return minus the round-trip cost. */
  readonly netLogReturn: number;
}

export interface ShadowSide {
  readonly version: string;
  readonly trades: number;
  readonly hits: number;
  readonly hitRate: number | null;
  /** Sum of the would-be trades' net log returns. */
  readonly pnl: number;
  /** Rollback rules this model fails on its shadow forecasts (retrain.rollback.*). */
  readonly degradation: readonly string[];
}

export interface ShadowVerdict {
  readonly status: 'running' | 'passed' | 'failed';
  readonly timeframe: ModelTimeframe;
  readonly startedAt: number;
  readonly endsAt: number;
  /** Failed rules when failed; why it is still running otherwise. */
  readonly reasons: readonly string[];
  readonly candidate: ShadowSide;
  readonly active: ShadowSide;
}

export interface ShadowTrialOptions {
  readonly timeframe: ModelTimeframe;
  readonly horizon: number;
  readonly activeVersion: string;
  readonly candidateVersion: string;
  readonly shadow: ShadowThresholds;
  /** retrain.rollback: the candidate must not fail what would roll it back at once. */
  readonly rollback: MonitorThresholds;
  /** Fees and slippage of a round trip as a fraction (e.g. 2 × exchange.takerFee + 2 × slippage). */
  readonly roundTripCost: number;
  /** Default: now. */
  readonly startedAt?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Would-be trades kept for inspection per model (older ones only count). */
const TRADES_KEPT = 1000;

class Ledger {
  trades = 0;
  hits = 0;
  pnl = 0;
  readonly recent: WouldBeTrade[] = [];
  /** Per symbol, when the last would-be position was opened. */
  private readonly open = new Map<string, number>();
  constructor(
    private readonly cost: number,
    private readonly horizonMs: number,
  ) {}

  add(r: ResolvedForecast): void {
    if (r.call === null) return;
    // One position per symbol, held for the horizon, as the strategy trades: a call while the last
    // would-be position is still open is no new trade.
    const last = this.open.get(r.symbol);
    if (last !== undefined && r.issuedAt < last + this.horizonMs) return;
    this.open.set(r.symbol, r.issuedAt);
    const d = directionalReturn(r.call, r.realised);
    const t: WouldBeTrade = {
      symbol: r.symbol,
      issuedAt: r.issuedAt,
      direction: r.call,
      entry: r.entry,
      exit: r.exit,
      netLogReturn: d + Math.log1p(-this.cost),
    };
    this.trades++;
    if (d > 0) this.hits++;
    this.pnl += t.netLogReturn;
    this.recent.push(t);
    if (this.recent.length > 2 * TRADES_KEPT) this.recent.splice(0, this.recent.length - TRADES_KEPT);
  }
}

/** The rollback rule a degradation reason names (its first word: hit, realised, q10, q90, drawdown). */
const ruleOf = (reason: string): string => reason.split(' ', 1)[0];

const f3 = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(3));

/**
 * An A/B comparison that risks no money: the candidate forecasts beside the active model on the
 * same live candles for retrain.shadow.hours; each model's calls become would-be trades (entry at
 * the forecast's close, exit at the close one horizon later, costs deducted). The candidate passes
 * when it made enough trades, its hit rate and summed return keep up with the active model's, and
 * it fails none of the rollback rules the active model passes on the same candles.
 */
export class ShadowTrial {
  readonly timeframe: ModelTimeframe;
  readonly candidateVersion: string;
  readonly activeVersion: string;
  readonly startedAt: number;
  private readonly o: ShadowTrialOptions;
  private readonly clock: Clock;
  private readonly mon: { active: LiveMonitor; candidate: LiveMonitor };
  private readonly book: { active: Ledger; candidate: Ledger };

  constructor(o: ShadowTrialOptions) {
    if (o.activeVersion === o.candidateVersion)
      throw new QuantgateError(
        'USAGE',
        `shadow trial ${o.timeframe}: candidate and active are the same version ${o.candidateVersion}`,
      );
    this.o = o;
    this.clock = o.clock ?? systemClock;
    this.timeframe = o.timeframe;
    this.candidateVersion = o.candidateVersion;
    this.activeVersion = o.activeVersion;
    this.startedAt = o.startedAt ?? this.clock.now();
    const hMs = o.horizon * timeframeMs(o.timeframe);
    this.book = { active: new Ledger(o.roundTripCost, hMs), candidate: new Ledger(o.roundTripCost, hMs) };
    const mk = (version: string, l: Ledger) =>
      new LiveMonitor({
        timeframe: o.timeframe,
        horizon: o.horizon,
        thresholds: o.rollback,
        version,
        onResolved: (r) => l.add(r),
      });
    this.mon = {
      active: mk(o.activeVersion, this.book.active),
      candidate: mk(o.candidateVersion, this.book.candidate),
    };
  }

  get endsAt(): number {
    return this.startedAt + this.o.shadow.hours * 3_600_000;
  }

  /** A forecast of the active model (other versions are ignored: the trial compares these two). */
  recordActive(r: ForecastRecord): void {
    if (r.forecast.modelVersion === this.activeVersion && r.timestamp >= this.startedAt)
      this.mon.active.record(r);
  }

  recordCandidate(r: ForecastRecord): void {
    if (r.forecast.modelVersion === this.candidateVersion && r.timestamp >= this.startedAt)
      this.mon.candidate.record(r);
  }

  /** A closed candle of the timeframe: resolves both models' forecasts whose horizon ends here. */
  observe(c: ClosedPrice): void {
    this.mon.active.observe(c);
    this.mon.candidate.observe(c);
  }

  /** The latest would-be trades of each model (at most 1000 kept, all counted). */
  trades(): { readonly active: readonly WouldBeTrade[]; readonly candidate: readonly WouldBeTrade[] } {
    return {
      active: this.book.active.recent.slice(-TRADES_KEPT),
      candidate: this.book.candidate.recent.slice(-TRADES_KEPT),
    };
  }

  private side(which: 'active' | 'candidate'): ShadowSide {
    const l = this.book[which];
    const m = this.mon[which];
    return {
      version: m.version,
      trades: l.trades,
      hits: l.hits,
      hitRate: l.trades > 0 ? l.hits / l.trades : null,
      pnl: l.pnl,
      degradation: degradationReasons(m.figures(), this.o.rollback),
    };
  }

  verdict(): ShadowVerdict {
    const s = this.o.shadow;
    const candidate = this.side('candidate');
    const active = this.side('active');
    const base = {
      timeframe: this.timeframe,
      startedAt: this.startedAt,
      endsAt: this.endsAt,
      candidate,
      active,
    };
    const now = this.clock.now();
    if (now < this.endsAt)
      return {
        ...base,
        status: 'running',
        reasons: [
          `shadow period runs until ${new Date(this.endsAt).toISOString()} (retrain.shadow.hours ${s.hours}); ${candidate.trades} would-be trades so far`,
        ],
      };
    const reasons: string[] = [];
    if (candidate.trades < s.minTrades)
      reasons.push(
        `${candidate.trades} would-be trades < retrain.shadow.minTrades ${s.minTrades} (too little evidence)`,
      );
    if (
      candidate.hitRate !== null &&
      active.hitRate !== null &&
      candidate.hitRate < active.hitRate - s.hitRateTolerance
    )
      reasons.push(
        `hit rate ${f3(candidate.hitRate)} trails the active model's ${f3(active.hitRate)} by more than retrain.shadow.hitRateTolerance ${s.hitRateTolerance}`,
      );
    if (candidate.pnl < active.pnl - s.pnlTolerance)
      reasons.push(
        `would-be return ${f3(candidate.pnl)} (sum of net log returns over ${candidate.trades} trades) trails the active model's ${f3(active.pnl)} over ${active.trades} by more than retrain.shadow.pnlTolerance ${s.pnlTolerance}`,
      );
    // Keeping up is relative: a rule the active model fails on the same candles too (a market the
    // tiny band widths of both missed) says nothing against the candidate.
    const activeFails = new Set(active.degradation.map(ruleOf));
    for (const d of candidate.degradation)
      if (!activeFails.has(ruleOf(d))) reasons.push(`would be rolled back: ${d}`);
    return { ...base, status: reasons.length === 0 ? 'passed' : 'failed', reasons };
  }
}

function setStatus(
  store: ModelStoreContext,
  tf: ModelTimeframe,
  version: string,
  from: readonly VersionStatus[],
  to: VersionStatus,
  reason: string,
): Promise<void> {
  const at = new Date(store.clock.now()).toISOString();
  return updateRegistry(store.registryPath, (reg) => {
    const v = findVersion(reg, tf, version);
    if (!v)
      throw new QuantgateError('MODEL_MISSING', `registry: no version "${version}" for timeframe ${tf}`);
    if (!from.includes(v.status))
      throw new QuantgateError(
        'USAGE',
        `registry: ${tf} version ${version} is ${v.status}; expected ${from.join(' or ')} to become ${to}`,
      );
    v.status = to;
    v.updatedAt = at;
    v.history.push({ at, status: to, reason });
  });
}

/** Marks a candidate that passed the gate as in its shadow period (registry status 'shadow'). */
export function beginShadow(store: ModelStoreContext, tf: ModelTimeframe, version: string): Promise<void> {
  return setStatus(store, tf, version, ['candidate'], 'shadow', 'shadow trial started');
}

/** Ends a trial that cannot run (candidate does not load or forecast, restart without resume, …). */
export function rejectShadow(
  store: ModelStoreContext,
  tf: ModelTimeframe,
  version: string,
  reason: string,
): Promise<void> {
  return setStatus(store, tf, version, ['shadow', 'candidate'], 'rejected', reason);
}

/** When the version's current shadow trial began (its last status change to 'shadow'), or null. */
export function shadowStartedAt(v: ModelVersion): number | null {
  const h = v.history.findLast((x) => x.status === 'shadow');
  return h === undefined ? null : Date.parse(h.at);
}

export type ShadowOutcome = 'running' | 'promoted' | 'rejected' | 'held-cooldown' | 'error';

/**
 * Acts on a verdict: passed → promoted (artifact verified, ACTIVE pointer, purge), unless a
 * rollback cool-down is in force; failed → rejected with the reasons. An alert either way. Never throws.
 */
export async function finishShadow(
  store: ModelStoreContext,
  alerts: AlertSink,
  version: string,
  v: ShadowVerdict,
): Promise<ShadowOutcome> {
  const tf = v.timeframe;
  const c = v.candidate;
  const figures = `${c.trades} would-be trades, hit rate ${f3(c.hitRate)} vs ${f3(v.active.hitRate)}, return ${f3(c.pnl)} vs ${f3(v.active.pnl)}`;
  try {
    if (v.status === 'running') return 'running';
    if (v.status === 'failed') {
      const why = v.reasons.join('; ');
      await setStatus(store, tf, version, ['shadow', 'candidate'], 'rejected', `shadow trial failed: ${why}`);
      alerts.raise({
        severity: 'warning',
        code: 'SHADOW_REJECTED',
        timeframe: tf,
        message: `${tf} candidate ${version} not promoted after its shadow period (${figures}): ${why}`,
      });
      return 'rejected';
    }
    const until = readRegistry(store.registryPath).cooldownUntil[tf];
    if (until !== undefined && Date.parse(until) > store.clock.now()) {
      store.logger.info(
        { timeframe: tf, version, cooldownUntil: until },
        'shadow passed; promotion waits for the cool-down',
      );
      return 'held-cooldown';
    }
    await promoteVersion(store, tf, version, `shadow trial passed: ${figures}`);
    alerts.raise({
      severity: 'info',
      code: 'SHADOW_PROMOTED',
      timeframe: tf,
      message: `${tf} candidate ${version} promoted after its shadow period (${figures})`,
    });
    return 'promoted';
  } catch (e) {
    alerts.raise({
      severity: 'critical',
      code: 'SHADOW_FINISH_FAILED',
      timeframe: tf,
      message: `${tf} candidate ${version}: acting on the shadow verdict (${v.status}) failed: ${describeError(e)}; the active model is unchanged`,
    });
    return 'error';
  }
}
