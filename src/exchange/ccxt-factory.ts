import { pro } from 'ccxt';
import type { Exchange } from 'ccxt';
import type { ExchangeId } from '../core/types.ts';
import type { Logger } from '../core/logger.ts';
import { QuantgateError } from '../core/errors.ts';

export type CcxtExchange = Exchange;

export interface CcxtCredentials {
  /** Binance API key / secret. */
  readonly apiKey?: string;
  readonly secret?: string;
  /** Hyperliquid wallet address and its (API wallet) private key. */
  readonly walletAddress?: string;
  readonly privateKey?: string;
}

export interface CcxtFactoryOptions {
  readonly exchange: ExchangeId;
  readonly market: 'spot' | 'swap';
  /** Point ccxt at another server (the local simulator): REST base and websocket base. */
  readonly urls?: { readonly rest?: string; readonly ws?: string };
  readonly credentials?: CcxtCredentials;
  /** ccxt's client-side REST throttle; keep on against real exchanges. Default true. */
  readonly rateLimit?: boolean;
  /** Websocket keep-alive ping interval (ms); a connection missing two pongs is dropped. */
  readonly keepAliveMs?: number;
  /** REST request timeout (ms). */
  readonly timeoutMs?: number;
  /** Where ccxt's own diagnostics go (debug level); never console. */
  readonly logger?: Logger;
}

/**
 * A configured ccxt.pro instance for Binance or Hyperliquid. Verbose mode stays off: it logs
 * request headers, i.e. API keys. Await `ready(ex)` (or call `loadHttpProxyAgent`) before using
 * ws:// URLs — ccxt otherwise rejects them.
 */
export async function createCcxtExchange(opts: CcxtFactoryOptions): Promise<CcxtExchange> {
  const base = {
    enableRateLimit: opts.rateLimit ?? true,
    timeout: opts.timeoutMs ?? 10_000,
    verbose: false,
  };
  const creds = opts.credentials ?? {};
  let ex: CcxtExchange;
  if (opts.exchange === 'binance') {
    ex = new pro.binance({
      ...base,
      apiKey: creds.apiKey,
      secret: creds.secret,
      options: {
        defaultType: opts.market === 'swap' ? 'future' : 'spot',
        fetchMarkets: { types: [opts.market === 'swap' ? 'linear' : 'spot'] },
        // sapi currency endpoints do not exist on a local server and need keys anyway.
        fetchCurrencies: opts.urls === undefined,
      },
    }) as CcxtExchange;
    if (opts.urls?.rest) setPath(ex, ['urls', 'api', 'public'], opts.urls.rest);
    if (opts.urls?.ws)
      setPath(ex, ['urls', 'api', 'ws', opts.market === 'swap' ? 'future' : 'spot'], opts.urls.ws);
  } else if (opts.exchange === 'hyperliquid') {
    ex = new pro.hyperliquid({
      ...base,
      walletAddress: creds.walletAddress,
      privateKey: creds.privateKey,
      options: { defaultType: opts.market, fetchMarkets: { types: ['spot', 'swap'] } },
    }) as CcxtExchange;
    if (opts.urls?.rest) {
      setPath(ex, ['urls', 'api', 'public'], opts.urls.rest);
      setPath(ex, ['urls', 'api', 'private'], opts.urls.rest);
    }
    if (opts.urls?.ws) setPath(ex, ['urls', 'api', 'ws', 'public'], opts.urls.ws);
  } else {
    throw new QuantgateError(
      'CONFIG_INVALID',
      `exchange.name: unknown exchange ${String(opts.exchange)} (expected binance or hyperliquid)`,
    );
  }
  const log = opts.logger;
  // ccxt prints websocket diagnostics (e.g. unparsable frames) with console.log by default.
  ex.log = (...args: unknown[]) =>
    log?.debug({ ccxt: args.map((a) => (a instanceof Error ? a.message : String(a))) }, 'ccxt');
  const streaming = (ex as unknown as { streaming: Record<string, unknown> }).streaming;
  if (opts.keepAliveMs !== undefined) streaming.keepAlive = opts.keepAliveMs;
  // Reconnect pacing is the caller's (CandleStream's capped backoff), not ccxt's.
  ex.options.ws = { ...(ex.options.ws as object), backoff: { base: 0, factor: 1, max: 0 } };
  await ex.loadHttpProxyAgent();
  return ex;
}

/** ccxt's `urls` is a loose nested record; set one leaf without widening our types to any. */
function setPath(ex: CcxtExchange, path: string[], value: string): void {
  let node = ex as unknown as Record<string, unknown>;
  for (const k of path.slice(0, -1)) {
    const next = node[k];
    if (typeof next !== 'object' || next === null) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}
