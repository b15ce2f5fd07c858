import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { SecretRedactor } from '../core/secrets.ts';
import type { ClosedCandle, ExchangeId, Signal, Timeframe } from '../core/types.ts';
import { PaperExecutor, Runtime, StateFile, equityOf } from '../runtime/index.ts';
import { checkPlugin } from '../strategy/index.ts';
import type { HostedPlugin, PluginContext, PluginHook } from '../strategy/index.ts';
import type { OrderExecutor, RuntimeState } from '../runtime/index.ts';
import type { AccountView, FillRecord, ReplayTarget, StepOutcome } from './engine.ts';
import type { TradeRecord } from './types.ts';
import type { RiskManager } from '../runtime/index.ts';

/**
 * The backtest's per-candle step IS the live runtime's: a `Runtime` with the same plugin and the
 * same paper executor, fed by the replay instead of the streams. Only persistence differs — the
 * runtime saves its state after every candle live (crash safety); a replay has nothing to resume,
 * so this store keeps the state in memory and nothing is serialised.
 */
class ReplayStateFile extends StateFile {
  override lock(): void {}
  override unlock(): void {}
  override read(): RuntimeState | undefined {
    return undefined;
  }
  override write(_state: RuntimeState): void {}
}

export interface RuntimeTargetOptions {
  readonly exchange: ExchangeId;
  readonly executionTimeframe: Timeframe;
  readonly plugin: HostedPlugin;
  /** What the plugin's `init` gets besides the account (required when it has an `init`). */
  readonly context?: Omit<PluginContext, 'account'>;
  /** The same risk limits the live runtime applies. */
  readonly risk?: RiskManager;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly startingBalance: number;
  readonly feeRate: number;
  readonly slippageBps: number;
  /** Funding per 8 h on open perp notional (Hyperliquid swaps), charged by the runtime; 0 for spot. */
  readonly fundingRatePer8h: number;
  /** Whether a symbol's market can be shorted (perps); default none (spot). */
  readonly canShort?: (symbol: string) => boolean;
  /** Extra counters to report next to the runtime's skip reasons (the plugin's gate counters). */
  readonly pluginCounters?: () => Readonly<Record<string, number>>;
}

/** Opening signals remembered per symbol: an order fills within a candle or two of its signal. */
const OPENING_KEPT = 8;

export interface RuntimeTarget extends ReplayTarget {
  readonly runtime: Runtime;
  close(): Promise<void>;
}

