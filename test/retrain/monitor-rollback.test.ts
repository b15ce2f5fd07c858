import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { ModelTimeframe } from '../../src/core/types.ts';
import {
  LiveMonitor,
  RollbackGuard,
  activeVersion,
  createAlertSink,
  findVersion,
  promoteVersion,
  readActivePointer,
  readRegistry,
  syncFromDisk,
} from '../../src/retrain/index.ts';
import type { AlertInput, AlertSink, ModelStoreContext } from '../../src/retrain/index.ts';
import { saveTinyVersion, storeContext, storeRoots } from './fixtures.ts';

const { fresh: freshRoot } = storeRoots('qg-monitor-');

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

/** Every forecast calls long with a tight band, and the price falls 1 % per hour: badly degraded. */
function degrade(m: LiveMonitor, count: number, version: string): void {
  let price = 100;
  for (let i = 0; i < count; i++) {
    const t = T0 + i * H;
    m.record({
      symbol: 'BTC/USDT',
      timestamp: t,
      price,
      forecast: {
        timeframe: '1h',
        pBuy: 0.7,
        pSell: 0.1,
        pHold: 0.2,
        q10: -0.002,
        q50: 0.001,
        q90: 0.004,
        modelVersion: version,
      },
    });
    price *= 0.99;
    m.observe({ symbol: 'BTC/USDT', timeframe: '1h', timestamp: t + H, close: price });
  }
}

async function twoVersions(tf: ModelTimeframe): Promise<{ ctx: ModelStoreContext; clock: ManualClock }> {
  const clock = new ManualClock(T0);
  const ctx = storeContext(freshRoot(), clock);
  await saveTinyVersion(ctx.modelsDir, tf, 'v1');
  await saveTinyVersion(ctx.modelsDir, tf, 'v2', 2);
  await syncFromDisk(ctx);
  await promoteVersion(ctx, tf, 'v1', 'first');
  clock.advance(60_000);
  await promoteVersion(ctx, tf, 'v2', 'better');
  clock.advance(60_000);
  return { ctx, clock };
}

const thresholds = {
  minHitRate: 0.4,
  window: 200,
  exceedancePValue: 0.001,
  maxDrawdownSincePromotion: 0.1,
  minSamples: 30,
  minRiskRewardRatio: 0,
  edgePValue: 0.01,
  edgeWindow: 100,
  edgeMinTrades: 30,
};

function recordingSink(): AlertSink & { raised: AlertInput[] } {
  const raised: AlertInput[] = [];
  return { raised, raise: (a) => void raised.push(a), flush: async () => undefined };
}

describe('rollback guard', () => {
  it('rolls a degraded active version back: ACTIVE pointer, registry status, stored alert, cool-down', async () => {
    const { ctx, clock } = await twoVersions('1h');
    const alerts = createAlertSink({ logger: silentLogger(), registryFile: ctx.registryPath, clock });
    const reloaded: string[] = [];
    const guard = new RollbackGuard({
      store: ctx,
      alerts,
      onRolledBack: (tf, to, from) => void reloaded.push(`${tf}:${from}->${to}`),
    });
    const m = new LiveMonitor({ timeframe: '1h', horizon: 1, thresholds, version: 'v2' });

    degrade(m, 29, 'v2');
    expect(await guard.evaluate(m)).toEqual({ action: 'none' }); // below minSamples
    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('v2');

    degrade(m, 40, 'v2');
    const out = await guard.evaluate(m);
    expect(out).toMatchObject({ action: 'rolled-back', from: 'v2', to: 'v1' });
    await alerts.flush();

    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('v1');
    const reg = readRegistry(ctx.registryPath);
    expect(findVersion(reg, '1h', 'v2')?.status).toBe('rolled-back');
    expect(findVersion(reg, '1h', 'v2')?.history.at(-1)?.reason).toContain('retrain.rollback.minHitRate');
    expect(activeVersion(reg, '1h')?.version).toBe('v1');
    expect(reg.cooldownUntil['1h']).toBe(new Date(clock.now() + 24 * H).toISOString());
    expect(reg.alerts).toHaveLength(1);
    expect(reg.alerts[0]).toMatchObject({ severity: 'critical', code: 'MODEL_ROLLED_BACK', timeframe: '1h' });
    expect(reg.alerts[0].message).toMatch(
      /^1h model v2 rolled back to v1: hit rate .*retrain\.rollback\.cooldownHours/,
    );
    expect(reloaded).toEqual(['1h:v2->v1']);
    expect(m.version).toBe('v1');
    expect(m.figures().calls).toBe(0);
  });

  it('acts once per version, and a failed rollback (no earlier version) alerts once and keeps the model', async () => {
    const clock = new ManualClock(T0);
    const ctx = storeContext(freshRoot(), clock);
    await saveTinyVersion(ctx.modelsDir, '5m', 'only');
    await syncFromDisk(ctx);
    await promoteVersion(ctx, '5m', 'only', 'first');
    const sink = recordingSink();
    const guard = new RollbackGuard({ store: ctx, alerts: sink });
    const m = new LiveMonitor({ timeframe: '5m', horizon: 1, thresholds, version: 'only' });
    m.observeEquity(1000);
    m.observeEquity(850);
    const out = await guard.evaluate(m);
    expect(out.action).toBe('failed');
    expect(out.action === 'failed' && out.error).toMatch(/no earlier version on disk/);
    expect(await guard.evaluate(m)).toEqual({ action: 'already-handled', version: 'only' });
    expect(sink.raised).toHaveLength(1);
    expect(sink.raised[0]).toMatchObject({
      severity: 'critical',
      code: 'MODEL_ROLLBACK_FAILED',
      timeframe: '5m',
    });
    expect(sink.raised[0].message).toContain('maxDrawdownSincePromotion');
    expect(readActivePointer(ctx.modelsDir, '5m')).toBe('only');
    expect(activeVersion(readRegistry(ctx.registryPath), '5m')?.status).toBe('active');
  });

  it('does not roll back when the registry has moved on to another version meanwhile', async () => {
    const { ctx } = await twoVersions('12h');
    const sink = recordingSink();
    const guard = new RollbackGuard({ store: ctx, alerts: sink });
    const m = new LiveMonitor({ timeframe: '12h', horizon: 1, thresholds, version: 'v1' });
    m.observeEquity(100);
    m.observeEquity(50);
    const out = await guard.evaluate(m);
    expect(out).toMatchObject({ action: 'skipped' });
    expect(readActivePointer(ctx.modelsDir, '12h')).toBe('v2');
    expect(sink.raised).toEqual([]);
  });
});
