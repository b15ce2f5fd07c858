import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  copyFileAtomic,
  removePath,
  renamePath,
  syncDirectory,
  writeFailed,
  writeFileSynced,
} from '../core/atomic-file.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import { releasePidLock, tryPidLock } from '../core/pid-lock.ts';
import type { SecretRedactor } from '../core/secrets.ts';
import type { PendingIntent, RuntimeState } from './state.ts';
import { stateProblem } from './state.ts';

/**
 * The runtime's state on disk: one JSON file, written temp → fsync → rename → fsync(dir), the
 * previous good version kept as `.bak`, one writer at a time (a PID lock file). A corrupt file
 * is an error that names the backup — never a silent reset.
 */
export class StateFile {
  readonly path: string;
  readonly backupPath: string;
  private readonly lockPath: string;
  private locked = false;
  /** Text of the last committed state (the base of in-flight saves). */
  private committed: string | undefined;
  /** Text of the last document that reached the disk (a commit or an in-flight save). */
  private written: string | undefined;

  constructor(
    dir: string,
    private readonly redactor: SecretRedactor,
    name = 'runtime-state.json',
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, name);
    this.backupPath = `${this.path}.bak`;
    this.lockPath = `${this.path}.lock`;
  }

  /** Takes the single-writer lock; a lock left by a dead process is taken over. */
  lock(): void {
    // Our own PID counts as stale: a runtime restarted inside the same process takes its lock back.
    const r = tryPidLock(this.lockPath, { ownPidIsStale: true });
    if (r.taken) {
      this.locked = true;
      return;
    }
    const who = r.pid === null ? 'another quantgate process' : `another quantgate process (pid ${r.pid})`;
    throw new QuantgateError(
      'LOCK_HELD',
      `${this.path}: ${who} is running on this state directory; stop it first (lock file ${this.lockPath})`,
    );
  }

  unlock(): void {
    if (this.locked) releasePidLock(this.lockPath);
    this.locked = false;
  }

  /** The saved state, or undefined when none exists yet. */
  read(): RuntimeState | undefined {
    if (!existsSync(this.path)) {
      if (!existsSync(this.backupPath)) return undefined;
      throw new QuantgateError(
        'STATE_CORRUPT',
        `state file ${this.path} is missing but its backup ${this.backupPath} exists: run with --restore-backup to resume from it, or remove the backup to start empty`,
      );
    }
    let problem: string | null;
    let parsed: unknown;
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
      parsed = JSON.parse(text);
      problem = stateProblem(parsed);
    } catch (e) {
      problem = `not valid JSON (${describeError(e)})`;
    }
    if (problem === null) {
      this.written = text;
      return parsed as RuntimeState;
    }
    const backup = existsSync(this.backupPath)
      ? ` The last good version is ${this.backupPath}: to resume from it, run with --restore-backup (or copy it over ${this.path}).`
      : ' There is no backup; move the file away to start from an empty state.';
    throw new QuantgateError('STATE_CORRUPT', `state file ${this.path} is unusable: ${problem}.${backup}`, {
      path: this.path,
      backup: this.backupPath,
    });
  }

  /** Replaces the state file with its backup (after checking the backup is good). */
  restoreFromBackup(): RuntimeState {
    if (!existsSync(this.backupPath))
      throw new QuantgateError('STATE_CORRUPT', `no backup ${this.backupPath} to restore from`);
    let parsed: unknown;
    let problem: string | null;
    try {
      parsed = JSON.parse(readFileSync(this.backupPath, 'utf8'));
      problem = stateProblem(parsed);
    } catch (e) {
      // A corrupt backup is a corrupt state (exit 6 naming it), not an unexpected error.
      problem = `not valid JSON (${describeError(e).slice(0, 200)})`;
    }
    if (problem)
      throw new QuantgateError('STATE_CORRUPT', `backup ${this.backupPath} is unusable too: ${problem}`);
    copyFileAtomic(this.backupPath, this.path);
    return parsed as RuntimeState;
  }

  /**
   * A copy of the last document this instance wrote (or read): what a restart would resume from.
   * After a failed write it is what the runtime's memory goes back to.
   */
  lastWritten(): RuntimeState | undefined {
    return this.written === undefined ? undefined : (JSON.parse(this.written) as RuntimeState);
  }

  /** Commits a state: every change up to here survives a crash. */
  write(state: RuntimeState): void {
    const text = this.redactor.redact(JSON.stringify(state));
    this.writeText(text);
    this.committed = text;
  }

  /**
   * Saves, before they are sent, the orders of the candle being processed: the last committed
   * state with `intents` added to its `inFlight`. The candle's other changes are not saved until
   * it is done, so a restart processes it again from the state it started from (and looks these
   * orders up). Nothing is written when this instance has committed nothing (a store that keeps
   * no file).
   */
  writeInFlight(intents: readonly PendingIntent[], savedAt: number): void {
    if (this.committed === undefined) return;
    const doc = JSON.parse(this.committed) as RuntimeState;
    const known = new Set((doc.inFlight ?? []).map((p) => p.clientOrderId));
    doc.inFlight = [...(doc.inFlight ?? []), ...intents.filter((p) => !known.has(p.clientOrderId))];
    doc.savedAt = savedAt;
    this.writeText(this.redactor.redact(JSON.stringify(doc)));
  }

  /**
   * All-or-nothing (see core/atomic-file.ts): on a full or read-only disk nothing changes on disk
   * (the temp files are removed) and WRITE_FAILED names the state file and the cause.
   */
  private writeText(text: string): void {
    const tmp = `${this.path}.tmp`;
    const bakTmp = `${this.backupPath}.tmp`;
    try {
      writeFileSynced(tmp, text);
      // The current file is good (it was read or written by us): keep it as the backup.
      // Copy, not rename: a crash between the steps must never leave the state file missing.
      if (existsSync(this.path)) {
        writeFileSynced(bakTmp, readFileSync(this.path));
        renamePath(bakTmp, this.backupPath);
      }
      renamePath(tmp, this.path);
    } catch (e) {
      removePath(tmp);
      removePath(bakTmp);
      throw writeFailed(this.path, e, 'the last committed state stays on disk');
    }
    this.written = text;
    try {
      syncDirectory(dirname(this.path));
    } catch (e) {
      throw writeFailed(this.path, e, 'the new state is in place but its directory entry may not be durable');
    }
  }
}
