import type {
  AccountView,
  BacktestDeps,
  ModelMap,
  ReplayTarget,
  StepOutcome,
  TradeRecord,
} from '../../../src/backtest/index.ts';
import type { ManualClock } from '../../../src/core/clock.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import type { Candle, ClosedCandle, Forecast, Signal, Timeframe } from '../../../src/core/index.ts';
import type { FeatureMatrix } from '../../../src/features/types.ts';
import type { ForecastInput, Forecaster } from '../../../src/models/forecaster.ts';

/**
 * Test-only stand-ins used to exercise the replay orchestration in isolation: a one-column
 * feature (1-candle log return), a "momentum" forecaster (q50 = mean of the window) and a
 * single-position all-in long account. The real plugin / broker are wired in wiring.ts.
 */
export function returnFeatures(candles: readonly Candle[]): FeatureMatrix {
  const rows = new Float32Array(candles.length).fill(NaN);
  for (let i = 1; i < candles.length; i++) rows[i] = Math.log(candles[i].close / candles[i - 1].close);
  return { names: ['ret1'], rows, length: candles.length, firstValid: 1 };
}

export class MomentumForecaster implements Forecaster {
  readonly featureNames = ['ret1'];
  calls = 0;
  constructor(
    readonly timeframe: Timeframe,
    readonly window: number,
    readonly version = 'momentum',
    readonly horizon = 3,
  ) {}
  predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    this.calls += inputs.length;
    return inputs.map((x) => {
      const m = x.features.reduce((a, b) => a + b, 0) / x.features.length;
      return {
        timeframe: this.timeframe,
        pBuy: m > 0 ? 0.6 : 0.2,
        pSell: m > 0 ? 0.2 : 0.6,
        pHold: 0.2,
        q10: m - 0.01,
        q50: m,
        q90: m + 0.01,
        modelVersion: this.version,
      };
    });
  }
  dispose(): void {}
}

function toySignal(c: ClosedCandle, action: 'open' | 'close', size: number): Signal {
  return {
    exchange: c.exchange,
    symbol: c.symbol,
    timestamp: c.timestamp,
    action,
    direction: 'long',
    confidence: 0.6,
    riskReward: 1,
    size,
    price: c.close,
    takeProfit: c.close * 1.01,
    stopLoss: c.close * 0.99,
    modelVersions: {},
    reason: 'toy',
  };
}

