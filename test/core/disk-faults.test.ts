import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/core/atomic-file.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import { SecretRedactor } from '../../src/core/secrets.ts';
import type { Candle } from '../../src/core/types.ts';
import { appendCandles, readCandleFile } from '../../src/exchange/csv-store.ts';
import { createNetwork, initBackend, loadArtifact, saveArtifact } from '../../src/models/index.ts';
import {
  readRegistry,
  updateRegistry,
  writeActivePointer,
  readActivePointer,
} from '../../src/retrain/index.ts';
import { StateFile } from '../../src/runtime/state-file.ts';
import { emptyState } from '../../src/runtime/state.ts';
import { tinySpec } from '../models/network-fixtures.ts';
import { injectDiskFault, withDiskFault } from '../support/disk-faults.ts';
import type { DiskFault } from '../support/disk-faults.ts';

/**
 * The disk-fault matrix: every durable writer × every fault. After a failed write the previous
 * version must be intact, no temp file left, and the error WRITE_FAILED naming the file and cause.
 */

let root: string;
let n = 0;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'qg-diskfault-'));
  await initBackend();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fresh = (): string => {
  const d = join(root, `c${++n}`);
  mkdirSync(d, { recursive: true });
  return d;
};

const candles = (from: number, count: number): Candle[] =>
  Array.from({ length: count }, (_, i) => ({
    timestamp: (from + i) * 300_000,
    open: 100 + i,
    high: 101 + i,
    low: 99 + i,
    close: 100.5 + i,
    volume: 10,
  }));

function caught(fn: () => unknown): QuantgateError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(QuantgateError);
    return e as QuantgateError;
  }
  throw new Error('expected WRITE_FAILED');
}

async function caughtAsync(p: Promise<unknown>): Promise<QuantgateError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(QuantgateError);
    return e as QuantgateError;
  }
  throw new Error('expected WRITE_FAILED');
}

const stray = (dir: string): string[] => readdirSync(dir).filter((f) => f.includes('.tmp'));

const FAILING: readonly { fault: DiskFault; cause: string }[] = [
  { fault: 'enospc', cause: 'ENOSPC' },
  { fault: 'erofs', cause: 'EROFS' },
  { fault: 'eio-fsync', cause: 'EIO' },
];

describe('writeFileAtomic', () => {
  it('loops on short writes: a write that returns fewer bytes still gives the whole file', async () => {
    const dir = fresh();
    const p = join(dir, 'f.txt');
    const text = 'x'.repeat(10_000);
    await withDiskFault({ fault: 'short', at: 1 }, (h) => {
      writeFileAtomic(p, text);
      expect(h.fired).toBe(true);
      expect(h.writes).toBeGreaterThan(1);
    });
    expect(readFileSync(p, 'utf8')).toBe(text);
    expect(stray(dir)).toEqual([]);
  });

  it.each(FAILING)(
    '$fault: old content kept, temp removed, WRITE_FAILED names the file and $cause',
    async ({ fault, cause }) => {
      const dir = fresh();
      const p = join(dir, 'f.txt');
      writeFileAtomic(p, 'old\n');
      const e = await withDiskFault({ fault }, () => caught(() => writeFileAtomic(p, 'new '.repeat(5000))));
      expect(e.code).toBe('WRITE_FAILED');
      expect(e.exitCode).toBe(9);
      expect(e.message).toContain(p);
      expect(e.message).toContain(cause);
      expect(e.message.split('\n')).toHaveLength(1);
      expect(e.details.cause).toBe(cause);
      expect(readFileSync(p, 'utf8')).toBe('old\n');
      expect(stray(dir)).toEqual([]);
    },
  );
});

