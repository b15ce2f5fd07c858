import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.ts';
import type { ModelTimeframe } from '../core/types.ts';

/**
 * `<modelsDir>/<tf>/ACTIVE` names the version the bot trades with (the runtime and the backtest
 * read it). Written temp → fsync → rename → fsync(dir), so a reader sees the old name or the new
 * one, never a torn file, even after a crash.
 */

export function activePointerPath(modelsDir: string, tf: ModelTimeframe): string {
  return join(modelsDir, tf, 'ACTIVE');
}

export function readActivePointer(modelsDir: string, tf: ModelTimeframe): string | null {
  const p = activePointerPath(modelsDir, tf);
  if (!existsSync(p)) return null;
  const v = readFileSync(p, 'utf8').trim();
  return v.length > 0 ? v : null;
}

export function writeActivePointer(modelsDir: string, tf: ModelTimeframe, version: string): void {
  const dir = join(modelsDir, tf);
  mkdirSync(dir, { recursive: true });
  const target = activePointerPath(modelsDir, tf);
  writeFileAtomic(target, `${version}\n`, `${target}.tmp`);
}
