import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QuantgateError, SecretRedactor } from '../../src/core/index.ts';
import { StateFile, emptyState } from '../../src/runtime/index.ts';
import { startSimExchange } from '../../src/simulator/index.ts';
import { installBinanceOrders } from '../../src/simulator/orders-binance.ts';
import type { SimAccount } from '../../src/simulator/orders-binance.ts';
import { START, waitFor } from '../simulator/helpers.ts';
import { FEE, SYMBOLS, lastClosed, processedAll, runtimeSeries, startRuntime } from './harness.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'qg-runtime-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Realised PnL per round trip straight from the exchange's fills (FIFO per symbol, one position at a time). */
function pnlFromFills(acct: SimAccount): { realized: number; fees: number } {
  let realized = 0;
  let fees = 0;
  const open = new Map<string, { qty: number; cost: number; fee: number }>();
  for (const o of acct.orders) {
    if (o.filled <= 0) continue;
    fees += o.fee;
    if (o.side === 'buy') open.set(o.symbol, { qty: o.filled, cost: o.cost, fee: o.fee });
    else {
      const b = open.get(o.symbol)!;
      realized += o.cost - o.fee - b.cost * (o.filled / b.qty) - b.fee * (o.filled / b.qty);
      open.delete(o.symbol);
    }
  }
  return { realized, fees };
}

describe('live runtime against the local exchange (real ccxt, real orders)', () => {
  it('runs one simulated day on 3 symbols: trades with quantile exits, PnL equals the fills', async () => {
    const sim = await startSimExchange({ series: runtimeSeries(), startTime: START });
    const acct = installBinanceOrders(sim, { balances: { USDT: 100_000 }, feeRate: FEE });
    sim.advance();
    const run = await startRuntime(sim, tempDir());
    try {
      for (let i = 0; i < 288; i++) {
        sim.advance();
        await waitFor(
          () => processedAll(run, lastClosed(sim)),
          10_000,
          `candle step ${i}: ${JSON.stringify(run.runtime.snapshot.lastProcessed)} want ${lastClosed(sim)} ${run.stream.statusLine()} ${JSON.stringify(run.runtime.snapshot.decisions)}`,
        );
        await run.runtime.idle();
      }
      const st = run.runtime.snapshot;
      const opens = st.trades.filter((t) => t.kind === 'open' && t.qty > 0);
      const exits = st.trades.filter((t) => t.kind !== 'open' && t.qty > 0);
      expect(opens.length).toBeGreaterThanOrEqual(5);
      expect(exits.length).toBeGreaterThanOrEqual(3);
      expect(new Set(opens.map((t) => t.symbol)).size).toBe(3);
      // Every exit was triggered by the TP or SL the signal carried.
      for (const t of exits) expect(['take_profit', 'stop_loss']).toContain(t.kind);
      const ids = acct.orders.map((o) => o.clientOrderId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(acct.orders.length).toBe(st.trades.length);
      // PnL and fees recomputed from the exchange's own fills.
      const ref = pnlFromFills(acct);
      expect(st.realizedPnl).toBeCloseTo(ref.realized, 6);
      expect(st.fees).toBeCloseTo(ref.fees, 6);
      const usdt = acct.balance('USDT');
      expect(st.cash).toBeCloseTo(usdt.free + usdt.locked, 6);
      for (const s of SYMBOLS) {
        const base = s.split('/')[0];
        expect(st.positions[s]?.qty ?? 0).toBeCloseTo(acct.balance(base).free, 9);
      }
      // Positions opened carry the signal's TP/SL.
      for (const p of Object.values(st.positions)) {
        const sig = run.strategy.signals.find((x) => x.symbol === p.symbol && x.timestamp === p.openedAt)!;
        expect(p.takeProfit).toBe(sig.takeProfit);
        expect(p.stopLoss).toBe(sig.stopLoss);
      }
      expect(st.equityCurve.length).toBe(288);
    } finally {
      await run.stop();
      await sim.close();
    }
  }, 120_000);
});

describe('state file', () => {
  it('round-trips, keeps a backup, refuses a corrupt file naming the backup, restores it', () => {
    const dir = tempDir();
    const f = new StateFile(dir, new SecretRedactor([]));
    f.lock();
    const s = emptyState(1000);
    f.write(s);
    s.cash = 900;
    f.write(s);
    expect(f.read()?.cash).toBe(900);
    writeFileSync(f.path, '{"version":1,"cash":');
    let err: unknown;
    try {
      f.read();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantgateError);
    expect((err as QuantgateError).code).toBe('STATE_CORRUPT');
    expect((err as QuantgateError).message).toContain(f.backupPath);
    expect(f.restoreFromBackup().cash).toBe(1000);
    expect(f.read()?.cash).toBe(1000);
    f.unlock();
  });

  it('refuses a second writer while the first is alive', () => {
    const dir = tempDir();
    const a = new StateFile(dir, new SecretRedactor([]));
    writeFileSync(join(dir, 'runtime-state.json.lock'), String(process.ppid));
    expect(() => a.lock()).toThrow(/another quantgate process/);
  });
});
