import type { ClosedCandle, ModelTimeframe, Signal } from '../core/types.ts';
import type {
  OrderUpdate,
  PluginContext,
  PluginHook,
  PluginState,
  PositionInfo,
  StrategyPlugin,
  Veto,
} from '../strategy/index.ts';
import type { ContractCandle, ScriptStep } from './scenario.ts';

/** One hook call as the recording plugin saw it. */
export interface HookCall {
  readonly hook: PluginHook;
  /** The call's arguments (candles, signal and quantity, update, state…). */
  readonly args: readonly unknown[];
  /** What the hook returned (onCandle's signal, beforeOpen's veto, snapshot's state). */
  result?: unknown;
  /** At onCandle: the host's account for the candle's symbol when the hook was called. */
  readonly account?: {
    readonly position: PositionInfo | null;
    readonly pending: boolean;
    readonly equity: number;
  };
}

/** The quantity an oversized entry asks for (far beyond any notional cap). */
export const OVERSIZED = 1_000_000;
const SIZE = 0.5;

/**
 * A plugin implementing every hook of the contract that records each call and decides by a fixed
 * script (`scenario.ts`), keyed by the candle's index among the scenario's decided candles.
 */
export class RecordingPlugin implements StrategyPlugin {
  readonly name = 'contract-recorder';
  readonly timeframes: readonly ModelTimeframe[];
  readonly warmup: Readonly<Partial<Record<ModelTimeframe, number>>>;
  readonly calls: HookCall[] = [];
  private ctx: PluginContext | null = null;
  private seen = 0;
  private last = -1;
  /** Decided-candle index by `symbol@openTime`. */
  private readonly index = new Map<string, number>();

  constructor(
    candles: readonly ContractCandle[],
    private readonly steps: ReadonlyMap<number, ScriptStep>,
    timeframe: ModelTimeframe,
    warm: number,
  ) {
    this.timeframes = [timeframe];
    this.warmup = { [timeframe]: warm };
    const n = new Map<string, number>();
    for (const { candle: c, warmup } of candles) {
      if (warmup) continue;
      const i = n.get(c.symbol) ?? 0;
      n.set(c.symbol, i + 1);
      this.index.set(`${c.symbol}@${c.timestamp}`, i);
    }
  }

  /** The script step of a candle (undefined: no signal). */
  stepOf(c: Pick<ClosedCandle, 'symbol' | 'timestamp'>): ScriptStep | undefined {
    const i = this.index.get(`${c.symbol}@${c.timestamp}`);
    return i === undefined ? undefined : this.steps.get(i);
  }

  indexOf(c: Pick<ClosedCandle, 'symbol' | 'timestamp'>): number | undefined {
    return this.index.get(`${c.symbol}@${c.timestamp}`);
  }

  private record(hook: PluginHook, ...args: unknown[]): HookCall {
    const call: HookCall = { hook, args };
    this.calls.push(call);
    return call;
  }

  async init(ctx: PluginContext): Promise<void> {
    this.record('init', ctx);
    this.ctx = ctx;
  }

  restore(state: PluginState): void {
    this.record('restore', state);
    const s = state as { seen?: number; last?: number };
    this.seen = s.seen ?? 0;
    this.last = s.last ?? -1;
  }

  async warm(c: ClosedCandle): Promise<void> {
    this.record('warm', c);
    this.seen++;
    this.last = c.timestamp;
  }

  async prepare(candles: readonly ClosedCandle[]): Promise<void> {
    this.record('prepare', [...candles]);
  }

  async onCandle(c: ClosedCandle): Promise<Signal | null> {
    const account = this.ctx?.account;
    const call: HookCall = {
      hook: 'onCandle',
      args: [c],
      ...(account
        ? {
            account: {
              position: account.position(c.symbol),
              pending: account.hasPending(c.symbol),
              equity: account.equity(),
            },
          }
        : {}),
    };
    this.calls.push(call);
    this.seen++;
    this.last = c.timestamp;
    const step = this.stepOf(c);
    let signal: Signal | null = null;
    if (step?.action === 'open') signal = this.signal(c, 'open', step.oversized ? OVERSIZED : SIZE);
    // A close only while the host shows a position (a refused entry leaves nothing to close).
    else if (step?.action === 'close' && call.account?.position) signal = this.signal(c, 'close', 0);
    call.result = signal;
    return signal;
  }

  private signal(c: ClosedCandle, action: 'open' | 'close', size: number): Signal {
    return {
      exchange: c.exchange,
      symbol: c.symbol,
      timestamp: c.timestamp,
      action,
      direction: 'long',
      confidence: 0.7,
      riskReward: 2,
      size,
      price: c.close,
      // Far outside the scenario's prices: exits come from close signals only.
      takeProfit: c.close * 10,
      stopLoss: c.close / 10,
      modelVersions: { [c.timeframe]: 'contract' },
      reason: `contract script ${action}`,
    };
  }

  beforeOpen(signal: Signal, quantity: number): Veto | null {
    const call = this.record('beforeOpen', signal, quantity);
    const veto = this.stepOf(signal)?.action === 'open' && (this.stepOf(signal) as { veto?: boolean }).veto;
    call.result = veto ? { reason: 'contract_veto', detail: 'the script vetoes this entry' } : null;
    return call.result as Veto | null;
  }

  onOrderUpdate(update: OrderUpdate): void {
    this.record('onOrderUpdate', { ...update });
  }

  snapshot(): PluginState {
    const state = { seen: this.seen, last: this.last };
    this.record('snapshot').result = state;
    return state;
  }

  modelVersions(): Record<string, string> {
    this.record('modelVersions');
    return { [this.timeframes[0]]: 'contract' };
  }

  async dispose(): Promise<void> {
    this.record('dispose');
  }
}
