import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClosedCandle } from '../../src/core/index.ts';
import { SecretRedactor, silentLogger } from '../../src/core/index.ts';
import { PaperExecutor, Runtime, StateFile } from '../../src/runtime/index.ts';
import type { RuntimeAlert, RuntimeState } from '../../src/runtime/index.ts';
import { FEE, RuleStrategy, SYMBOLS, runtimeSeries } from './harness.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'qg-statefail-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) {
    rmSync(d, { recursive: true, force: true });
    rmSync(`${d}.away`, { recursive: true, force: true });
  }
});

/**
 * A state directory that stops taking writes, as a disk remounted read-only does. Not root: the
 * directory is made read-only (EACCES on the temp file). Root ignores permissions, so the
 * directory is moved away and a plain file takes its place (ENOTDIR on every write under it).
 */
function diskFault(dir: string): { fail(): void; recover(): void; stateFile(): string } {
  const root = process.getuid?.() === 0;
  let broken = false;
  return {
    fail: () => {
      broken = true;
      if (!root) return chmodSync(dir, 0o555);
      renameSync(dir, `${dir}.away`);
      writeFileSync(dir, '');
    },
    recover: () => {
      broken = false;
      if (!root) return chmodSync(dir, 0o755);
      rmSync(dir);
      renameSync(`${dir}.away`, dir);
    },
    stateFile: () => join(root && broken ? `${dir}.away` : dir, 'runtime-state.json'),
  };
}

const series = runtimeSeries();
const TIMES = series[0].candles.map((c) => c.timestamp);
const closed = (symbol: string, t: number): ClosedCandle => {
  const c = series.find((s) => s.symbol === symbol)!.candles.find((k) => k.timestamp === t)!;
  return { ...c, exchange: 'binance', symbol, timeframe: '5m' };
};

describe('a failed state write', () => {
  it('leaves memory equal to the state on disk, alerts once, and trading resumes when the disk recovers', async () => {
    const dir = tempDir();
    const disk = diskFault(dir);
    const alerts: RuntimeAlert[] = [];
    const strategy = new RuleStrategy();
    const runtime = new Runtime({
      exchange: 'binance',
      executionTimeframe: '5m',
      plugin: strategy,
      executor: new PaperExecutor(FEE, 0),
      store: new StateFile(dir, new SecretRedactor([])),
      clock: { now: () => 0 },
      logger: silentLogger(),
      startingCash: 100_000,
      alert: (a) => alerts.push(a),
    });
    await runtime.start();
    // As the live composition root feeds it: a candle's failure is the runtime's to log.
    const step = async (t: number) => {
      for (const s of SYMBOLS) await runtime.onCandle(closed(s, t)).catch(() => undefined);
    };
    const onDisk = () => JSON.parse(readFileSync(disk.stateFile(), 'utf8')) as RuntimeState;
    const before = TIMES.slice(0, 40);
    const outage = TIMES.slice(40, 70);
    const after = TIMES.slice(70, 140);
    for (const t of before) await step(t);
    expect(runtime.snapshot.trades.length).toBeGreaterThan(0);

    disk.fail();
    const signalsBefore = strategy.signals.length;
    for (const t of outage) {
      await step(t);
      // Nothing in memory that the disk does not have: no intent that never reached the executor.
      expect(runtime.snapshot).toEqual(onDisk());
    }
    // The rule kept signalling during the outage, so orders were decided and undone.
    expect(strategy.signals.length).toBeGreaterThan(signalsBefore);
    expect(runtime.status().stateWriteFailures).toBe(outage.length * SYMBOLS.length);
    expect(alerts.map((a) => a.code)).toEqual(['state_write_failed']);
    expect(alerts[0].message).toContain('runtime-state.json');

    disk.recover();
    const tradesAtRecovery = runtime.snapshot.trades.length;
    const pendingSkips = () => runtime.snapshot.decisions.skipped.order_pending ?? 0;
    for (const t of after) await step(t);
    await runtime.stop();
    expect(alerts.map((a) => a.code)).toEqual(['state_write_failed', 'state_write_recovered']);
    // Every symbol trades again after the recovery (no symbol left `order_pending` for good).
    const resumed = runtime.snapshot.trades.filter(
      (t) => t.candleTime >= after[0] && t.kind === 'open' && t.qty > 0,
    );
    expect(runtime.snapshot.trades.length).toBeGreaterThan(tradesAtRecovery);
    for (const s of SYMBOLS)
      expect(
        resumed.some((t) => t.symbol === s),
        s,
      ).toBe(true);
    expect(runtime.snapshot.pending.filter((p) => p.candleTime < after[after.length - 2])).toEqual([]);
    expect(pendingSkips()).toBeLessThan(10);
    expect(runtime.snapshot).toEqual(onDisk());
    expect(existsSync(join(dir, 'runtime-state.json.lock'))).toBe(false);
  });
});
