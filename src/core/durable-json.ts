import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import type { Adapter } from 'lowdb';
import type { z } from 'zod';
import {
  copyFileAtomic,
  fsyncFd,
  removePath,
  renamePath,
  syncDirectory,
  writeFailed,
  writeFileSynced,
} from './atomic-file.ts';
import type { SyncHook } from './atomic-file.ts';
import { QuantgateError, describeError } from './errors.ts';
import { releasePidLock, tryPidLock } from './pid-lock.ts';

/** Where the store syncs; injectable so a test can see that every write reaches the disk. */
export type SyncFn = (fd: number, what: 'file' | 'backup' | 'dir', path: string) => void;

export interface DurableJsonOptions<T> {
  readonly path: string;
  /** Validates every document read from disk and before every write. */
  readonly schema: z.ZodType<T>;
  /** The document when the file does not exist yet. */
  readonly defaults: T;
  readonly sync?: SyncFn;
}

const realSync: SyncFn = (fd) => fsyncFd(fd);

/**
 * lowdb adapter doing what lowdb's JSONFile does not: temp + fsync + rename + fsync(dir), the
 * previous good version kept as `.bak`, corruption reported (never silently reset).
 */
class DurableAdapter<T> implements Adapter<T> {
  constructor(
    private readonly path: string,
    private readonly schema: z.ZodType<T>,
    private readonly sync: SyncFn,
  ) {}

  async read(): Promise<T | null> {
    if (!existsSync(this.path)) {
      if (existsSync(backupPath(this.path)))
        throw corrupt(this.path, 'the file is missing but a backup exists');
      return null;
    }
    return parseOrThrow(this.path, await readFile(this.path, 'utf8'), this.schema);
  }

  async write(data: T): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const bak = backupPath(this.path);
    const hook: SyncHook = (fd, what, p) =>
      this.sync(fd, what === 'dir' ? 'dir' : p === tmp ? 'file' : 'backup', p);
    try {
      writeFileSynced(tmp, `${JSON.stringify(data, null, 2)}\n`, hook);
    } catch (e) {
      removePath(tmp);
      throw writeFailed(this.path, e);
    }
    try {
      if (existsSync(this.path)) {
        // Copy, not rename: a crash between the steps must never leave the document missing.
        writeFileSynced(`${bak}.tmp`, readFileSync(this.path), hook);
        renamePath(`${bak}.tmp`, bak);
      }
      renamePath(tmp, this.path);
      syncDirectory(dirname(this.path), hook);
    } catch (e) {
      removePath(tmp);
      removePath(`${bak}.tmp`);
      throw writeFailed(this.path, e);
    }
  }
}

/**
 * A durable JSON document on lowdb 7: one writer per file (PID lock file, a dead PID's lock is
 * taken over), atomic fsynced writes, a `.bak` of the previous good version, zod-validated
 * documents, and writes within the process serialised in call order.
 */
export class DurableJson<T> {
  readonly path: string;
  readonly backupPath: string;
  private readonly lockPath: string;
  private readonly db: Low<T>;
  private readonly schema: z.ZodType<T>;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(opts: DurableJsonOptions<T>) {
    this.path = opts.path;
    this.backupPath = backupPath(opts.path);
    this.lockPath = `${opts.path}.lock`;
    this.schema = opts.schema;
    this.db = new Low<T>(new DurableAdapter(opts.path, opts.schema, opts.sync ?? realSync), opts.defaults);
  }

  /** Takes the writer lock and reads the document; throws STATE_CORRUPT naming the backup on a bad file. */
  static async open<T>(opts: DurableJsonOptions<T>): Promise<DurableJson<T>> {
    mkdirSync(dirname(opts.path), { recursive: true });
    const store = new DurableJson(opts);
    store.lock();
    try {
      await store.db.read();
    } catch (e) {
      store.unlock();
      throw e;
    }
    return store;
  }

  /** The current document (a copy would cost a clone per read; treat it as read-only). */
  get data(): T {
    return this.db.data;
  }

  /** Applies `change` to a copy, validates it and writes it durably; calls run one after another. */
  update(change: (draft: T) => T | void): Promise<void> {
    const run = async (): Promise<void> => {
      this.assertOpen();
      const draft = structuredClone(this.db.data);
      const next = change(draft) ?? draft;
      const checked = this.schema.safeParse(next);
      if (!checked.success)
        throw new QuantgateError(
          'DATA_INVALID',
          `${this.path}: refusing to write an invalid document: ${checked.error.message}`,
        );
      this.db.data = checked.data;
      await this.db.write();
    };
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Replaces the (corrupt) document with the `.bak` after validating it. */
  static async restoreFromBackup<T>(opts: DurableJsonOptions<T>): Promise<DurableJson<T>> {
    const bak = backupPath(opts.path);
    if (!existsSync(bak))
      throw new QuantgateError('STATE_CORRUPT', `${opts.path}: no backup ${bak} to restore from`);
    parseOrThrow(bak, readFileSync(bak, 'utf8'), opts.schema);
    copyFileAtomic(bak, opts.path);
    return DurableJson.open(opts);
  }

  /** Waits for queued writes, then releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    this.unlock();
  }

  private assertOpen(): void {
    if (this.closed) throw new QuantgateError('INTERNAL', `${this.path}: store already closed`);
  }

  private lock(): void {
    const r = tryPidLock(this.lockPath);
    if (r.taken) return;
    const who = r.pid === null ? 'another process (taking the lock right now)' : `process ${r.pid}`;
    throw new QuantgateError(
      'LOCK_HELD',
      `${this.path}: already opened for writing by ${who} (lock file ${this.lockPath}); stop that process first`,
      { path: this.path, pid: r.pid ?? 0 },
    );
  }

  private unlock(): void {
    releasePidLock(this.lockPath);
  }
}

function backupPath(path: string): string {
  return `${path}.bak`;
}

function corrupt(path: string, problem: string): QuantgateError {
  const bak = backupPath(path);
  const offer = existsSync(bak)
    ? ` The previous good version is ${bak}: call restoreFromBackup() (CLI: --restore-backup) or copy it over ${path}.`
    : ' There is no backup; move the file away to start from defaults.';
  return new QuantgateError('STATE_CORRUPT', `${path} is unusable: ${problem}.${offer}`, {
    path,
    backup: bak,
  });
}

function parseOrThrow<T>(path: string, text: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw corrupt(path, `not valid JSON (${describeError(e)})`);
  }
  const checked = schema.safeParse(raw);
  if (!checked.success) throw corrupt(path, `does not match its schema (${checked.error.message})`);
  return checked.data;
}
