import type { ClosedCandle, Forecast, Signal, Timeframe } from '../../src/core/types.ts';
import type { AccountView, PositionInfo, StrategyPlugin } from '../../src/strategy/index.ts';
import type { Forecaster, ForecastInput } from '../../src/models/forecaster.ts';

/** A deterministic forecaster for strategy tests: the forecast is a pure function of the input rows. */
export class FakeForecaster implements Forecaster {
  readonly horizon = 12;
  calls = 0;
  disposed = false;
  constructor(
    readonly version: string,
    readonly timeframe: Timeframe,
    readonly featureNames: readonly string[],
    readonly window: number,
    private readonly fn: (inp: ForecastInput) => Omit<Forecast, 'timeframe' | 'modelVersion'>,
  ) {}
  predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    if (this.disposed) throw new Error(`${this.version} used after dispose`);
    this.calls++;
    return inputs.map((i) => ({ ...this.fn(i), timeframe: this.timeframe, modelVersion: this.version }));
  }
  dispose(): void {
    this.disposed = true;
  }
}

export function forecast(p: Partial<Forecast>): Forecast {
  return {
    timeframe: '5m',
    pBuy: 0.8,
    pSell: 0.1,
    pHold: 0.1,
    q10: -0.01,
    q50: 0.005,
    q90: 0.03,
    modelVersion: 'v',
    ...p,
  };
}

/**
 * A minimal host for strategy tests: entries fill at once at the signal price; a position closes on
 * a close signal or when a 5m candle touches its take-profit or stop.
 */
export class MiniHost {
  readonly signals: Signal[] = [];
  private readonly positions = new Map<string, PositionInfo & { tp: number; sl: number }>();
  readonly account: AccountView = {
    equity: () => 10_000,
    position: (s) => this.positions.get(s) ?? null,
    hasPending: () => false,
  };

  async feed(plugin: Pick<StrategyPlugin, 'onCandle'>, c: ClosedCandle): Promise<void> {
    if (c.timeframe === '5m') {
      const p = this.positions.get(c.symbol);
      if (p && (c.low <= p.sl || c.high >= p.tp)) this.positions.delete(c.symbol);
    }
    const s = await plugin.onCandle(c);
    if (!s) return;
    this.signals.push(s);
    if (s.action === 'open')
      this.positions.set(s.symbol, {
        direction: s.direction,
        quantity: s.size,
        entryPrice: s.price,
        entryTime: s.timestamp,
        tp: s.takeProfit,
        sl: s.stopLoss,
      });
    else this.positions.delete(s.symbol);
  }
}
