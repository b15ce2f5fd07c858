import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replaces `path` with `data` so that a reader (or a restart after a crash) sees the old content
 * or the new, never a torn file: write a temp file, fsync it, rename it over the target, fsync
 * the directory so the rename itself is durable.
 */
export function writeFileAtomic(path: string, data: string, tmpPath = `${path}.tmp-${process.pid}`): void {
  const fd = openSync(tmpPath, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmpPath, path);
  const dfd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}
