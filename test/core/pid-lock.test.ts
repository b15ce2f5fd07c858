import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { releasePidLock, tryPidLock } from '../../src/core/pid-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'qg-pidlock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const lockFile = (content?: string): string => {
  const p = join(dir, `l${++n}.lock`);
  if (content !== undefined) writeFileSync(p, content);
  return p;
};

describe('PID lock file', () => {
  it('takes a free lock, writes our pid, and is free again after release', () => {
    const p = lockFile();
    expect(tryPidLock(p)).toEqual({ taken: true });
    expect(readFileSync(p, 'utf8')).toBe(String(process.pid));
    releasePidLock(p);
    expect(tryPidLock(p)).toEqual({ taken: true });
  });

  it('an empty lock file just created by another process is held, not stale (two writers got in before)', () => {
    expect(tryPidLock(lockFile(''))).toEqual({ taken: false, pid: null });
  });

  it('an empty lock file left long ago by a crash is taken over', () => {
    const p = lockFile('');
    const old = new Date(Date.now() - 60_000);
    utimesSync(p, old, old);
    expect(tryPidLock(p)).toEqual({ taken: true });
  });

  it('a live process holds it; a dead one does not', () => {
    const live = process.ppid;
    expect(tryPidLock(lockFile(String(live)))).toEqual({ taken: false, pid: live });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(tryPidLock(lockFile(String(dead)))).toEqual({ taken: true });
  });

  it('our own pid is held unless the caller says a restart in this process may take it back', () => {
    expect(tryPidLock(lockFile(String(process.pid)))).toEqual({ taken: false, pid: process.pid });
    expect(tryPidLock(lockFile(String(process.pid)), { ownPidIsStale: true })).toEqual({ taken: true });
  });
});
