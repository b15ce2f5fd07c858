import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '../../src/core/index.ts';
import { trainModel } from '../../src/models/index.ts';
import {
  activePointerPath,
  activeVersion,
  modelStoreContext,
  promoteVersion,
  readActivePointer,
  readRegistry,
  registryPath,
  syncFromDisk,
  writeActivePointer,
} from '../../src/retrain/index.ts';
import type { Bot } from './bot.ts';
import {
  FIXTURES,
  SYMBOLS,
  T0,
  capturingSink,
  scenarioConfig,
  startBot,
  tempRoot,
  trainerControl,
} from './bot.ts';

describe('retrain failures leave the bot trading on the old model, with an alert', () => {
  it('killed worker, write failure, corrupted candidate directory, corrupt registry file', async () => {
    const { root, cleanup } = tempRoot('qg-retrain-failures-');
    const config = scenarioConfig(root);
    const alerts = capturingSink(config);
    const ctl = trainerControl();
    const store = modelStoreContext(config, new ManualClock(T0), silentLogger());
    // The old model: trained in-process on candles before the live start, registered, active.
    const r0 = await trainModel({
      config,
      timeframe: '5m',
      symbols: SYMBOLS,
      exchange: 'binance',
      dataDir: FIXTURES,
      to: T0,
      clock: new ManualClock(T0),
      logger: silentLogger(),
    });
    await syncFromDisk(store);
    await promoteVersion(store, '5m', r0.version, 'test: the old model');
    const v0 = r0.version;

    const bot: Bot = await startBot(config, { alerts, trainer: ctl.trainer, schedule: false });
    const service = bot.handle.retrain;
    if (service === null) throw new Error('no retrain service');
    const last = () => alerts.raised.at(-1);
    /** Two more candles, both decided on by the old model. */
    const stillOnOld = async (): Promise<void> => {
      const before = bot.handle.runtime.snapshot.decisions.candles;
      await bot.step();
      await bot.step();
      expect(bot.steps.slice(-2).map((s) => s.version)).toEqual([v0, v0]);
      expect(bot.handle.runtime.snapshot.decisions.candles - before).toBe(2 * SYMBOLS.length);
      expect(readActivePointer(config.data.modelsDir, '5m')).toBe(v0);
    };
    try {
      await stillOnOld();

      // A worker killed mid-training.
      ctl.mode = { kind: 'kill' };
      const killed = await service.runOnce('5m', 'test: killed worker');
      expect(killed).toMatchObject({ status: 'failed', stage: 'train', active: v0 });
      expect(last()).toMatchObject({ severity: 'critical', code: 'RETRAIN_TRAIN_CRASH' });
      await stillOnOld();

      // A write failure at the promotion (the pointer's temp file cannot be written: as on a
      // full disk; a read-only mode would not stop root). The registry is put back as it was.
      ctl.mode = { kind: 'normal' };
      const blocker = `${activePointerPath(config.data.modelsDir, '5m')}.tmp`;
      mkdirSync(blocker);
      const noWrite = await service.runOnce('5m', 'test: write failure');
      rmdirSync(blocker);
      expect(noWrite).toMatchObject({ status: 'failed', stage: 'promote', active: v0 });
      expect(noWrite?.verdict?.passed).toBe(true);
      expect(last()).toMatchObject({ severity: 'critical', code: 'RETRAIN_PROMOTE_FAILED' });
      expect(last()?.message).toContain('ACTIVE');
      expect(activeVersion(readRegistry(registryPath(config.data.stateDir)), '5m')?.version).toBe(v0);
      await stillOnOld();

      // A candidate directory damaged after training: the promotion's checksum check refuses it.
      ctl.mode = { kind: 'corrupt' };
      const damaged = await service.runOnce('5m', 'test: corrupted candidate');
      ctl.mode = { kind: 'normal' };
      expect(damaged).toMatchObject({ status: 'failed', stage: 'promote', active: v0 });
      expect(last()).toMatchObject({ code: 'RETRAIN_PROMOTE_FAILED' });
      expect(last()?.message).toContain('weights.bin');
      await stillOnOld();
      // Even pointed at by hand, the damaged version does not load: the bot keeps the old one.
      writeActivePointer(config.data.modelsDir, '5m', damaged?.candidate as string);
      await bot.step();
      expect(alerts.raised.some((a) => a.code === 'MODEL_LOAD_FAILED')).toBe(true);
      expect(bot.steps.at(-1)?.version).toBe(v0);
      writeActivePointer(config.data.modelsDir, '5m', v0);

      // A corrupt registry file: no cycle runs, nothing is swapped.
      writeFileSync(registryPath(config.data.stateDir), '{"format": "quantgate-registry", "versions": [');
      const noRegistry = await service.runOnce('5m', 'test: corrupt registry');
      expect(noRegistry).toMatchObject({ status: 'failed', stage: 'registry', candidate: null });
      expect(last()).toMatchObject({ severity: 'critical', code: 'RETRAIN_REGISTRY_UNUSABLE' });
      expect(last()?.message).toContain(join('state', 'registry.json'));
      await stillOnOld();
      expect(ctl.calls).toEqual(['kill', 'normal', 'corrupt']);
    } finally {
      await bot.close();
      await alerts.flush();
      cleanup();
    }
  }, 240_000);
});