export class ToyTarget implements ReplayTarget {
  private cash: number;
  private qty = 0;
  private entry = { t: 0, price: 0, fee: 0 };
  private last = 0;
  private feesPaid = 0;
  private readonly closed: TradeRecord[] = [];
  private readonly hist = new Map<string, number[]>();
  readonly decisions: Array<{ t: number; action: string }> = [];
  constructor(
    private readonly clock: ManualClock,
    private readonly models: ModelMap,
    start: number,
    private readonly fee: number,
    private readonly exec: Timeframe = '5m',
  ) {
    this.cash = start;
  }
  readonly account: AccountView = {
    equity: () => this.cash + this.qty * this.last,
    exposure: () => this.qty * this.last,
    trades: () => this.closed,
    fees: () => this.feesPaid,
    funding: () => 0,
  };
  /** Its decisions by action, cumulative like the real plugin's counters. */
  gateCounters(): Record<string, number> {
    const out: Record<string, number> = { none: 0 };
    for (const d of this.decisions) out[d.action] = (out[d.action] ?? 0) + 1;
    return out;
  }
  private push(c: ClosedCandle): number[] {
    const h = this.hist.get(c.timeframe) ?? [];
    h.push(c.close);
    this.hist.set(c.timeframe, h);
    return h;
  }
  async warm(c: ClosedCandle): Promise<void> {
    this.push(c);
  }
  async step(c: ClosedCandle): Promise<StepOutcome> {
    const h = this.push(c);
    if (c.timeframe !== this.exec) return { signal: null, fills: [] };
    this.last = c.close;
    const m = this.models[this.exec as '5m']!;
    if (h.length < m.window + 1) return { signal: null, fills: [] };
    const feats = new Float32Array(m.window);
    for (let k = 0; k < m.window; k++)
      feats[k] = Math.fround(Math.log(h[h.length - m.window + k] / h[h.length - m.window + k - 1]));
    const [f] = m.predictBatch([{ symbol: c.symbol, features: feats }]);
    // No forecast (a model that could not be trained): no decision, as in the real strategy.
    if (f === undefined) return { signal: null, fills: [] };
    const now = this.clock.now();
    if (this.qty === 0 && f.q50 > 0) {
      const fee = this.cash * this.fee;
      this.qty = (this.cash - fee) / c.close;
      this.entry = { t: now, price: c.close, fee };
      this.feesPaid += fee;
      this.cash = 0;
      this.decisions.push({ t: now, action: 'buy' });
      return {
        signal: toySignal(c, 'open', this.qty),
        fills: [
          {
            symbol: c.symbol,
            side: 'buy',
            quantity: this.qty,
            price: c.close,
            fee,
            timestamp: now,
            reason: 'open',
          },
        ],
      };
    }
    if (this.qty > 0 && f.q50 < 0) {
      const gross = this.qty * c.close;
      const fee = gross * this.fee;
      this.feesPaid += fee;
      this.cash = gross - fee;
      this.closed.push({
        symbol: c.symbol,
        timeframe: this.exec,
        direction: 'long',
        entryTime: this.entry.t,
        exitTime: now,
        entryPrice: this.entry.price,
        exitPrice: c.close,
        quantity: this.qty,
        pnl: gross - fee - this.qty * this.entry.price - this.entry.fee,
        fees: fee + this.entry.fee,
        funding: 0,
        predictedRiskReward: 1,
        stopLoss: this.entry.price * 0.99,
        exitReason: 'signal',
      });
      const q = this.qty;
      this.qty = 0;
      this.decisions.push({ t: now, action: 'sell' });
      return {
        signal: toySignal(c, 'close', q),
        fills: [
          {
            symbol: c.symbol,
            side: 'sell',
            quantity: q,
            price: c.close,
            fee,
            timestamp: now,
            reason: 'close',
          },
        ],
      };
    }
    return { signal: null, fills: [] };
  }
}

export function randomWalk(
  start: number,
  step: number,
  n: number,
  seed = 1,
  skip: readonly number[] = [],
): Candle[] {
  let p = 100;
  let s = seed;
  const out: Candle[] = [];
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    const o = p;
    p *= 1 + (s / 2147483647 - 0.5) * 0.01;
    if (!skip.includes(i))
      out.push({
        timestamp: start + i * step,
        open: o,
        high: Math.max(o, p) * 1.001,
        low: Math.min(o, p) * 0.999,
        close: p,
        volume: 10,
      });
  }
  return out;
}

export function toyDeps(
  store: Record<string, Partial<Record<Timeframe, Candle[]>>>,
  targets: ToyTarget[] = [],
): BacktestDeps {
  return {
    source: { describe: 'memory', load: (s, tf) => store[s]?.[tf] ?? null },
    computeFeatures: (c) => returnFeatures(c),
    loadModels: async () => ({ '5m': new MomentumForecaster('5m', 6) }),
    trainModels: async (_d, slot) => ({
      '5m': new MomentumForecaster('5m', 6, `wf-${new Date(slot.trainTo).toISOString().slice(0, 10)}`),
    }),
    baselineModels: () => ({ '5m': new MomentumForecaster('5m', 6, 'baseline') }),
    createTarget: async ({ clock, models }) => {
      const t = new ToyTarget(clock, models, 1000, 0.001);
      targets.push(t);
      return t;
    },
    label: (_tf, c, h) =>
      c.map((x, i) =>
        i + h >= c.length
          ? -1
          : c[i + h].close > x.close * 1.002
            ? 0
            : c[i + h].close < x.close * 0.998
              ? 1
              : 2,
      ),
    logger: silentLogger(),
  };
}
