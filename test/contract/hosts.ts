import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeByCloseTime, runReplay, runtimeTarget } from '../../src/backtest/index.ts';
import { configSchema } from '../../src/config/index.ts';
import { ManualClock, SecretRedactor, silentLogger, timeframeMs } from '../../src/core/index.ts';
import type { ClosedCandle } from '../../src/core/index.ts';
import type { ContractHost, ContractSession } from '../../src/contract/index.ts';
import type { OrderRequest, OrderResult } from '../../src/exchange/index.ts';
import { PaperExecutor, Runtime, StateFile } from '../../src/runtime/index.ts';
import type { OrderExecutor } from '../../src/runtime/index.ts';
import { DecisionRecorder, ModelSet, PLUGIN_HOOKS } from '../../src/strategy/index.ts';
import type { PluginHook } from '../../src/strategy/index.ts';
import { RiskManager } from '../../src/runtime/index.ts';

const CASH = 10_000;
const CONFIG = configSchema.parse({ exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] } });
export const RISK_CAP = CONFIG.risk.maxNotionalPerSymbol;

/**
 * The paper executor with the kit's failures: the nth order of a symbol the session wants
 * rejected is refused at submission, one it wants canceled is accepted and canceled at the next
 * candle of its symbol (where a paper order would otherwise fill). Everything else is paper's.
 */
export class ScriptedExecutor implements OrderExecutor {
  readonly kind = 'paper' as const;
  readonly feeRate: number;
  private readonly sent = new Map<string, number>();
  private readonly own = new Map<string, OrderResult>();
  private readonly cancelNext = new Set<string>();

  constructor(
    private readonly paper: PaperExecutor,
    private readonly outcome: ContractSession['orderOutcome'],
  ) {
    this.feeRate = paper.feeRate;
  }

  async submit(req: OrderRequest): Promise<OrderResult> {
    const known = this.own.get(req.clientOrderId);
    if (known) return known;
    const nth = (this.sent.get(req.symbol) ?? 0) + 1;
    this.sent.set(req.symbol, nth);
    const want = this.outcome(req.symbol, nth);
    if (want === 'filled') return this.paper.submit(req);
    const base = { clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side, type: req.type };
    const r: OrderResult =
      want === 'rejected'
        ? {
            ...base,
            amount: req.amount,
            state: 'rejected',
            filled: 0,
            remaining: req.amount,
            recovered: false,
            rejectReason: 'insufficient_funds',
            message: 'scripted reject',
          }
        : { ...base, amount: req.amount, state: 'open', filled: 0, remaining: req.amount, recovered: false };
    if (want === 'canceled') this.cancelNext.add(req.clientOrderId);
    this.own.set(req.clientOrderId, r);
    return r;
  }

  async fetch(id: string): Promise<OrderResult | undefined> {
    return this.own.get(id) ?? this.paper.fetch(id);
  }

  onCandle(c: ClosedCandle): void {
    for (const id of this.cancelNext) {
      const r = this.own.get(id)!;
      if (r.symbol !== c.symbol) continue;
      this.cancelNext.delete(id);
      this.own.set(id, { ...r, state: 'canceled', message: 'scripted cancel' });
    }
    this.paper.onCandle(c);
  }

  snapshot(): unknown {
    return this.paper.snapshot();
  }

  restore(s: unknown): void {
    this.paper.restore(s);
  }
}

/** The candles of one close instant, in the session's order. */
function byInstant(session: ContractSession): ContractSession['candles'][] {
  const groups: Array<ContractSession['candles'][number][]> = [];
  let last: number | undefined;
  for (const c of session.candles) {
    const close = c.candle.timestamp + timeframeMs(c.candle.timeframe);
    if (close !== last) groups.push([]);
    groups.at(-1)!.push(c);
    last = close;
  }
  return groups;
}

/**
 * The built-in runtime with the paper executor, a risk manager and a state file: what `quantgate
 * live` runs in paper mode, minus the streams (the candles of one instant are queued together, as
 * the streams deliver them, so `prepare` groups them). A second run restarts on the same state file.
 */
export function runtimeHost(): ContractHost & { readonly skipped: Array<Record<string, number>> } {
  const dir = mkdtempSync(join(tmpdir(), 'qg-contract-runtime-'));
  const logger = silentLogger();
  const config = CONFIG;
  const skipped: Array<Record<string, number>> = [];
  return {
    skipped,
    name: 'runtime (paper)',
    hooks: PLUGIN_HOOKS,
    failures: ['canceled', 'rejected'],
    persists: true,
    riskCap: RISK_CAP,
    async run(session) {
      const clock = new ManualClock(session.candles[0].candle.timestamp);
      const runtime = new Runtime({
        exchange: 'binance',
        executionTimeframe: '5m',
        plugin: session.plugin,
        context: { config, logger, models: new ModelSet(logger), decisions: new DecisionRecorder(logger) },
        executor: new ScriptedExecutor(new PaperExecutor(0.001, 0), session.orderOutcome),
        store: new StateFile(dir, new SecretRedactor([])),
        clock,
        logger,
        startingCash: CASH,
        risk: new RiskManager(config.risk, logger, CASH, 0),
      });
      await runtime.start();
      for (const group of byInstant(session)) {
        clock.set(group[0].candle.timestamp + timeframeMs(group[0].candle.timeframe));
        await Promise.all(group.map((c) => runtime.onCandle(c.candle, { warmup: c.warmup })));
      }
      runtime.status();
      skipped.push({ ...runtime.snapshot.decisions.skipped });
      await runtime.stop();
    },
  };
}

/** The hooks the backtest calls: no snapshot/restore (nothing to resume) and no prepare (one candle at a time). */
export const BACKTEST_HOOKS: readonly PluginHook[] = PLUGIN_HOOKS.filter(
  (h) => h !== 'snapshot' && h !== 'restore' && h !== 'prepare',
);

/** The backtest: runtimeTarget (the runtime with the paper executor) driven by the replay engine. */
export function backtestHost(): ContractHost {
  const logger = silentLogger();
  const config = CONFIG;
  return {
    name: 'backtest',
    hooks: BACKTEST_HOOKS,
    riskCap: RISK_CAP,
    async run(session) {
      const clock = new ManualClock(0);
      const target = await runtimeTarget({
        exchange: 'binance',
        executionTimeframe: '5m',
        plugin: session.plugin,
        context: { config, logger, models: new ModelSet(logger), decisions: new DecisionRecorder(logger) },
        risk: new RiskManager(config.risk, logger, CASH, 0),
        clock,
        logger,
        startingBalance: CASH,
        feeRate: 0.001,
        slippageBps: 0,
        fundingRatePer8h: 0,
      });
      const symbols = [...new Set(session.candles.map((c) => c.candle.symbol))];
      const events = mergeByCloseTime(
        'binance',
        symbols.map((symbol) => ({
          symbol,
          timeframe: '5m' as const,
          candles: session.candles.filter((c) => c.candle.symbol === symbol).map((c) => c.candle),
        })),
      );
      const key = (c: ClosedCandle) => `${c.symbol}@${c.timestamp}`;
      const warm = new Set(session.candles.filter((c) => c.warmup).map((c) => key(c.candle)));
      let i = 0;
      for (; i < events.length && warm.has(key(events[i].candle)); i++) {
        clock.set(Math.max(clock.now(), events[i].closeTime));
        await target.warm(events[i].candle);
      }
      await runReplay(events.slice(i), target, clock, { executionTimeframe: '5m' });
      target.runtime.status();
      await target.close();
    },
  };
}
