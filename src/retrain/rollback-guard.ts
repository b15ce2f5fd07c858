import { describeError } from '../core/errors.ts';
import type { ModelTimeframe } from '../core/types.ts';
import type { AlertSink } from './alerts.ts';
import type { ModelStoreContext } from './model-ops.ts';
import { rollbackActive } from './model-ops.ts';
import type { Degradation, LiveMonitor } from './monitor.ts';
import { activeVersion } from './registry-ops.ts';
import { readRegistry } from './registry-store.ts';

export type RollbackOutcome =
  | { readonly action: 'none' }
  /** A degradation of a version already handled (rolled back or failed once): nothing done again. */
  | { readonly action: 'already-handled'; readonly version: string }
  /** The registry's active version is not the one monitored (changed meanwhile): not touched. */
  | { readonly action: 'skipped'; readonly reason: string; readonly degradation: Degradation }
  | {
      readonly action: 'rolled-back';
      readonly from: string;
      readonly to: string;
      readonly degradation: Degradation;
    }
  | { readonly action: 'failed'; readonly error: string; readonly degradation: Degradation };

export interface RollbackGuardOptions {
  readonly store: ModelStoreContext;
  readonly alerts: AlertSink;
  /**
   * Called after a successful rollback so the running bot loads `to` (hot swap). The monitor has
   * already been reset to `to`. An error here is alerted, not thrown.
   */
  readonly onRolledBack?: (tf: ModelTimeframe, to: string, from: string) => Promise<void> | void;
}

/**
 * Turns a degraded live monitor into a rollback: previous version active (registry + ACTIVE
 * pointer, checked on disk), a cool-down before the next automatic promotion
 * (retrain.rollback.cooldownHours, set by the registry's rollback op), and a critical alert.
 * A version is acted on at most once; the monitor's minimum sample keeps noise from firing it.
 */
export class RollbackGuard {
  private readonly o: RollbackGuardOptions;
  private readonly handled = new Set<string>();
  private readonly busy = new Set<ModelTimeframe>();

  constructor(o: RollbackGuardOptions) {
    this.o = o;
  }

  /** Checks `monitor` and rolls back if it reports a degradation. Never throws. */
  async evaluate(monitor: LiveMonitor): Promise<RollbackOutcome> {
    const tf = monitor.timeframe;
    const key = `${tf}/${monitor.version}`;
    if (this.busy.has(tf)) return { action: 'none' };
    const degradation = monitor.check();
    if (!degradation) return { action: 'none' };
    if (this.handled.has(key)) return { action: 'already-handled', version: monitor.version };
    this.busy.add(tf);
    try {
      return await this.act(monitor, degradation, key);
    } finally {
      this.busy.delete(tf);
    }
  }

  private async act(monitor: LiveMonitor, d: Degradation, key: string): Promise<RollbackOutcome> {
    const { store, alerts } = this.o;
    const tf = d.timeframe;
    const why = d.reasons.join('; ');
    let active: string | undefined;
    try {
      active = activeVersion(readRegistry(store.registryPath), tf)?.version;
    } catch (e) {
      return this.fail(d, key, `reading the registry failed: ${describeError(e)}`);
    }
    if (active !== d.version) {
      const reason = `registry's active ${tf} version is ${active ?? 'none'}, not the monitored ${d.version}`;
      store.logger.warn(
        { timeframe: tf, monitored: d.version, active },
        `live monitor degradation not acted on: ${reason}`,
      );
      return { action: 'skipped', reason, degradation: d };
    }
    let r: { from: string; to: string };
    try {
      r = await rollbackActive(store, tf, `live degradation: ${why}`);
    } catch (e) {
      return this.fail(d, key, describeError(e));
    }
    this.handled.add(key);
    monitor.reset(r.to);
    alerts.raise({
      severity: 'critical',
      code: 'MODEL_ROLLED_BACK',
      timeframe: tf,
      message: `${tf} model ${r.from} rolled back to ${r.to}: ${why}. No automatic promotion for ${store.cooldownHours} h (retrain.rollback.cooldownHours).`,
    });
    if (this.o.onRolledBack)
      try {
        await this.o.onRolledBack(tf, r.to, r.from);
      } catch (e) {
        alerts.raise({
          severity: 'critical',
          code: 'MODEL_LOAD_FAILED',
          timeframe: tf,
          message: `${tf}: rolled back to ${r.to} on disk, but loading it into the running bot failed: ${describeError(e)}`,
        });
      }
    return { action: 'rolled-back', from: r.from, to: r.to, degradation: d };
  }

  private fail(d: Degradation, key: string, error: string): RollbackOutcome {
    // Once per version: a missing earlier version would otherwise alert on every check.
    this.handled.add(key);
    this.o.alerts.raise({
      severity: 'critical',
      code: 'MODEL_ROLLBACK_FAILED',
      timeframe: d.timeframe,
      message: `${d.timeframe} model ${d.version} is degraded (${d.reasons.join('; ')}) but the rollback failed: ${error}. It stays active.`,
    });
    return { action: 'failed', error, degradation: d };
  }
}