export async function runtimeTarget(o: RuntimeTargetOptions): Promise<RuntimeTarget> {
  // Checked here: the wrapper below hands the runtime only the hooks the contract declares.
  checkPlugin(o.plugin, 'backtest');
  const dir = mkdtempSync(join(tmpdir(), 'quantgate-bt-state-'));
  // Removed on close, and at exit for a run that never gets there (an error, Ctrl-C).
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanup);
  const store = new ReplayStateFile(dir, new SecretRedactor([]));
  let lastSignal: Signal | null = null;
  // The recent opening signals per symbol with the timeframe of their candle. The paper fill comes
  // a candle later, after the plugin has already decided on that later candle, so the entry's R/R
  // is looked up by the order's decision candle, never taken from `lastSignal`.
  const opening = new Map<string, Array<{ signal: Signal; timeframe: Timeframe }>>();
  const plugin: HostedPlugin = {
    name: o.plugin.name,
    onCandle: async (c) => {
      lastSignal = await o.plugin.onCandle(c);
      if (lastSignal?.action === 'open') {
        const list = opening.get(c.symbol) ?? [];
        list.push({ signal: lastSignal, timeframe: c.timeframe });
        if (list.length > OPENING_KEPT) list.shift();
        opening.set(c.symbol, list);
      }
      return lastSignal;
    },
    // The runtime snapshots plugin and executor after every candle for its state file; a replay
    // keeps no state file, so those copies (the paper order book grows to 2,000 entries) are
    // skipped: no `snapshot` (and so no `restore`). `prepare` is left out too: the replay hands the
    // runtime one candle at a time, so every group would be one candle (a call for nothing).
    ...bound(o.plugin, ['init', 'warm', 'beforeOpen', 'onOrderUpdate', 'modelVersions', 'dispose']),
  };
  // `runtime` is assigned below; the executor reads prices from its state as the live wiring does.
  const ref: { rt?: Runtime } = {};
  const paper = new PaperExecutor(o.feeRate, o.slippageBps);
  const executor: OrderExecutor = {
    kind: paper.kind,
    feeRate: paper.feeRate,
    submit: (r) => paper.submit(r),
    fetch: (id) => paper.fetch(id),
    onCandle: (c) => paper.onCandle(c),
  };
  const runtime = new Runtime({
    exchange: o.exchange,
    executionTimeframe: o.executionTimeframe,
    plugin,
    context: o.context,
    executor,
    store,
    clock: o.clock,
    logger: o.logger,
    startingCash: o.startingBalance,
    risk: o.risk,
    maxEquityPoints: 1,
    maxTrades: Number.MAX_SAFE_INTEGER,
    // Funding and shorts are the runtime's (the same code live paper runs), not this target's.
    fundingRatePer8h: o.fundingRatePer8h,
    canShort: o.canShort,
  });
  ref.rt = runtime;
  await runtime.start();

  const trades: TradeRecord[] = [];
  const openInfo = new Map<
    string,
    {
      entry: EntrySignalInfo;
      stop: number;
      timeframe: Timeframe;
      time: number;
      price: number;
      fee: number;
    }
  >();
  const exec = o.executionTimeframe;

  const state = (): Readonly<RuntimeState> => runtime.snapshot;
  const exposure = (): number => {
    const s = state();
    let n = 0;
    // Gross notional: a short exposes as much as a long of the same size.
    for (const p of Object.values(s.positions)) n += p.qty * (s.lastPrices[p.symbol] ?? p.entryPrice);
    return n;
  };

  const account: AccountView = {
    // The runtime's cash already holds the funding it charged.
    equity: () => equityOf(state()),
    exposure,
    trades: () => trades,
    fees: () => state().fees,
    funding: () => state().funding ?? 0,
  };

  return {
    runtime,
    account,
    gateCounters: () => ({ ...(o.pluginCounters?.() ?? {}), ...prefixed(state().decisions.skipped) }),
    warm: (c) => runtime.onCandle(c, { warmup: true }),
    async step(c: ClosedCandle): Promise<StepOutcome> {
      const before = state().trades.length;
      lastSignal = null;
      await runtime.onCandle(c, { warmup: false });
      const s = state();
      const fills: FillRecord[] = [];
      for (const t of s.trades.slice(before)) {
        if (!(t.qty > 0)) continue;
        fills.push({
          symbol: t.symbol,
          side: t.side,
          quantity: t.qty,
          price: t.price,
          fee: t.fee,
          timestamp: o.clock.now(),
          reason: t.kind,
        });
        if (t.kind === 'open') {
          const p = s.positions[t.symbol];
          const sig = opening.get(t.symbol)?.find((x) => x.signal.timestamp === t.candleTime);
          openInfo.set(t.symbol, {
            entry: entrySignalInfo(sig?.signal),
            stop: p?.stopLoss ?? 0,
            timeframe: sig?.timeframe ?? c.timeframe,
            time: o.clock.now(),
            price: t.price,
            fee: t.fee,
          });
          continue;
        }
        const info = openInfo.get(t.symbol);
        // The runtime's PnL of the close is net of both fees and of the position's funding.
        const pnl = t.pnl ?? 0;
        trades.push({
          symbol: t.symbol,
          timeframe: info?.timeframe ?? exec,
          direction: t.direction ?? 'long',
          entryTime: info?.time ?? o.clock.now(),
          exitTime: o.clock.now(),
          entryPrice: info?.price ?? t.price,
          exitPrice: t.price,
          quantity: t.qty,
          pnl,
          fees: t.fee + (info?.fee ?? 0),
          funding: t.funding ?? 0,
          ...(info?.entry ?? entrySignalInfo(undefined)),
          stopLoss: info?.stop ?? 0,
          exitReason: t.kind,
        });
        if (!s.positions[t.symbol]) openInfo.delete(t.symbol);
      }
      return { signal: lastSignal, fills };
    },
    async close(): Promise<void> {
      try {
        await runtime.stop();
      } finally {
        cleanup();
        process.removeListener('exit', cleanup);
      }
    },
  };
}

/** `names` of `p`'s hooks that it has, bound to it (a class's methods survive the copy). */
function bound(p: HostedPlugin, names: readonly PluginHook[]): Partial<HostedPlugin> {
  const out: Record<string, unknown> = {};
  const hooks = p as unknown as Record<string, unknown>;
  for (const k of names) {
    const f = hooks[k];
    if (typeof f === 'function') out[k] = (f as (...a: unknown[]) => unknown).bind(p);
  }
  return out as Partial<HostedPlugin>;
}

/** The runtime's own skip reasons, kept apart from the plugin's gate reasons. */
function prefixed(c: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [`runtime:${k}`, v]));
}

/** What the trade record keeps of its opening signal. */
type EntrySignalInfo = Pick<
  TradeRecord,
  'predictedRiskReward' | 'confidence' | 'pWin' | 'expectedEdgeBps' | 'signalTime'
>;

/** `pWin` and `expectedEdgeBps` are kept when the signal carries them (the expected-value gate's). */
export function entrySignalInfo(sig: Signal | undefined): EntrySignalInfo {
  if (!sig) return { predictedRiskReward: NaN };
  return {
    predictedRiskReward: sig.riskReward,
    confidence: sig.confidence,
    signalTime: sig.timestamp,
    ...(sig.pWin !== undefined ? { pWin: sig.pWin } : {}),
    ...(sig.expectedEdgeBps !== undefined ? { expectedEdgeBps: sig.expectedEdgeBps } : {}),
  };
}
