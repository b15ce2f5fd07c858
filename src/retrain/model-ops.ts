import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { MODEL_TIMEFRAMES } from '../core/types.ts';
import { loadArtifact, versionDir } from '../models/index.ts';
import { activePointerPath, readActivePointer, writeActivePointer } from './active-pointer.ts';
import {
  activeVersion,
  addVersion,
  findVersion,
  promote,
  purgeList,
  rollback,
  rollbackTarget,
} from './registry-ops.ts';
import { readRegistry, updateRegistry } from './registry-store.ts';

/** Registry edits that also touch the models directory (pointer, artifact checks, purge). */
export interface ModelStoreContext {
  readonly registryPath: string;
  readonly modelsDir: string;
  /** retrain.keepVersions */
  readonly keepVersions: number;
  /** retrain.rollback.cooldownHours */
  readonly cooldownHours: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

function now(ctx: ModelStoreContext): string {
  return new Date(ctx.clock.now()).toISOString();
}

/** Throws MODEL_INVALID naming the file when the version's directory is incomplete or modified. */
async function verifyArtifact(ctx: ModelStoreContext, tf: ModelTimeframe, version: string): Promise<void> {
  await loadArtifact(versionDir(ctx.modelsDir, tf, version));
}

/**
 * Makes `version` active: its artifact is verified first (a corrupt directory is refused and the
 * old model stays), then the registry, then the ACTIVE pointer; older versions beyond
 * keepVersions are purged. Returns the purged version names.
 */
export async function promoteVersion(
  ctx: ModelStoreContext,
  tf: ModelTimeframe,
  version: string,
  reason: string,
): Promise<string[]> {
  await verifyArtifact(ctx, tf, version);
  const at = now(ctx);
  const previous = await updateRegistry(ctx.registryPath, (reg) => {
    const prev = activeVersion(reg, tf)?.version ?? null;
    promote(reg, tf, version, at, reason);
    return prev;
  });
  try {
    writeActivePointer(ctx.modelsDir, tf, version);
  } catch (e) {
    // The bot loads what the pointer names, so the registry must say the same: undo.
    await updateRegistry(ctx.registryPath, (reg) => {
      if (previous !== null) promote(reg, tf, previous, at, `pointer write failed: ${describeError(e)}`);
      else {
        const v = findVersion(reg, tf, version);
        if (v) {
          v.status = 'candidate';
          v.history.push({ at, status: 'candidate', reason: `pointer write failed: ${describeError(e)}` });
        }
      }
    });
    throw new QuantgateError(
      'STATE_CORRUPT',
      `${activePointerPath(ctx.modelsDir, tf)}: could not write the ACTIVE pointer (${describeError(e)}); ${previous ?? 'no version'} stays active`,
    );
  }
  const purged = await updateRegistry(ctx.registryPath, (reg) => purgeList(reg, tf, ctx.keepVersions, at));
  removeDirs(ctx, tf, purged);
  ctx.logger.info({ timeframe: tf, version, purged, reason }, 'model promoted');
  return purged;
}

/** Rolls the timeframe back to the last version that was active before, after verifying it on disk. */
export async function rollbackActive(
  ctx: ModelStoreContext,
  tf: ModelTimeframe,
  reason: string,
): Promise<{ from: string; to: string }> {
  const target = rollbackTarget(readRegistry(ctx.registryPath), tf);
  if (target) await verifyArtifact(ctx, tf, target.version);
  const at = now(ctx);
  const cooldown = new Date(ctx.clock.now() + ctx.cooldownHours * 3_600_000).toISOString();
  const r = await updateRegistry(ctx.registryPath, (reg) => rollback(reg, tf, at, reason, cooldown));
  try {
    writeActivePointer(ctx.modelsDir, tf, r.to);
  } catch (e) {
    await updateRegistry(ctx.registryPath, (reg) =>
      promote(reg, tf, r.from, at, `rollback undone, pointer write failed: ${describeError(e)}`),
    );
    throw new QuantgateError(
      'STATE_CORRUPT',
      `${activePointerPath(ctx.modelsDir, tf)}: could not write the ACTIVE pointer (${describeError(e)}); ${r.from} stays active`,
    );
  }
  ctx.logger.warn({ timeframe: tf, ...r, reason, cooldownUntil: cooldown }, 'model rolled back');
  return r;
}

function removeDirs(ctx: ModelStoreContext, tf: ModelTimeframe, versions: readonly string[]): void {
  for (const v of versions)
    try {
      rmSync(versionDir(ctx.modelsDir, tf, v), { recursive: true, force: true });
    } catch (e) {
      // The registry already says purged; a leftover directory only costs disk.
      ctx.logger.warn(
        { timeframe: tf, version: v, err: describeError(e) },
        'could not delete a purged model directory',
      );
    }
}

/**
 * Registers version directories made outside the registry (`quantgate train`) and makes the
 * registry agree with the ACTIVE pointers on disk (the pointer is what the bot loads). Returns
 * the names registered.
 */
export async function syncFromDisk(ctx: ModelStoreContext): Promise<string[]> {
  const found: { tf: ModelTimeframe; version: string; model: Record<string, unknown>; metrics: unknown }[] =
    [];
  for (const tf of MODEL_TIMEFRAMES) {
    const dir = join(ctx.modelsDir, tf);
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (!d.isDirectory() || d.name.startsWith('.') || !existsSync(join(dir, d.name, 'manifest.json')))
        continue;
      found.push({
        tf,
        version: d.name,
        model: readJson(join(dir, d.name, 'model.json')),
        metrics: readJson(join(dir, d.name, 'metrics.json')).test ?? null,
      });
    }
  }
  const pointers = new Map(MODEL_TIMEFRAMES.map((tf) => [tf, readActivePointer(ctx.modelsDir, tf)]));
  const at = now(ctx);
  return updateRegistry(ctx.registryPath, (reg) => {
    const added: string[] = [];
    for (const f of found) {
      if (findVersion(reg, f.tf, f.version)) continue;
      const tw = f.model.trainingWindow as { from?: unknown; to?: unknown } | undefined;
      addVersion(
        reg,
        {
          version: f.version,
          timeframe: f.tf,
          parent: null,
          trainingWindow:
            typeof tw?.from === 'number' && typeof tw.to === 'number'
              ? { from: new Date(tw.from).toISOString(), to: new Date(tw.to).toISOString() }
              : null,
          dataHash: null,
          seed: typeof f.model.seed === 'number' ? f.model.seed : null,
          metrics: { test: f.metrics },
        },
        at,
      );
      added.push(f.version);
    }
    for (const [tf, v] of pointers)
      if (v !== null && findVersion(reg, tf, v)) promote(reg, tf, v, at, 'ACTIVE pointer on disk');
    return added;
  });
}

function readJson(path: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
