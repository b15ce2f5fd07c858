import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { Timeframe } from '../core/types.ts';

/**
 * Where model versions live: `<modelsDir>/<timeframe>/<version>/`. A version name sorts by time
 * (UTC timestamp) and is unique per training input (short hash of what was trained on).
 */

/** `20261128T083700Z` from epoch ms. */
export function utcStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Short stable hash of any JSON-serialisable description of a training run. */
export function shortHash(input: unknown, length = 8): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, length);
}

export function newVersion(clock: Clock, fingerprint: unknown): string {
  return `${utcStamp(clock.now())}-${shortHash(fingerprint)}`;
}

export function versionDir(modelsDir: string, tf: Timeframe, version: string): string {
  return join(modelsDir, tf, version);
}

// The ACTIVE pointer's one reader lives in active-pointer.ts.
export { activateIfNone, activeVersionDir } from './active-pointer.ts';