describe('disk-fault matrix: writer × fault → what survived', () => {
  it.each(FAILING)(
    'candle store append, $fault: the stored candles survive whole',
    async ({ fault, cause }) => {
      const dir = fresh();
      const p = join(dir, 'binance', '5m', 'BTCUSDT.csv');
      appendCandles(p, candles(0, 200));
      const before = readFileSync(p, 'utf8');
      const e = await withDiskFault({ fault }, () => caught(() => appendCandles(p, candles(200, 100))));
      expect([e.code, e.details.cause]).toEqual(['WRITE_FAILED', cause]);
      expect(e.message).toContain(p);
      expect(readFileSync(p, 'utf8')).toBe(before);
      expect(readCandleFile(p).candles).toHaveLength(200);
      expect(stray(join(dir, 'binance', '5m'))).toEqual([]);
      // The disk recovers: the next append stores everything.
      expect(appendCandles(p, candles(200, 100))).toBe(100);
      expect(readCandleFile(p).candles).toHaveLength(300);
    },
  );

  it('candle store append, short write: all rows stored', async () => {
    const dir = fresh();
    const p = join(dir, 'BTCUSDT.csv');
    appendCandles(p, candles(0, 50));
    await withDiskFault({ fault: 'short' }, () => appendCandles(p, candles(50, 500)));
    expect(readCandleFile(p).candles).toHaveLength(550);
  });

  it.each(FAILING)(
    'state file, $fault: the last committed state and its backup survive',
    async ({ fault, cause }) => {
      const dir = fresh();
      const store = new StateFile(dir, new SecretRedactor([]));
      store.lock();
      const s1 = emptyState(1000);
      store.write(s1);
      const s2 = { ...emptyState(2000), savedAt: 2 };
      store.write(s2);
      const file = readFileSync(store.path, 'utf8');
      const bak = readFileSync(store.backupPath, 'utf8');
      const e = await withDiskFault({ fault }, () =>
        caught(() => store.write({ ...emptyState(3000), savedAt: 3 })),
      );
      expect([e.code, e.details.cause]).toEqual(['WRITE_FAILED', cause]);
      expect(e.message).toContain(store.path);
      expect(readFileSync(store.path, 'utf8')).toBe(file);
      expect(readFileSync(store.backupPath, 'utf8')).toBe(bak);
      expect(store.read()).toEqual(s2);
      expect(stray(dir)).toEqual([]);
      store.unlock();
    },
  );

  it.each(FAILING)(
    'registry, $fault: the previous registry survives and the lock is released',
    async ({ fault, cause }) => {
      const dir = fresh();
      const p = join(dir, 'registry.json');
      await updateRegistry(p, (r) => {
        r.alerts.push({
          at: '2026-01-01T00:00:00.000Z',
          severity: 'info',
          code: 'TEST',
          message: 'one',
          timeframe: null,
        });
      });
      const before = readFileSync(p, 'utf8');
      const e = await withDiskFault({ fault }, () =>
        caughtAsync(
          updateRegistry(p, (r) => {
            r.alerts.push({
              at: '2026-01-01T00:00:01.000Z',
              severity: 'info',
              code: 'TEST',
              message: 'two',
              timeframe: null,
            });
          }),
        ),
      );
      expect([e.code, e.details.cause]).toEqual(['WRITE_FAILED', cause]);
      expect(e.message).toContain(p);
      expect(readFileSync(p, 'utf8')).toBe(before);
      expect(readRegistry(p).alerts.map((a) => a.message)).toEqual(['one']);
      expect(existsSync(`${p}.lock`)).toBe(false);
      expect(stray(dir)).toEqual([]);
    },
  );

  it.each(FAILING)('ACTIVE pointer, $fault: the old pointer survives', async ({ fault, cause }) => {
    const dir = fresh();
    writeActivePointer(dir, '5m', 'v1');
    const e = await withDiskFault({ fault }, () => caught(() => writeActivePointer(dir, '5m', 'v2')));
    expect([e.code, e.details.cause]).toEqual(['WRITE_FAILED', cause]);
    expect(readActivePointer(dir, '5m')).toBe('v1');
    expect(stray(join(dir, '5m'))).toEqual([]);
  });

  it.each(FAILING)(
    'model save, $fault: no version directory appears, the models dir is clean',
    async ({ fault, cause }) => {
      const dir = fresh();
      const net = createNetwork(tinySpec('mlp'), 1);
      const featureNames = ['f0', 'f1', 'f2', 'f3'];
      const meta = {
        version: 'v1',
        timeframe: '1h' as const,
        horizon: 6,
        featureNames,
        seed: 1,
        trainingWindow: { from: 0, to: 1, symbols: ['BTC/USDT'] },
        normalisation: { featureNames, pooled: { mean: [0, 0, 0, 0], std: [1, 1, 1, 1] } },
        calibration: { temperature: 1, qOffsets: { q10: 0, q50: 0, q90: 0 } },
        metrics: null,
      };
      const target = join(dir, '1h', 'v1');
      // Fail on the second file (weights.bin) so part of the version was already written.
      const e = await withDiskFault({ fault, at: 2 }, () => caughtAsync(saveArtifact(target, net, meta)));
      expect([e.code, e.details.cause]).toEqual(['WRITE_FAILED', cause]);
      expect(e.message).toContain(target);
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(join(dir, '1h'))).toEqual([]);
      // Disk recovered: the same save succeeds and loads.
      await saveArtifact(target, net, meta);
      await expect(loadArtifact(target)).resolves.toBeTruthy();
      net.dispose();
    },
  );

  it('a fault on an unrelated path does not affect the writer (match filter)', () => {
    const dir = fresh();
    const h = injectDiskFault({ fault: 'enospc', match: (p) => p.includes('other') });
    try {
      writeFileAtomic(join(dir, 'mine.txt'), 'ok');
    } finally {
      h.restore();
    }
    expect(readFileSync(join(dir, 'mine.txt'), 'utf8')).toBe('ok');
  });
});

/**
 * The same on a real full disk where the machine allows it (root, tmpfs): a 64 KB file system
 * with a good candle file and little room left. Skipped elsewhere (the injected faults above
 * cover CI).
 */
const tmpfs = ((): string | null => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'qg-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return dir;
})();
afterAll(() => {
  if (tmpfs === null) return;
  spawnSync('umount', [tmpfs]);
  rmSync(tmpfs, { recursive: true, force: true });
});

describe.skipIf(tmpfs === null)('on a real 64 KB tmpfs (root only)', () => {
  it('a full disk leaves the good candle file whole (it was truncated mid-row before)', () => {
    const p = join(tmpfs!, 'BTCUSDT.csv');
    appendCandles(p, candles(0, 300));
    const before = readFileSync(p, 'utf8');
    // Fill the rest of the disk, leaving a few KB: less than the new file needs.
    writeFileSync(join(tmpfs!, 'filler'), Buffer.alloc(64 * 1024 - before.length * 2 - 8 * 1024));
    let err: unknown;
    try {
      appendCandles(p, candles(300, 400));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantgateError);
    expect((err as QuantgateError).code).toBe('WRITE_FAILED');
    expect((err as QuantgateError).message).toContain('ENOSPC');
    expect(readFileSync(p, 'utf8')).toBe(before);
    expect(readdirSync(tmpfs!).sort()).toEqual(['BTCUSDT.csv', 'filler']);
  });
});
