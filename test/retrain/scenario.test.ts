import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/index.ts';
import {
  findVersion,
  modelStoreContext,
  promoteVersion,
  readActivePointer,
  readRegistry,
  registryPath,
} from '../../src/retrain/index.ts';
import {
  bootstrapVersion,
  capturingSink,
  scaledStore,
  scenarioConfig,
  startBot,
  tempRoot,
  trainerControl,
} from './bot.ts';

const FIVE_MIN = 300_000;
/** Sunday 00:00 UTC: when retrain.cron "0 0 * * 0" fires. */
const SUNDAY = Date.UTC(2026, 10, 29);

afterEach(() => {
  vi.useRealTimers();
});

describe('retraining end to end: live paper bot on the local exchange', () => {
  it('cron retrain in the worker → gate → promotion and swap between two candles; broken candidate rejected; degraded model rolled back; restart keeps the versions', async () => {
    const { root, cleanup } = tempRoot('qg-retrain-scenario-');
    const config = scenarioConfig(root);
    const alerts = capturingSink(config);
    const ctl = trainerControl();
    const regPath = registryPath(config.data.stateDir);
    const codes = () => alerts.raised.map((a) => a.code);

    // The first model, through the same cycle (no active model: absolute thresholds only).
    const v0 = await bootstrapVersion(config, alerts, ctl.trainer);

    // node-schedule reads the wall clock: put it 8 s before Sunday 00:00 UTC (fake Date only,
    // advancing with real time, so the sockets and the worker keep their real timers).
    vi.useFakeTimers({ toFake: ['Date'], now: SUNDAY - 8_000, shouldAdvanceTime: true });
    const bot = await startBot(config, { alerts, trainer: ctl.trainer });
    try {
      const service = bot.handle.retrain;
      if (service === null) throw new Error('the live runtime started no retrain service');
      expect([...service.scheduler.jobs]).toEqual([['5m', '0 0 * * 0']]);
      expect(bot.handle.runtime.status().modelVersions['5m']).toBe(v0);
      const candlesBefore = bot.handle.runtime.snapshot.decisions.candles;

      // 1. The cron fires; the bot keeps trading candle after candle while the worker trains.
      let stepsWhileRunning = 0;
      const deadline = performance.now() + 90_000;
      while (bot.outcomes.length === 0 && performance.now() < deadline) {
        await bot.step();
        if (service.scheduler.isRunning('5m')) stepsWhileRunning++;
        // A candle every 100 ms of wall time: enough to show trading goes on, without starving the worker.
        await new Promise((r) => setTimeout(r, 100));
      }
      vi.useRealTimers();
      const o1 = bot.outcomes[0];
      expect(o1).toMatchObject({ why: 'schedule 0 0 * * 0', status: 'promoted', previous: v0 });
      expect(ctl.calls).toEqual(['normal', 'normal']);
      expect(o1.timings.train).toBeGreaterThan(0);
      expect(stepsWhileRunning).toBeGreaterThanOrEqual(3);
      const v1 = o1.active as string;
      expect(v1).not.toBe(v0);
      // The verdict and every figure, candidate and active, measured on the same later hold-out.
      expect(o1.verdict?.passed).toBe(true);
      const figs = o1.verdict?.figures as Record<string, Record<string, unknown> | null>;
      for (const k of ['sharpe', 'maxDrawdown', 'winRate', 'profitFactor', 'signals', 'bandCoverage', 'ece'])
        expect(figs.candidate).toHaveProperty(k);
      expect(figs.active).not.toBeNull();
      expect(figs.activeVersion).toBe(v0);
      expect(Date.parse(o1.holdout?.from ?? '')).toBeGreaterThan(
        Date.parse(findVersion(readRegistry(regPath), '5m', v1)!.trainingWindow!.to),
      );
      let reg = readRegistry(regPath);
      expect(findVersion(reg, '5m', v1)).toMatchObject({ status: 'active', parent: v0 });
      expect(findVersion(reg, '5m', v1)?.gate?.passed).toBe(true);
      expect(findVersion(reg, '5m', v0)?.status).toBe('retired');
      expect(readActivePointer(config.data.modelsDir, '5m')).toBe(v1);

      // The swap lands between two candles: every candle before it on v0, every one after on v1.
      for (let i = 0; i < 10 && bot.steps.at(-1)?.version !== v1; i++) await bot.step();
      for (let i = 0; i < 3; i++) await bot.step();
      const versions = bot.steps.map((s) => s.version);
      const k = versions.indexOf(v1);
      expect(k).toBeGreaterThan(0);
      expect(versions.slice(0, k).every((v) => v === v0)).toBe(true);
      expect(versions.slice(k).every((v) => v === v1)).toBe(true);
      // No missed candle: consecutive open times, each processed once for both symbols.
      bot.steps.forEach((s, i) => i > 0 && expect(s.t - bot.steps[i - 1].t).toBe(FIVE_MIN));
      expect(bot.handle.runtime.snapshot.decisions.candles - candlesBefore).toBe(2 * bot.steps.length);
      expect(codes()).toContain('MODEL_SWAP_STAGED');

      // 2. A broken candidate (trained on a store whose moves are a tenth of the real ones) is
      // rejected by the gate on its P10–P90 coverage; the bot stays on v1.
      ctl.mode = { kind: 'data', dataDir: scaledStore(root, 0.1) };
      const o2 = await service.runOnce('5m', 'scenario: broken candidate');
      ctl.mode = { kind: 'normal' };
      expect(o2).toMatchObject({ status: 'rejected', stage: 'gate', previous: v1, active: v1 });
      expect(o2?.verdict?.reasons.join('\n')).toContain('retrain.gate.coverageTolerance');
      const bad = o2?.candidate as string;
      reg = readRegistry(regPath);
      expect(findVersion(reg, '5m', bad)?.status).toBe('rejected');
      expect(findVersion(reg, '5m', bad)?.gate?.passed).toBe(false);
      expect(codes()).toContain('RETRAIN_GATE_REJECTED');
      for (let i = 0; i < 2; i++) await bot.step();
      expect(bot.steps.at(-1)?.version).toBe(v1);

      // 3. Someone forces the broken version live (as `quantgate models promote` would, from
      // another process): the bot swaps to it, the live monitor sees its quantiles exceeded far
      // too often and rolls it back to v1 by itself.
      await promoteVersion(
        modelStoreContext(config, bot.sim.clock, silentLogger()),
        '5m',
        bad,
        'forced by hand (scenario)',
      );
      for (let i = 0; i < 5 && bot.steps.at(-1)?.version !== bad; i++) await bot.step();
      expect(bot.steps.at(-1)?.version).toBe(bad);
      for (let i = 0; i < 60 && bot.steps.at(-1)?.version !== v1; i++) await bot.step();
      expect(bot.steps.at(-1)?.version).toBe(v1);
      expect(codes()).toContain('MODEL_ROLLED_BACK');
      reg = readRegistry(regPath);
      expect(findVersion(reg, '5m', bad)?.status).toBe('rolled-back');
      expect(findVersion(reg, '5m', v1)?.status).toBe('active');
      expect(reg.cooldownUntil['5m']).toBeDefined();
      expect(readActivePointer(config.data.modelsDir, '5m')).toBe(v1);

      // 4. A restart comes back on the right version and continues with the next candle.
      const lastT = bot.steps.at(-1)!.t;
      await bot.restart();
      expect(bot.handle.runtime.status().modelVersions['5m']).toBe(v1);
      await bot.step();
      expect(bot.steps.at(-1)).toEqual({ t: lastT + FIVE_MIN, version: v1 });
    } finally {
      vi.useRealTimers();
      await bot.close();
      await alerts.flush();
      cleanup();
    }
  }, 240_000);
});
