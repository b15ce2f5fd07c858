import { nodeDiskIo, setDiskIo } from '../../src/core/atomic-file.ts';
import type { DiskIo } from '../../src/core/atomic-file.ts';

/**
 * Disk-fault injection without root: swaps the file-system layer of src/core/atomic-file.ts
 * (every durable writer goes through it) for one that fails like a real disk.
 *
 * - `short`  the Nth write call writes only half of what it was asked (legal POSIX behaviour;
 *            a correct writer loops and finishes the file)
 * - `enospc` the disk fills up at the Nth write: that call writes half, every later write in the
 *            process throws ENOSPC (what a full tmpfs does)
 * - `erofs`  the file system is read-only from the Nth write on: opening a file for writing and
 *            renaming throw EROFS
 * - `eio-fsync` the Nth fsync throws EIO
 * Only paths for which `match` is true count and fail (default: all).
 */
export type DiskFault = 'short' | 'enospc' | 'erofs' | 'eio-fsync';

export interface DiskFaultPlan {
  readonly fault: DiskFault;
  /** 1-based: the write (or fsync for eio-fsync) at which the fault starts. */
  readonly at?: number;
  readonly match?: (path: string) => boolean;
}

export interface DiskFaultHandle {
  /** Write calls seen on matching paths so far. */
  readonly writes: number;
  /** Whether the fault has fired. */
  readonly fired: boolean;
  restore(): void;
}

function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected disk fault, ${syscall} '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  return e;
}

export function injectDiskFault(plan: DiskFaultPlan): DiskFaultHandle {
  const at = plan.at ?? 1;
  const match = plan.match ?? (() => true);
  const fdPath = new Map<number, string>();
  let writes = 0;
  let fsyncs = 0;
  let fired = false;
  const io: DiskIo = {
    openSync(path, flags) {
      if (plan.fault === 'erofs' && fired && flags !== 'r' && match(path)) throw errno('EROFS', 'open', path);
      const fd = nodeDiskIo.openSync(path, flags);
      fdPath.set(fd, path);
      return fd;
    },
    writeSync(fd, buffer, offset, length) {
      const path = fdPath.get(fd) ?? '';
      if (!match(path)) return nodeDiskIo.writeSync(fd, buffer, offset, length);
      writes++;
      if (plan.fault === 'enospc' && fired) throw errno('ENOSPC', 'write', path);
      if (writes === at && plan.fault !== 'eio-fsync') {
        fired = true;
        if (plan.fault === 'erofs') throw errno('EROFS', 'write', path);
        return nodeDiskIo.writeSync(fd, buffer, offset, Math.max(1, Math.floor(length / 2)));
      }
      return nodeDiskIo.writeSync(fd, buffer, offset, length);
    },
    fsyncSync(fd) {
      const path = fdPath.get(fd) ?? '';
      if (plan.fault === 'eio-fsync' && match(path) && ++fsyncs === at) {
        fired = true;
        throw errno('EIO', 'fsync', path);
      }
      nodeDiskIo.fsyncSync(fd);
    },
    closeSync(fd) {
      fdPath.delete(fd);
      nodeDiskIo.closeSync(fd);
    },
    renameSync(from, to) {
      if (plan.fault === 'erofs' && fired && match(to)) throw errno('EROFS', 'rename', to);
      nodeDiskIo.renameSync(from, to);
    },
    rmSync(path) {
      nodeDiskIo.rmSync(path);
    },
  };
  const restore = setDiskIo(io);
  return {
    get writes() {
      return writes;
    },
    get fired() {
      return fired;
    },
    restore,
  };
}

/** Runs `fn` with the fault injected, always restoring the real disk afterwards. */
export async function withDiskFault<R>(
  plan: DiskFaultPlan,
  fn: (h: DiskFaultHandle) => R | Promise<R>,
): Promise<R> {
  const h = injectDiskFault(plan);
  try {
    return await fn(h);
  } finally {
    h.restore();
  }
}
