import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import {
  activeVersion,
  addAlert,
  findVersion,
  promoteVersion,
  readActivePointer,
  readRegistry,
  rollbackActive,
  syncFromDisk,
  updateRegistry,
  versionsOf,
} from '../../src/retrain/index.ts';
import { saveTinyVersion, storeContext, storeRoots } from './fixtures.ts';

const { fresh: freshRoot } = storeRoots('qg-registry-');

async function failure(p: Promise<unknown>): Promise<QuantgateError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(QuantgateError);
    return e as QuantgateError;
  }
  throw new Error('expected a failure');
}

describe('model registry', () => {
  it('registers trained directories, promotes with an atomic ACTIVE pointer, rolls back with a cool-down', async () => {
    const r = freshRoot();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const ctx = storeContext(r, clock);
    await saveTinyVersion(ctx.modelsDir, '1h', 'v1');
    await saveTinyVersion(ctx.modelsDir, '1h', 'v2');
    expect((await syncFromDisk(ctx)).sort()).toEqual(['v1', 'v2']);
    expect(await syncFromDisk(ctx)).toEqual([]); // idempotent

    await promoteVersion(ctx, '1h', 'v1', 'first');
    clock.advance(60_000);
    await promoteVersion(ctx, '1h', 'v2', 'better');
    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('v2');
    let reg = readRegistry(ctx.registryPath);
    expect(findVersion(reg, '1h', 'v1')?.status).toBe('retired');
    expect(activeVersion(reg, '1h')?.version).toBe('v2');
    expect(findVersion(reg, '1h', 'v1')?.seed).toBe(1);

    clock.advance(60_000);
    expect(await rollbackActive(ctx, '1h', 'hit rate 0.31 < 0.4')).toEqual({ from: 'v2', to: 'v1' });
    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('v1');
    reg = readRegistry(ctx.registryPath);
    expect(findVersion(reg, '1h', 'v2')?.status).toBe('rolled-back');
    expect(activeVersion(reg, '1h')?.version).toBe('v1');
    expect(reg.cooldownUntil['1h']).toBe(new Date(clock.now() + 24 * 3_600_000).toISOString());
    // v2 is rolled back, nothing earlier than v1 was active: no further rollback target.
    expect((await failure(rollbackActive(ctx, '1h', 'again'))).code).toBe('MODEL_MISSING');
    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('v1');
  });

  it('keeps the active version plus the last keepVersions others and purges the rest from disk', async () => {
    const r = freshRoot();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const ctx = storeContext(r, clock, 2);
    for (let i = 1; i <= 6; i++) {
      await saveTinyVersion(ctx.modelsDir, '5m', `v${i}`, i);
      await syncFromDisk(ctx);
      clock.advance(60_000);
      await promoteVersion(ctx, '5m', `v${i}`, 'test');
    }
    const reg = readRegistry(ctx.registryPath);
    const onDisk = versionsOf(reg, '5m')
      .filter((v) => !v.purged)
      .map((v) => v.version);
    expect(onDisk.sort()).toEqual(['v4', 'v5', 'v6']);
    for (const v of ['v1', 'v2', 'v3']) {
      expect(findVersion(reg, '5m', v)?.purged).toBe(true);
      expect(existsSync(join(ctx.modelsDir, '5m', v))).toBe(false);
    }
    expect(existsSync(join(ctx.modelsDir, '5m', 'v4', 'manifest.json'))).toBe(true);
  });

  it('refuses a corrupted candidate directory and keeps the old model active', async () => {
    const r = freshRoot();
    const ctx = storeContext(r, new ManualClock(Date.UTC(2026, 0, 1)));
    await saveTinyVersion(ctx.modelsDir, '1h', 'good');
    const bad = await saveTinyVersion(ctx.modelsDir, '1h', 'bad');
    await syncFromDisk(ctx);
    await promoteVersion(ctx, '1h', 'good', 'first');
    truncateSync(join(bad, 'weights.bin'), 10);
    const e = await failure(promoteVersion(ctx, '1h', 'bad', 'test'));
    expect(e.code).toBe('MODEL_INVALID');
    expect(e.message).toContain('weights.bin');
    expect(readActivePointer(ctx.modelsDir, '1h')).toBe('good');
    expect(activeVersion(readRegistry(ctx.registryPath), '1h')?.version).toBe('good');
  });

  it('a failed ACTIVE pointer write (injected fs error) leaves registry and pointer on the old model', async () => {
    const r = freshRoot();
    const ctx = storeContext(r, new ManualClock(Date.UTC(2026, 0, 1)));
    await saveTinyVersion(ctx.modelsDir, '12h', 'a');
    await saveTinyVersion(ctx.modelsDir, '12h', 'b');
    await syncFromDisk(ctx);
    await promoteVersion(ctx, '12h', 'a', 'first');
    // A directory where the temp file must go: the open fails (EISDIR) even for root.
    mkdirSync(join(ctx.modelsDir, '12h', 'ACTIVE.tmp'));
    const e = await failure(promoteVersion(ctx, '12h', 'b', 'test'));
    expect(e.code).toBe('STATE_CORRUPT');
    expect(e.message).toContain('ACTIVE');
    expect(e.message).toContain('a stays active');
    expect(readActivePointer(ctx.modelsDir, '12h')).toBe('a');
    const reg = readRegistry(ctx.registryPath);
    expect(activeVersion(reg, '12h')?.version).toBe('a');
    expect(findVersion(reg, '12h', 'b')?.status).toBe('retired');
  });

  it('a corrupt registry file is a clear error naming the backup; the ACTIVE pointer is untouched', async () => {
    const r = freshRoot();
    const ctx = storeContext(r, new ManualClock(Date.UTC(2026, 0, 1)));
    await saveTinyVersion(ctx.modelsDir, '1d', 'x');
    await syncFromDisk(ctx);
    await promoteVersion(ctx, '1d', 'x', 'first');
    writeFileSync(ctx.registryPath, '{"format":"quantgate-registry","versions":[{"trunc');
    expect(() => readRegistry(ctx.registryPath)).toThrow(/registry\.json\.bak/);
    const e = await failure(updateRegistry(ctx.registryPath, () => undefined));
    expect(e.code).toBe('STATE_CORRUPT');
    expect(e.message).toContain('.bak');
    expect(readActivePointer(ctx.modelsDir, '1d')).toBe('x');
    expect(readFileSync(`${ctx.registryPath}.bak`, 'utf8')).toContain('"x"');
  });

  it('concurrent writers never lose an update', async () => {
    const r = freshRoot();
    const ctx = storeContext(r, new ManualClock(Date.UTC(2026, 0, 1)));
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        updateRegistry(ctx.registryPath, (reg) =>
          addAlert(reg, {
            at: new Date(i).toISOString(),
            severity: 'info',
            code: `c${i}`,
            message: 'm',
            timeframe: null,
          }),
        ),
      ),
    );
    const codes = readRegistry(ctx.registryPath).alerts.map((a) => a.code);
    expect(new Set(codes).size).toBe(30);
  });
});
