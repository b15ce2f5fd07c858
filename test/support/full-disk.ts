import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real, tiny file system that can be filled to ENOSPC: a tmpfs mounted for the test. Needs root
 * (or CAP_SYS_ADMIN); elsewhere `mountSmallDisk` returns null and the caller skips.
 */
export interface SmallDisk {
  readonly dir: string;
  /** Writes a filler file until the disk is full: every later write fails with ENOSPC. */
  fill(): void;
  /** Frees the filler again. */
  free(): void;
  unmount(): void;
}

export function mountSmallDisk(sizeKb = 512): SmallDisk | null {
  const dir = mkdtempSync(join(tmpdir(), 'qg-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill: () => {
      const fd = openSync(filler, 'a');
      const block = Buffer.alloc(4096, 1);
      try {
        for (;;) writeSync(fd, block);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      } finally {
        closeSync(fd);
      }
    },
    free: () => rmSync(filler, { force: true }),
    unmount: () => {
      try {
        execFileSync('umount', [dir], { stdio: 'ignore' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
