import { afterEach, describe, expect, it, vi } from 'vitest';
import { retrainSchema } from '../../src/config/index.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { ModelTimeframe } from '../../src/core/types.ts';
import { startScheduler } from '../../src/retrain/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

const MIN = 60_000;

describe('retrain scheduler (node-schedule under fake timers)', () => {
  it('fires weekly on Sunday 00:00 UTC by default, per-timeframe overrides in retrain.timezone, skips an overlapping run', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-28T23:58:00Z')); // a Saturday
    const fired: { tf: ModelTimeframe; at: string }[] = [];
    const skipped: ModelTimeframe[] = [];
    let release = (): void => undefined;
    const config = retrainSchema.parse({
      timezone: 'Europe/Berlin',
      perTimeframe: { '5m': { cron: '0 9 * * *' }, '12h': { enabled: false } },
    });
    const s = startScheduler({
      config: { ...config, timezone: 'Etc/UTC' },
      timeframes: ['1h', '12h'],
      runCycle: (tf) => {
        fired.push({ tf, at: new Date().toISOString() });
        return new Promise<void>((r) => (release = r)); // still running until released
      },
      onSkip: (tf) => skipped.push(tf),
      logger: silentLogger(),
    });
    expect([...s.jobs]).toEqual([['1h', '0 0 * * 0']]);
    await vi.advanceTimersByTimeAsync(3 * MIN);
    expect(fired).toEqual([{ tf: '1h', at: '2026-11-29T00:00:00.000Z' }]);
    expect(s.isRunning('1h')).toBe(true);
    await vi.advanceTimersByTimeAsync(7 * 24 * 60 * MIN);
    expect(fired).toHaveLength(1);
    expect(skipped).toEqual(['1h']);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.isRunning('1h')).toBe(false);
    await vi.advanceTimersByTimeAsync(7 * 24 * 60 * MIN);
    expect(fired.map((f) => f.at)).toEqual(['2026-11-29T00:00:00.000Z', '2026-12-13T00:00:00.000Z']);
    s.stop();

    // A per-timeframe cron in an explicit time zone: 09:00 Berlin = 08:00 UTC in winter.
    const fired5m: string[] = [];
    const b = startScheduler({
      config,
      timeframes: ['5m'],
      runCycle: () => {
        fired5m.push(new Date().toISOString());
        return Promise.resolve();
      },
      logger: silentLogger(),
    });
    await vi.advanceTimersByTimeAsync(24 * 60 * MIN);
    expect(fired5m).toHaveLength(1);
    expect(fired5m[0]).toMatch(/T08:00:00\.000Z$/);
    b.stop();
  });

  it('retrain.enabled: false schedules nothing; an invalid cron names its key', () => {
    const off = startScheduler({
      config: retrainSchema.parse({ enabled: false }),
      timeframes: ['5m', '1h'],
      runCycle: () => Promise.resolve(),
      logger: silentLogger(),
    });
    expect(off.jobs.size).toBe(0);
    let err: unknown;
    try {
      startScheduler({
        config: retrainSchema.parse({ perTimeframe: { '1h': { cron: 'every sunday' } } }),
        timeframes: ['5m', '1h'],
        runCycle: () => Promise.resolve(),
        logger: silentLogger(),
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantgateError);
    expect((err as QuantgateError).message).toContain('retrain.perTimeframe.1h.cron');
  });
});
