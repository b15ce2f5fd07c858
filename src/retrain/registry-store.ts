import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DurableJson } from '../core/durable-json.ts';
import { QuantgateError, describeError, isQuantgateError } from '../core/errors.ts';
import { emptyRegistry, registrySchema } from './registry-schema.ts';
import type { Registry } from './registry-schema.ts';

/**
 * The registry on the durable JSON store. Nobody holds the writer lock for long: each change
 * opens the store (re-reading the file, so a change made by another process is never lost),
 * applies one edit, writes durably and closes. A writer that finds the lock taken retries, so the
 * CLI and a running bot can both edit it safely.
 */

export function registryPath(stateDir: string): string {
  return join(stateDir, 'registry.json');
}

export interface RegistryLockOptions {
  /** How long to keep retrying while another writer holds the lock (default 10 s). */
  readonly waitMs?: number;
  readonly retryMs?: number;
}

function isLockHeld(e: unknown): boolean {
  return isQuantgateError(e) && e.code === 'LOCK_HELD';
}

async function openWithRetry(path: string, o: RegistryLockOptions): Promise<DurableJson<Registry>> {
  const waitMs = o.waitMs ?? 10_000;
  const retryMs = o.retryMs ?? 50;
  const start = performance.now();
  for (;;) {
    try {
      return await DurableJson.open({ path, schema: registrySchema, defaults: emptyRegistry() });
    } catch (e) {
      if (!isLockHeld(e) || performance.now() - start > waitMs) throw e;
      await sleep(retryMs);
    }
  }
}

/** Applies `edit` to the current registry under the writer lock; returns what `edit` returns. */
export async function updateRegistry<R>(
  path: string,
  edit: (reg: Registry) => R,
  o: RegistryLockOptions = {},
): Promise<R> {
  const store = await openWithRetry(path, o);
  try {
    let out: R | undefined;
    await store.update((draft) => {
      out = edit(draft);
    });
    return out as R;
  } finally {
    await store.close();
  }
}

/** Reads the registry without taking the lock (writes are atomic renames, so a read sees a whole version). */
export function readRegistry(path: string): Registry {
  if (!existsSync(path)) {
    if (existsSync(`${path}.bak`))
      throw new QuantgateError(
        'STATE_CORRUPT',
        `${path} is missing but its backup ${path}.bak exists: copy the backup over it to resume, or remove the backup to start empty`,
      );
    return emptyRegistry();
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw corrupt(path, `not valid JSON (${describeError(e)})`);
  }
  const checked = registrySchema.safeParse(raw);
  if (!checked.success) throw corrupt(path, `does not match the registry schema (${checked.error.message})`);
  return checked.data;
}

function corrupt(path: string, problem: string): QuantgateError {
  const bak = `${path}.bak`;
  const offer = existsSync(bak)
    ? ` The previous good version is ${bak}: copy it over ${path} to resume.`
    : ' There is no backup; move the file away to start an empty registry.';
  return new QuantgateError('STATE_CORRUPT', `model registry ${path} is unusable: ${problem}.${offer}`, {
    path,
    backup: bak,
  });
}
