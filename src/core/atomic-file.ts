import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { QuantgateError } from './errors.ts';

/**
 * Every durable write of the project (candle store, runtime state, registry, ACTIVE pointer,
 * model artifacts, reports) goes through this module, so that a full or read-only disk can never
 * leave a torn file: the whole content is written to a temp file (short writes looped until every
 * byte is down), fsynced, renamed over the target and the directory fsynced. On any failure the
 * temp file is removed, the old file stays untouched and the error (WRITE_FAILED) names the file
 * and the cause (ENOSPC, EROFS, …).
 */

/** The few file-system calls a durable write needs; replaceable so tests can inject disk faults. */
export interface DiskIo {
  openSync(path: string, flags: string): number;
  /** Returns how many bytes were written, which may be fewer than `length` (a short write). */
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  rmSync(path: string): void;
}

export const nodeDiskIo: DiskIo = {
  openSync: (path, flags) => fs.openSync(path, flags),
  writeSync: (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, length),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (from, to) => fs.renameSync(from, to),
  // Never recursive: a temp name taken by someone else's directory must not be wiped.
  rmSync: (path) => fs.rmSync(path, { force: true }),
};

let io: DiskIo = nodeDiskIo;

/**
 * Replaces the file-system layer of every durable write (tests only: disk-fault injection, see
 * test/support/disk-faults.ts). Returns a function restoring the previous layer.
 */
export function setDiskIo(next: DiskIo): () => void {
  const previous = io;
  io = next;
  return () => {
    io = previous;
  };
}

/** Where a write syncs; lets a caller observe (or a test count) every fsync. */
export type SyncHook = (fd: number, what: 'file' | 'dir', path: string) => void;

const defaultSync: SyncHook = (fd) => io.fsyncSync(fd);

function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOENT: 'directory does not exist',
};

/** The WRITE_FAILED error for `path`: one line naming the file and the cause, the old file kept. */
export function writeFailed(path: string, e: unknown, kept = 'the previous version is kept'): QuantgateError {
  if (e instanceof QuantgateError && e.code === 'WRITE_FAILED') return e;
  const code = errnoCode(e) ?? 'EIO';
  const why = CAUSES[code] ?? (e instanceof Error ? e.message.split('\n')[0] : String(e));
  return new QuantgateError('WRITE_FAILED', `${path}: could not write (${code}: ${why}); ${kept}`, {
    file: path,
    cause: code,
  });
}

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** Writes every byte of `data` to `fd`, looping on short writes; a write that makes no progress is ENOSPC. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    const n = io.writeSync(fd, bytes, off, bytes.length - off);
    if (!(n > 0)) {
      const e = new Error('write made no progress') as NodeJS.ErrnoException;
      e.code = 'ENOSPC';
      throw e;
    }
    off += n;
  }
}

/**
 * Writes `data` to a new file `path` (created or truncated) and fsyncs it, every byte checked.
 * Not atomic by itself: for files inside a temp directory that is renamed into place as a whole.
 * Throws the raw errno error; callers wrap it with `writeFailed`.
 */
export function writeFileSynced(path: string, data: string | Uint8Array, sync: SyncHook = defaultSync): void {
  const fd = io.openSync(path, 'w');
  try {
    writeAll(fd, toBytes(data));
    sync(fd, 'file', path);
  } finally {
    io.closeSync(fd);
  }
}

/** fsync a directory so a rename or new entry in it survives a crash (ignored where unsupported). */
export function syncDirectory(path: string, sync: SyncHook = defaultSync): void {
  let fd: number;
  try {
    fd = io.openSync(path, 'r');
  } catch {
    return; // Some platforms cannot open a directory; the files were synced regardless.
  }
  try {
    sync(fd, 'dir', path);
  } catch (e) {
    // EINVAL: this file system does not sync directories; anything else is a real failure.
    if (errnoCode(e) !== 'EINVAL') throw e;
  } finally {
    io.closeSync(fd);
  }
}

/** fsync through the injectable layer. */
export function fsyncFd(fd: number): void {
  io.fsyncSync(fd);
}

/** Renames through the injectable layer (a test can make it fail like a read-only disk). */
export function renamePath(from: string, to: string): void {
  io.renameSync(from, to);
}

/** Removes our temp directory (a model version being written) and everything in it. */
export function removeTree(path: string): void {
  try {
    fs.rmSync(path, { recursive: true, force: true });
  } catch {
    // Cleanup only: the error that caused it is what the caller reports.
  }
}

/** Removes a temp file through the injectable layer, ignoring a missing one (never a directory). */
export function removePath(path: string): void {
  try {
    io.rmSync(path);
  } catch {
    // Cleanup of a temp file: its failure must not hide the error that caused it.
  }
}

export interface AtomicWriteOptions {
  /** Temp file name (default `<path>.tmp-<pid>-<random>`, in the same directory). */
  readonly tmpPath?: string;
  readonly sync?: SyncHook;
}

/**
 * Replaces `path` with `data` all-or-nothing: a reader (or a restart after a crash, or a full
 * disk) sees the old content or the new, never a torn file. Throws WRITE_FAILED naming `path`.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions | string = {},
): void {
  const o: AtomicWriteOptions = typeof opts === 'string' ? { tmpPath: opts } : opts;
  const tmp = o.tmpPath ?? `${path}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  const sync = o.sync ?? defaultSync;
  try {
    writeFileSynced(tmp, data, sync);
    io.renameSync(tmp, path);
  } catch (e) {
    removePath(tmp);
    throw writeFailed(path, e);
  }
  try {
    syncDirectory(dirname(path), sync);
  } catch (e) {
    throw writeFailed(path, e, 'the new version is in place but its directory entry may not be durable');
  }
}

/** Copies `from` over `to` all-or-nothing (the backup of a state file or registry). */
export function copyFileAtomic(from: string, to: string, sync: SyncHook = defaultSync): void {
  let data: Buffer;
  try {
    data = fs.readFileSync(from);
  } catch (e) {
    throw writeFailed(to, e);
  }
  writeFileAtomic(to, data, { sync });
}
