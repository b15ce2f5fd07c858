import { closeSync, fsyncSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';

/**
 * A single-writer lock file holding the owner's PID. Creating it (`wx`) and writing the PID are two
 * steps, so a lock file can briefly be empty: another process must read that as "being taken", not
 * as stale — treating it as stale let two writers in at once (seen as a lost `.bak` rename).
 */

/** An empty lock file older than this was left by a crash between create and write. */
const UNWRITTEN_GRACE_MS = 5_000;

export type PidLockResult = { readonly taken: true } | { readonly taken: false; readonly pid: number | null };

export interface PidLockOptions {
  /** Our own PID in the file counts as stale (a restart in the same process) instead of held. */
  readonly ownPidIsStale?: boolean;
}

export function tryPidLock(lockPath: string, o: PidLockOptions = {}): PidLockResult {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, String(process.pid));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return { taken: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = lockHolder(lockPath, o.ownPidIsStale ?? false);
    if (holder === 'released') continue;
    if (holder === 'stale') {
      rmSync(lockPath, { force: true });
      continue;
    }
    return { taken: false, pid: holder === 'unwritten' ? null : holder };
  }
  return { taken: false, pid: null };
}

export function releasePidLock(lockPath: string): void {
  rmSync(lockPath, { force: true });
}

function lockHolder(lockPath: string, ownPidIsStale: boolean): number | 'released' | 'unwritten' | 'stale' {
  let text: string;
  let mtimeMs: number;
  try {
    text = readFileSync(lockPath, 'utf8');
    mtimeMs = statSync(lockPath).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'released';
    throw e;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0)
    return Date.now() - mtimeMs < UNWRITTEN_GRACE_MS ? 'unwritten' : 'stale';
  if (pid === process.pid) return ownPidIsStale ? 'stale' : pid;
  return isAlive(pid) ? pid : 'stale';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
