import type { Candle, ExchangeId, Timeframe } from '../core/types.ts';
import { isTimeframe, timeframeMs } from '../core/types.ts';

/** What one websocket frame is, once checked. */
export type FrameVerdict =
  | {
      readonly kind: 'candle';
      /** Exchange-side id of the series: `<marketId>|<interval>` (Binance) or `<coin>|<interval>` (Hyperliquid). */
      readonly wireKey: string;
      readonly timeframe: Timeframe;
      readonly candle: Candle;
      /** The exchange's own "closed" flag when it sends one (Binance `x`), else undefined. */
      readonly final: boolean | undefined;
    }
  /** Acks, pongs, errors: not ours to judge, handed to ccxt unchanged. */
  | { readonly kind: 'control' }
  | { readonly kind: 'malformed'; readonly reason: string };

const MALFORMED = (reason: string): FrameVerdict => ({ kind: 'malformed', reason });
const CONTROL: FrameVerdict = { kind: 'control' };

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A number sent as a decimal string or a JSON number; anything else (null, '', 'NaN', 'abc') is NaN. */
function num(x: unknown): number {
  if (typeof x === 'number') return x;
  // Number('') and Number(' ') are 0, not NaN: an empty or blank field must not read as zero.
  if (typeof x !== 'string' || x.length === 0 || x.charCodeAt(0) <= 32) return Number.NaN;
  return Number(x);
}

/**
 * Checks a candle's fields: integer open time on the timeframe grid, finite prices with
 * low ≤ open, close ≤ high, non-negative volume. Returns the reason it fails, or null.
 */
export function candleProblem(c: Candle, tfMs: number): string | null {
  if (!Number.isSafeInteger(c.timestamp) || c.timestamp < 0) return 'open time is not a non-negative integer';
  if (c.timestamp % tfMs !== 0) return `open time ${c.timestamp} is not on the ${tfMs} ms grid`;
  const { open, high, low, close, volume } = c;
  if (![open, high, low, close, volume].every(Number.isFinite))
    return 'a price or the volume is not a finite number';
  if (!(low <= open && low <= close && high >= open && high >= close && low <= high)) {
    return `impossible OHLC (o=${open} h=${high} l=${low} c=${close})`;
  }
  if (volume < 0) return `negative volume ${volume}`;
  return null;
}

function readCandle(d: Obj, timeframe: Timeframe): { candle: Candle; problem: string | null } {
  const candle: Candle = {
    timestamp: num(d.t),
    open: num(d.o),
    high: num(d.h),
    low: num(d.l),
    close: num(d.c),
    volume: num(d.v),
  };
  return { candle, problem: candleProblem(candle, timeframeMs(timeframe)) };
}

/** Binance spot kline stream frames, raw (`{e:'kline',…}`) or combined (`{stream, data}`). */
export function classifyBinanceFrame(message: unknown): FrameVerdict {
  if (!isObj(message)) return MALFORMED(typeof message === 'string' ? 'not JSON' : 'not a JSON object');
  const m = isObj(message.data) && typeof message.stream === 'string' ? message.data : message;
  if (m.e === 'kline') {
    const k = m.k;
    if (!isObj(k)) return MALFORMED('kline event without k');
    const interval = k.i;
    if (typeof interval !== 'string' || !isTimeframe(interval))
      return MALFORMED(`unknown interval ${String(interval)}`);
    if (typeof k.s !== 'string' || k.s === '') return MALFORMED('kline without symbol');
    if (k.x !== undefined && typeof k.x !== 'boolean') return MALFORMED('kline closed flag is not a boolean');
    const { candle, problem } = readCandle(k, interval);
    if (problem) return MALFORMED(problem);
    return {
      kind: 'candle',
      wireKey: `${k.s}|${interval}`,
      timeframe: interval,
      candle,
      final: k.x as boolean | undefined,
    };
  }
  if ('id' in m || 'error' in m || 'result' in m) return CONTROL;
  return MALFORMED(`unexpected frame ${JSON.stringify(m).slice(0, 60)}`);
}

const HL_CONTROL_CHANNELS = new Set(['subscriptionResponse', 'pong', 'error', 'post']);

/** Hyperliquid `channel:"candle"` frames; other known channels pass through. */
export function classifyHyperliquidFrame(message: unknown): FrameVerdict {
  if (!isObj(message)) return MALFORMED(typeof message === 'string' ? 'not JSON' : 'not a JSON object');
  const channel = message.channel;
  if (channel === 'candle') {
    const d = message.data;
    if (!isObj(d)) return MALFORMED('candle frame without data');
    const interval = d.i;
    if (typeof interval !== 'string' || !isTimeframe(interval))
      return MALFORMED(`unknown interval ${String(interval)}`);
    if (typeof d.s !== 'string' || d.s === '') return MALFORMED('candle without coin');
    const { candle, problem } = readCandle(d, interval);
    if (problem) return MALFORMED(problem);
    return { kind: 'candle', wireKey: `${d.s}|${interval}`, timeframe: interval, candle, final: undefined };
  }
  if (typeof channel === 'string' && HL_CONTROL_CHANNELS.has(channel)) return CONTROL;
  return MALFORMED(`unexpected channel ${String(channel)}`);
}

export function frameClassifier(exchange: ExchangeId): (message: unknown) => FrameVerdict {
  return exchange === 'binance' ? classifyBinanceFrame : classifyHyperliquidFrame;
}
