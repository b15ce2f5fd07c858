import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { ModelTimeframe, Timeframe } from '../core/types.ts';

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

/** `<modelsDir>/<tf>/ACTIVE` names the live version; without it the newest version directory is used. */
export function activeVersionDir(modelsDir: string, tf: ModelTimeframe): string | null {
  const dir = join(modelsDir, tf);
  if (!existsSync(dir)) return null;
  const active = join(dir, 'ACTIVE');
  if (existsSync(active)) return join(dir, readFileSync(active, 'utf8').trim());
  const versions = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  return versions.length > 0 ? join(dir, versions[versions.length - 1]) : null;
}
