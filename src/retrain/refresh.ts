import type { Config } from '../config/index.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { timeframeMs } from '../core/types.ts';
import { createCcxtExchange, downloadSeries } from '../exchange/index.ts';
import type { OhlcvSource } from '../exchange/index.ts';
import type { Refresher } from './cycle.ts';
import { qualityLimits } from './data-quality.ts';

export interface ExchangeRefresher {
  readonly refresh: Refresher;
  close(): Promise<void>;
}

/**
 * Brings the candle store up to the last closed candle through the download logic (resumes after
 * the last stored candle; an empty store gets twice retrain.dataQuality.minCandles of history).
 * `source` replaces the ccxt client (tests: a client pointed at the simulator).
 */
export function exchangeRefresher(
  config: Config,
  clock: Clock,
  logger: Logger,
  source?: OhlcvSource & { close?(): Promise<unknown> },
): ExchangeRefresher {
  let client: Promise<OhlcvSource & { close?(): Promise<unknown> }> | undefined;
  const get = () =>
    (client ??= source
      ? Promise.resolve(source)
      : createCcxtExchange({
          exchange: config.exchange.name,
          market: config.exchange.market,
          urls: config.exchange.urls,
          rateLimit: true,
          timeoutMs: 10_000,
          logger,
        }));
  return {
    async refresh(tf, symbols) {
      const ex = await get();
      const since =
        clock.now() - 2 * qualityLimits(config.retrain.dataQuality, tf).minCandles * timeframeMs(tf);
      for (const symbol of symbols) {
        const r = await downloadSeries({
          exchange: ex,
          exchangeId: config.exchange.name,
          symbol,
          timeframe: tf,
          since,
          dataDir: config.data.dir,
          now: () => clock.now(),
          logger,
          url: config.exchange.urls?.rest,
        });
        logger.info(
          { symbol, timeframe: tf, added: r.added, last: r.last && new Date(r.last).toISOString() },
          'retrain: candle store refreshed',
        );
      }
    },
    async close() {
      if (client && !source) await (await client).close?.().catch(() => undefined);
    },
  };
}
