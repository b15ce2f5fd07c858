import type { Candle, ExchangeId, Timeframe } from '../core/types.ts';

/** One candle series the simulator replays. `symbol` is the ccxt unified symbol. */
export interface SimSeriesInput {
  readonly exchange: ExchangeId;
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** Ascending by open time; gaps are allowed (the exchange then sends nothing for them). */
  readonly candles: readonly Candle[];
}

/** A parsed HTTP request as route handlers see it. */
export interface SimRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Parsed JSON body (POST), or undefined. */
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface SimResponse {
  readonly status: number;
  /** Serialised as JSON unless it is already a string. */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RouteHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

/** Handler for one Hyperliquid `POST /info` request type (`meta`, `candleSnapshot`, …). */
export type InfoHandler = (
  body: Record<string, unknown>,
  req: SimRequest,
) => SimResponse | Promise<SimResponse>;

export function json(body: unknown, status = 200): SimResponse {
  return { status, body };
}
