import { csvSource, runBacktest, runtimeTarget } from '../../../src/backtest/index.ts';
import type { BacktestResult, FillRecord, ReplayTarget } from '../../../src/backtest/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import type { ClosedCandle, Signal } from '../../../src/core/index.ts';
import type { RuntimePlugin } from '../../../src/runtime/index.ts';
import { MomentumForecaster, returnFeatures } from './toy.ts';

/** The fixture store: real Binance 5m candles, June 6 → July 17, 2021. */
export const FIXTURE_DIR = 'test/fixtures/candles';
const M5 = 300_000;

export type RuleMode = 'none' | 'one' | 'many';

/**
 * A deterministic rule in place of the model plugin (the runtime and the report must not care
 * what decides): long after three rising closes, TP +0.4 %, SL −0.3 %, a close signal 36 candles
 * after an entry signal. Its R/R and confidence change from candle to candle, so a trade that took
 * them from the wrong signal shows it. `none` never signals (counted as low_confidence, as the
 * real gate would), `one` emits only its first entry.
 */
export class VaryingRule implements RuntimePlugin {
  readonly name = 'varying-rule';
  readonly counters: Record<string, number> = {};
  readonly signals: Signal[] = [];
  private closes = new Map<string, number[]>();
  private openedAt = new Map<string, number>();
  private entries = 0;
  constructor(
    private readonly mode: RuleMode,
    private readonly withEdge = false,
    /** Perps: every other entry is a short after three falling closes instead. */
    private readonly both = false,
  ) {}
  private count(k: string): void {
    this.counters[k] = (this.counters[k] ?? 0) + 1;
  }
  /** Warm-up candles: remembered, never decided on. */
  async warm(c: ClosedCandle): Promise<void> {
    this.remember(c);
  }
  private remember(c: ClosedCandle): number[] {
    const list = this.closes.get(c.symbol) ?? [];
    list.push(c.close);
    if (list.length > 4) list.shift();
    this.closes.set(c.symbol, list);
    return list;
  }
  async onCandle(c: ClosedCandle): Promise<Signal | null> {
    const list = this.remember(c);
    const k = Math.round(c.timestamp / M5);
    const base = {
      exchange: c.exchange,
      symbol: c.symbol,
      timestamp: c.timestamp,
      direction: 'long' as const,
      price: c.close,
      modelVersions: { '5m': 'rule' },
    };
    const opened = this.openedAt.get(c.symbol);
    if (opened !== undefined && c.timestamp - opened >= 36 * M5) {
      this.openedAt.delete(c.symbol);
      this.count('trade_closed_max_hold');
      const s: Signal = {
        ...base,
        action: 'close',
        confidence: 0,
        riskReward: 0,
        size: 0,
        takeProfit: 0,
        stopLoss: 0,
        reason: 'max hold',
      };
      this.signals.push(s);
      return s;
    }
    const rising = list.length === 4 && list[0] < list[1] && list[1] < list[2] && list[2] < list[3];
    const falling = list.length === 4 && list[0] > list[1] && list[1] > list[2] && list[2] > list[3];
    const short = this.both && this.entries % 2 === 1;
    const trigger = short ? falling : rising;
    if (this.mode === 'none' || !trigger || (this.mode === 'one' && this.entries > 0)) {
      this.count(trigger ? 'low_confidence' : 'no_direction');
      return null;
    }
    this.entries++;
    this.openedAt.set(c.symbol, c.timestamp);
    this.count('trade_opened');
    const rr = 0.5 + (k % 17) / 10;
    const confidence = 0.55 + (k % 7) / 100;
    const s: Signal = {
      ...base,
      ...(short ? { direction: 'short' as const } : {}),
      action: 'open',
      confidence,
      riskReward: rr,
      size: Number((2000 / c.close).toFixed(5)),
      takeProfit: c.close * (short ? 0.996 : 1.004),
      stopLoss: c.close * (short ? 1.003 : 0.997),
      reason: 'three rising closes',
      ...(this.withEdge ? { pWin: confidence - 0.05, expectedEdgeBps: (k % 11) - 3 } : {}),
    };
    this.signals.push(s);
    return s;
  }
  async dispose(): Promise<void> {}
}

export interface RuleBacktest {
  readonly result: BacktestResult;
  /** Every broker fill of the strategy's replay, in order, as the shared step reported it. */
  readonly fills: readonly FillRecord[];
  readonly plugin: VaryingRule;
}

/**
 * A real short backtest: fixture candles → close-time replay → the live `Runtime` with the paper
 * executor (fills at the next open, fees, slippage) → metrics. Only the decision rule is a stand-in.
 */
export async function ruleBacktest(
  mode: RuleMode,
  opts: {
    symbols?: string[];
    days?: number;
    withEdge?: boolean;
    /** A perp market: longs and shorts, funding charged at this rate per 8 h. */
    perp?: { fundingRatePer8h: number };
  } = {},
): Promise<RuleBacktest> {
  const fills: FillRecord[] = [];
  let plugin: VaryingRule | undefined;
  const from = Date.UTC(2021, 5, 10);
  const result = await runBacktest(
    {
      exchange: 'binance',
      symbols: opts.symbols ?? ['BTC/USDT', 'ETH/USDT'],
      timeframes: ['5m'],
      executionTimeframe: '5m',
      from,
      to: from + (opts.days ?? 10) * 86_400_000,
      walkForward: false,
      walkForwardDays: 7,
      warmupCandles: 20,
      horizons: { '5m': 3, '1h': 6, '12h': 2, '1d': 1 },
      startingBalance: 10_000,
      fee: 0.001,
      slippage: 0.0002,
      riskFreeRate: 0,
      skipBaseline: true,
    },
    {
      source: csvSource(FIXTURE_DIR, 'binance'),
      computeFeatures: (c) => returnFeatures(c),
      loadModels: async () => ({ '5m': new MomentumForecaster('5m', 6, 'rule-models') }),
      baselineModels: () => ({ '5m': new MomentumForecaster('5m', 6, 'baseline') }),
      createTarget: async ({ clock }): Promise<ReplayTarget> => {
        const p = new VaryingRule(mode, opts.withEdge, opts.perp !== undefined);
        plugin = p;
        const t = await runtimeTarget({
          exchange: 'binance',
          executionTimeframe: '5m',
          plugin: p,
          clock,
          logger: silentLogger(),
          startingBalance: 10_000,
          feeRate: 0.001,
          slippageBps: 2,
          fundingRatePer8h: opts.perp?.fundingRatePer8h ?? 0,
          ...(opts.perp ? { canShort: () => true } : {}),
          pluginCounters: () => p.counters,
        });
        // Records what the step returned; the step itself is the runtime's, untouched.
        return {
          account: t.account,
          gateCounters: () => t.gateCounters(),
          warm: (c) => t.warm(c),
          step: async (c) => {
            const out = await t.step(c);
            fills.push(...out.fills);
            return out;
          },
        };
      },
      label: (_tf, c, h) => c.map((x, i) => (i + h >= c.length ? -1 : c[i + h].close > x.close ? 0 : 1)),
      logger: silentLogger(),
    },
  );
  return { result, fills, plugin: plugin! };
}
