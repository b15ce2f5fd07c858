import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { loadForecaster, versionDir } from '../../src/models/index.ts';
import type { ForecastInput } from '../../src/models/index.ts';
import {
  MonitoredModelSet,
  beginShadow,
  findVersion,
  promoteVersion,
  readRegistry,
  routesToCandidate,
  startRetrainService,
  syncFromDisk,
} from '../../src/retrain/index.ts';
import type { AlertInput, AlertSink } from '../../src/retrain/index.ts';
import { scenarioConfig } from './bot.ts';
import { saveTinyVersion, storeContext, storeRoots } from './fixtures.ts';

const { fresh } = storeRoots('qg-shadow-split-');
const T0 = Date.UTC(2026, 0, 1);
const SPLIT = 0.5;

function recordingSink(): AlertSink & { raised: AlertInput[] } {
  const raised: AlertInput[] = [];
  return { raised, raise: (a) => void raised.push(a), flush: async () => undefined };
}

describe('shadow trial in the retrain service: traffic split', () => {
  it('serves the candidate to the routed symbols only, the active model to the rest; after the period the trial ends and the active model serves all', async () => {
    const root = fresh();
    const clock = new ManualClock(T0);
    const ctx = storeContext(root, clock);
    await saveTinyVersion(ctx.modelsDir, '5m', 'v1');
    await saveTinyVersion(ctx.modelsDir, '5m', 'v2', 2);
    await syncFromDisk(ctx);
    await promoteVersion(ctx, '5m', 'v1', 'first');
    await beginShadow(ctx, '5m', 'v2');
    // scenarioConfig's models and state directories are the store's.
    const config = scenarioConfig(root, { shadow: { enabled: true, hours: 1, trafficSplit: SPLIT } });
    const active = await loadForecaster(versionDir(ctx.modelsDir, '5m', 'v1'), { timeframe: '5m' });
    const models = new MonitoredModelSet(silentLogger(), { '5m': active });
    const alerts = recordingSink();
    const service = startRetrainService({
      config,
      models,
      clock,
      logger: silentLogger(),
      alerts,
      refresh: false,
      schedule: false,
    });
    const symbols = Array.from({ length: 24 }, (_, i) => `S${i}/USDT`);
    const inputs: ForecastInput[] = symbols.map((symbol, i) => ({
      symbol,
      features: Float32Array.from({ length: active.window * active.featureNames.length }, (_, j) =>
        Math.sin(i * 7 + j),
      ),
    }));
    try {
      await service.beforeCandle();
      expect(service.shadows.get('5m')?.candidateVersion).toBe('v2');
      expect(alerts.raised.map((a) => a.code)).toContain('SHADOW_STARTED');
      models.beginCandle();
      const served = models.predict('5m', inputs)?.map((f) => f.modelVersion);
      const want = symbols.map((s) => (routesToCandidate(s, 'v2', SPLIT) ? 'v2' : 'v1'));
      expect(served).toEqual(want);
      expect(new Set(want)).toEqual(new Set(['v1', 'v2']));
      symbols.forEach((s, i) => expect(service.servedBy('5m', s)).toBe(want[i]));

      // The period is over with no would-be trades (< minTrades 20): rejected, alerted, v1 serves all.
      clock.set(T0 + 3_600_000);
      await service.beforeCandle();
      expect(service.shadows.size).toBe(0);
      expect(alerts.raised.find((a) => a.code === 'SHADOW_REJECTED')?.message).toContain(
        'retrain.shadow.minTrades',
      );
      expect(findVersion(readRegistry(ctx.registryPath), '5m', 'v2')?.status).toBe('rejected');
      models.beginCandle();
      expect(models.predict('5m', inputs)?.every((f) => f.modelVersion === 'v1')).toBe(true);
    } finally {
      await service.stop();
      models.dispose();
    }
  }, 30_000);
});
