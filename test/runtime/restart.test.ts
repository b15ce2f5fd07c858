import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seriesId } from '../../src/exchange/index.ts';
import type { RuntimeState } from '../../src/runtime/index.ts';
import { startSimExchange } from '../../src/simulator/index.ts';
import type { SimServer } from '../../src/simulator/index.ts';
import { installBinanceOrders } from '../../src/simulator/orders-binance.ts';
import type { SimAccount } from '../../src/simulator/orders-binance.ts';
import { START, waitFor } from '../simulator/helpers.ts';
import { FEE, SYMBOLS, lastClosed, processedAll, runtimeSeries, startRuntime } from './harness.ts';

const STEPS = Number(process.env.QG_STEPS ?? 60);
const KILLS = Number(process.env.QG_KILLS ?? 10);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'qg-restart-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function newSim(): Promise<{ sim: SimServer; acct: SimAccount }> {
  const sim = await startSimExchange({ series: runtimeSeries(), startTime: START });
  const acct = installBinanceOrders(sim, { balances: { USDT: 100_000 }, feeRate: FEE });
  sim.advance();
  return { sim, acct };
}

function readState(dir: string): RuntimeState | undefined {
  const p = join(dir, 'runtime-state.json');
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as RuntimeState;
  } catch {
    return undefined;
  }
}

function spawnChild(port: number, dir: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'test/runtime/child-runtime.ts', String(port), dir], {
    stdio: ['pipe', 'ignore', 'inherit'],
    env: { ...process.env, QUANTGATE_LOG_LEVEL: 'silent' },
  });
}

/** A fresh process already past its imports; `go` starts its runtime. */
function standby(port: number, dir: string): { child: ChildProcess; go: () => ChildProcess } {
  const child = spawnChild(port, dir);
  return {
    child,
    go: () => {
      child.stdin?.write('go\n');
      return child;
    },
  };
}

/** One line per trade, sorted (symbols of one step may be processed in either order). */
const tradeLines = (s: RuntimeState) =>
  s.trades
    .map((t) => `${t.candleTime} ${t.symbol} ${t.side} ${t.kind} ${t.qty} @ ${t.price} ${t.state}`)
    .sort();

const subscribed = (sim: SimServer) =>
  sim.connections('binance').some((c) => c.subscriptions.size >= SYMBOLS.length);

/** Uniform random integers from a seeded generator (reproducible kill points). */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('restart after SIGKILL', () => {
  it(`kill -9 the runtime ${KILLS} times at random points: same positions and balances, no order twice`, async () => {
    // Reference: the same steps, uninterrupted, in this process.
    const ref = await newSim();
    const run = await startRuntime(ref.sim, tempDir());
    for (let i = 0; i < STEPS; i++) {
      ref.sim.advance();
      await waitFor(() => processedAll(run, lastClosed(ref.sim)), 10_000, `reference step ${i}`);
      await run.runtime.idle();
    }
    await run.stop();
    const refState = run.runtime.snapshot;

    const { sim, acct } = await newSim();
    const dir = tempDir();
    const rnd = seeded(20_260_801);
    const killAt = new Set<number>();
    while (killAt.size < KILLS) killAt.add(1 + Math.floor(rnd() * (STEPS - 2)));
    let child = standby(sim.port, dir).go();
    let next = standby(sim.port, dir);
    let kills = 0;
    try {
      for (let i = 0; i < STEPS; i++) {
        await waitFor(() => subscribed(sim), 90_000, `child subscribed (step ${i})`);
        sim.advance();
        if (killAt.has(i)) {
          // Somewhere inside the processing of this step: before, during or after the order.
          await new Promise((r) => setTimeout(r, Math.floor(rnd() * 40)));
          child.kill('SIGKILL');
          await new Promise((r) => child.once('exit', r));
          kills++;
          await waitFor(() => !subscribed(sim), 5_000, 'old connection gone');
          child = next.go();
          next = standby(sim.port, dir);
          await waitFor(() => subscribed(sim), 90_000, `restarted child subscribed (step ${i})`);
        }
        await waitFor(
          () => {
            const st = readState(dir);
            return (
              st !== undefined &&
              st.pending.length === 0 &&
              (st.inFlight ?? []).length === 0 &&
              processedAll({ runtime: { snapshot: st } as never }, lastClosed(sim))
            );
          },
          30_000,
          `step ${i} processed by the child`,
        );
        if (process.env.QG_DEBUG) process.stderr.write(`step ${i} ${Date.now() % 100000}\n`);
      }
    } finally {
      child.kill('SIGTERM');
      next.child.kill('SIGTERM');
      await ref.sim.close();
    }
    await new Promise((r) => setTimeout(r, 200));
    await sim.close();
    const st = readState(dir)!;
    expect(kills).toBe(KILLS);
    // No order sent twice: every create request that reached the exchange booked a distinct order.
    const ids = acct.orders.map((o) => o.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(acct.createRequests).toBe(acct.orders.length);
    expect(acct.orders.length).toBe(ref.acct.orders.length);
    // The same trades (the first difference is the most useful failure message).
    expect(tradeLines(st)).toEqual(tradeLines(refState));
    // Same positions and balances as the uninterrupted run.
    for (const asset of ['USDT', 'BTC', 'ETH', 'SOL'])
      expect(acct.balance(asset).free).toBeCloseTo(ref.acct.balance(asset).free, 9);
    for (const s of SYMBOLS) {
      expect(st.positions[s]?.qty ?? 0).toBeCloseTo(refState.positions[s]?.qty ?? 0, 12);
      const id = seriesId({ exchange: 'binance', symbol: s, timeframe: '5m' });
      expect(st.lastProcessed[id]).toBe(refState.lastProcessed[id]);
    }
    expect(st.cash).toBeCloseTo(refState.cash, 6);
    expect(st.realizedPnl).toBeCloseTo(refState.realizedPnl, 6);
    expect(st.trades.length).toBe(refState.trades.length);
  }, 280_000);
});
