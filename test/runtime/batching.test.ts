import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClosedCandle, Signal, Timeframe } from '../../src/core/index.ts';
import { ManualClock, SecretRedactor, silentLogger } from '../../src/core/index.ts';
import { PaperExecutor, Runtime, StateFile } from '../../src/runtime/index.ts';
import type { RuntimePlugin } from '../../src/runtime/index.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2024, 0, 1);
const candle = (symbol: string, i: number, timeframe: Timeframe = '5m'): ClosedCandle => ({
  exchange: 'binance',
  symbol,
  timeframe,
  timestamp: T0 + i * 300_000,
  open: 100,
  high: 101,
  low: 99,
  close: 100,
  volume: 1,
});
const name = (c: ClosedCandle) => `${c.symbol.split('/')[0]} ${c.timeframe} ${(c.timestamp - T0) / 300_000}`;

/** Records what the runtime hands it, and checks the prepare contract: a prepared candle is fed next for its series. */
class Recorder implements RuntimePlugin {
  readonly name = 'recorder';
  readonly log: string[] = [];
  private readonly prepared = new Map<string, number>();
  async prepare(cs: readonly ClosedCandle[]): Promise<void> {
    for (const c of cs) this.prepared.set(`${c.symbol}|${c.timeframe}`, c.timestamp);
    this.log.push(`prepare [${cs.map(name).join(', ')}]`);
  }
  private take(c: ClosedCandle): void {
    const key = `${c.symbol}|${c.timeframe}`;
    const p = this.prepared.get(key);
    if (p !== undefined && p !== c.timestamp) throw new Error(`${name(c)} fed but ${p} was prepared`);
    this.prepared.delete(key);
  }
  async onCandle(c: ClosedCandle): Promise<Signal | null> {
    this.take(c);
    this.log.push(`decide ${name(c)}`);
    return null;
  }
  async warm(c: ClosedCandle): Promise<void> {
    this.take(c);
    this.log.push(`warm ${name(c)}`);
  }
  async dispose(): Promise<void> {}
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qg-batching-'));
  dirs.push(dir);
  return dir;
}

function runtimeWith(
  plugin: Recorder,
  batchWaitMs = 0,
  store = new StateFile(tempDir(), new SecretRedactor([])),
): Runtime {
  return new Runtime({
    exchange: 'binance',
    executionTimeframe: '5m',
    plugin,
    executor: new PaperExecutor(0.001, 0),
    store,
    clock: new ManualClock(T0),
    logger: silentLogger(),
    startingCash: 1000,
    batchWaitMs,
  });
}

const later = (ms: number, f: () => void) => new Promise<void>((r) => setTimeout(() => (f(), r()), ms));

describe('runtime batching hook (prepare)', () => {
  it('hands the plugin every queued candle of the same close instant that is decided next for its series', async () => {
    const plugin = new Recorder();
    const runtime = runtimeWith(plugin);
    await runtime.start();
    await runtime.onCandle(candle('A/USDT', 0));
    // Queued before any of them is processed, as when several streams deliver at once.
    void runtime.onCandle(candle('A/USDT', 1));
    void runtime.onCandle(candle('B/USDT', 1));
    void runtime.onCandle(candle('A/USDT', 2)); // A's next candle: waits for A 1
    void runtime.onCandle(candle('C/USDT', 1));
    void runtime.onCandle(candle('B/USDT', 1)); // a duplicate: skipped, never prepared
    void runtime.onCandle(candle('D/USDT', 1, '1h')); // another timeframe: its own group
    void runtime.onCandle(candle('E/USDT', 1), { warmup: true }); // history: warmed, not batched
    void runtime.onCandle(candle('F/USDT', 1, '1h'));
    await runtime.idle();
    await runtime.stop();
    expect(plugin.log).toEqual([
      'prepare [A 5m 0]',
      'decide A 5m 0',
      'prepare [A 5m 1, B 5m 1, C 5m 1]',
      'decide A 5m 1',
      'decide B 5m 1',
      'prepare [A 5m 2]',
      'decide A 5m 2',
      'decide C 5m 1',
      'prepare [D 1h 1, F 1h 1]',
      'decide D 1h 1',
      'warm E 5m 1',
      'decide F 1h 1',
    ]);
  });

  it('waits (bounded) for the candles of the other series that had the previous candle', async () => {
    const plugin = new Recorder();
    const runtime = runtimeWith(plugin, 300);
    await runtime.start();
    for (const s of ['A', 'B', 'C']) void runtime.onCandle(candle(`${s}/USDT`, 0));
    await runtime.idle();
    // B and C arrive a little after A (separate stream messages): still one group.
    void runtime.onCandle(candle('A/USDT', 1));
    await later(20, () => void runtime.onCandle(candle('B/USDT', 1)));
    await later(20, () => void runtime.onCandle(candle('C/USDT', 1)));
    await runtime.idle();
    // C's stream is silent at the next instant: A and B go ahead once the wait runs out.
    void runtime.onCandle(candle('A/USDT', 2));
    await later(20, () => void runtime.onCandle(candle('B/USDT', 2)));
    await runtime.idle();
    await runtime.stop();
    expect(plugin.log.filter((l) => l.startsWith('prepare'))).toEqual([
      'prepare [A 5m 0, B 5m 0, C 5m 0]',
      'prepare [A 5m 1, B 5m 1, C 5m 1]',
      'prepare [A 5m 2, B 5m 2]',
    ]);
    expect(plugin.log.filter((l) => l.startsWith('decide'))).toHaveLength(8);
  });
});

/** Counts full-state writes (each one is an fsync). */
class CountingStateFile extends StateFile {
  writes = 0;
  override write(...args: Parameters<StateFile['write']>): void {
    this.writes++;
    super.write(...args);
  }
}

describe('warm-up history and state writes', () => {
  it('writes the state once per queued warm-up batch, not once per history candle, and before a decided candle', async () => {
    const dir = tempDir();
    const store = new CountingStateFile(dir, new SecretRedactor([]));
    const plugin = new Recorder();
    const runtime = runtimeWith(plugin, 0, store);
    await runtime.start();
    const afterStart = store.writes;
    // A REST warm-up delivers hundreds of candles per series at once.
    for (let i = 0; i < 200; i++)
      for (const s of ['A/USDT', 'B/USDT']) void runtime.onCandle(candle(s, i), { warmup: true });
    void runtime.onCandle(candle('A/USDT', 200));
    await runtime.idle();
    // One write when the decided candle starts (the state it started from), one after it.
    expect(store.writes - afterStart).toBe(2);
    expect(plugin.log.filter((l) => l.startsWith('warm'))).toHaveLength(400);
    // What is on disk is complete: every series' last candle, as a restart would read it.
    const onDisk = new StateFile(dir, new SecretRedactor([])).read();
    expect(Object.keys(onDisk?.lastProcessed ?? {})).toHaveLength(2);
    await runtime.stop();

    // Candles fed one at a time (nothing else queued) are each saved at once, as before.
    const one = new CountingStateFile(tempDir(), new SecretRedactor([]));
    const r2 = runtimeWith(new Recorder(), 0, one);
    await r2.start();
    const base = one.writes;
    for (let i = 0; i < 5; i++) await r2.onCandle(candle('A/USDT', i), { warmup: true });
    expect(one.writes - base).toBe(5);
    await r2.stop();
  });
});
