import type { ExchangeId } from '../core/types.ts';
import { SimServer } from './server.ts';
import type { SimServerOptions } from './server.ts';
import { installBinance } from './binance.ts';
import { installHyperliquid } from './hyperliquid.ts';

export interface SimUrls {
  readonly rest: string;
  readonly ws: string;
}

/** Starts the fake Binance + Hyperliquid exchange on 127.0.0.1 (random port). */
export async function startSimExchange(opts: SimServerOptions): Promise<SimServer> {
  const server = new SimServer(opts);
  installBinance(server);
  installHyperliquid(server);
  await server.listen(opts.host);
  return server;
}

/** The URLs to give `createCcxtExchange({ urls })` for one exchange of a running simulator. */
export function simUrls(server: SimServer, exchange: ExchangeId): SimUrls {
  const base = `127.0.0.1:${server.port}`;
  return exchange === 'binance'
    ? { rest: `http://${base}/api/v3`, ws: `ws://${base}/stream/ws` }
    : { rest: `http://${base}`, ws: `ws://${base}/ws` };
}
