import type { ClosedCandle, ExchangeId, ModelTimeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';

/** A candle of the kit's scenario: `warmup` candles are history (the host feeds them as such). */
export interface ContractCandle {
  readonly candle: ClosedCandle;
  readonly warmup: boolean;
}

/** What the recording plugin does at a decided candle of a symbol (by its index among the decided ones). */
export type ScriptStep =
  | {
      readonly action: 'open';
      readonly outcome: 'filled' | 'canceled' | 'rejected';
      readonly veto?: boolean;
      readonly oversized?: boolean;
    }
  | { readonly action: 'close' };

export interface ContractOptions {
  /** Default ['BTC/USDT', 'ETH/USDT']. */
  readonly symbols?: readonly string[];
  /** Default 'binance'. */
  readonly exchange?: ExchangeId;
  /** The host's execution timeframe, the only one the scenario uses. Default '5m'. */
  readonly timeframe?: ModelTimeframe;
  /** Open time of the first candle (ms). Default 2024-01-01 00:00 UTC. */
  readonly start?: number;
  /** Warm-up candles per series before the decided ones. Default 3. */
  readonly warmup?: number;
}

/** Decided candles per symbol; the restart (a persisting host) comes after `SPLIT` of them. */
export const DECIDED = 16;
export const SPLIT = 10;

/**
 * The script per decided candle index. Opens at 1, 5, 7, 9, 11; closes at 3, 6, 8, 13 (sent only
 * when the account shows a position). 5 is rejected and 7 canceled where the host can make them
 * so (else they fill and 6 and 8 close them); 9 is vetoed by `beforeOpen`; 11 is oversized where
 * the host's risk manager caps notional. Nothing is pending at the split.
 */
export function script(failures: readonly string[], riskCap: boolean): ReadonlyMap<number, ScriptStep> {
  const can = (o: 'canceled' | 'rejected') => (failures.includes(o) ? o : 'filled');
  return new Map<number, ScriptStep>([
    [1, { action: 'open', outcome: 'filled' }],
    [3, { action: 'close' }],
    [5, { action: 'open', outcome: can('rejected') }],
    [6, { action: 'close' }],
    [7, { action: 'open', outcome: can('canceled') }],
    [8, { action: 'close' }],
    [9, { action: 'open', outcome: 'filled', veto: true }],
    [11, { action: 'open', outcome: 'filled', oversized: riskCap }],
    [13, { action: 'close' }],
  ]);
}

/** A deterministic price path per symbol (a slow wave; exits far outside it are never touched). */
export function scenarioCandles(o: ContractOptions): ContractCandle[] {
  const symbols = o.symbols ?? ['BTC/USDT', 'ETH/USDT'];
  const tf = o.timeframe ?? '5m';
  const step = timeframeMs(tf);
  const start = o.start ?? Date.UTC(2024, 0, 1);
  const warm = o.warmup ?? 3;
  const out: ContractCandle[] = [];
  for (let i = 0; i < warm + DECIDED; i++)
    symbols.forEach((symbol, k) => {
      const base = 100 * (k + 1);
      const open = base * (1 + 0.01 * Math.sin(i / 3));
      const close = base * (1 + 0.01 * Math.sin((i + 1) / 3));
      out.push({
        warmup: i < warm,
        candle: {
          exchange: o.exchange ?? 'binance',
          symbol,
          timeframe: tf,
          timestamp: start + i * step,
          open,
          high: Math.max(open, close) * 1.001,
          low: Math.min(open, close) * 0.999,
          close,
          volume: 10 + i,
        },
      });
    });
  return out;
}
