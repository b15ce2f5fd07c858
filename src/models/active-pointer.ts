import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.ts';
import { QuantgateError } from '../core/errors.ts';
import type { ModelTimeframe } from '../core/types.ts';

/**
 * `<modelsDir>/<tf>/ACTIVE` names the version the bot trades with; this is its only reader
 * (runtime start-up, hot swap, backtest, retrain). It must name a version directory directly
 * inside `<modelsDir>/<tf>/`: a plain name (letters, digits, `.`, `_`, `-`; no `..`, no `/`),
 * a real directory (not a symlink out of the store) holding a manifest. Anything else is refused
 * — a pointer edited to `../../elsewhere` never loads a model from outside the store. Written
 * all-or-nothing (core/atomic-file.ts).
 */
const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function activePointerPath(modelsDir: string, tf: ModelTimeframe): string {
  return join(modelsDir, tf, 'ACTIVE');
}

/** The pointer's raw content (trimmed, at most 200 characters), or null when there is none. */
export function readActivePointer(modelsDir: string, tf: ModelTimeframe): string | null {
  const p = activePointerPath(modelsDir, tf);
  if (!existsSync(p)) return null;
  const v = readFileSync(p, 'utf8').slice(0, 200).trim();
  return v.length > 0 ? v : null;
}

/** Why `version` may not be the active version of `tf`, or null when it is a version directory of the store. */
export function versionProblem(modelsDir: string, tf: ModelTimeframe, version: string): string | null {
  const shown = JSON.stringify(version.slice(0, 80));
  if (!VERSION_NAME.test(version) || version.includes('..'))
    return `${shown} is not a version name (letters, digits, . _ - only; no path)`;
  const tfDir = join(modelsDir, tf);
  const dir = join(tfDir, version);
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return `${shown} has no directory ${dir}`;
  }
  if (st.isSymbolicLink() || !st.isDirectory()) return `${dir} is not a version directory (a link or a file)`;
  const rel = relative(realpathSync(resolve(tfDir)), realpathSync(resolve(dir)));
  if (rel !== version || rel.includes(sep)) return `${dir} is not directly inside ${tfDir}`;
  if (!existsSync(join(dir, 'manifest.json')))
    return `${dir} has no manifest.json (not a complete model version)`;
  return null;
}

/** The directory ACTIVE names, checked; MODEL_INVALID naming the pointer when it is refused. */
export function activePointerDir(modelsDir: string, tf: ModelTimeframe): string | null {
  const version = readActivePointer(modelsDir, tf);
  if (version === null) return null;
  const problem = versionProblem(modelsDir, tf, version);
  if (problem !== null)
    throw new QuantgateError('MODEL_INVALID', `${activePointerPath(modelsDir, tf)}: refused: ${problem}`, {
      file: activePointerPath(modelsDir, tf),
      reason: 'pointer',
    });
  return join(modelsDir, tf, version);
}

/**
 * ACTIVE's version directory, or null when the timeframe has no ACTIVE pointer (no model). There
 * is no "newest directory" fallback: a freshly trained candidate must never become what the bot
 * trades just because it is the newest (`train` activates only a timeframe's first model).
 */
export function activeVersionDir(modelsDir: string, tf: ModelTimeframe): string | null {
  if (!existsSync(join(modelsDir, tf))) return null;
  return activePointerDir(modelsDir, tf);
}

export function writeActivePointer(modelsDir: string, tf: ModelTimeframe, version: string): void {
  if (!VERSION_NAME.test(version) || version.includes('..'))
    throw new QuantgateError('USAGE', `${JSON.stringify(version.slice(0, 80))} is not a version name`);
  const dir = join(modelsDir, tf);
  mkdirSync(dir, { recursive: true });
  const target = activePointerPath(modelsDir, tf);
  writeFileAtomic(target, `${version}\n`, `${target}.tmp`);
}

/**
 * Makes `version` active only when the timeframe has no ACTIVE pointer yet (its first model), so
 * `train` → `backtest` → `live` works with no extra step while a later `train` stays a candidate.
 * Returns true when it wrote the pointer. The registry follows the pointer on its next sync.
 */
export function activateIfNone(modelsDir: string, tf: ModelTimeframe, version: string): boolean {
  if (readActivePointer(modelsDir, tf) !== null) return false;
  writeActivePointer(modelsDir, tf, version);
  return true;
}
