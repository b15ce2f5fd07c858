import type { Command } from 'commander';
import { parseDate } from '../../backtest/dates.ts';
import type { Config } from '../../config/index.ts';
import { systemClock } from '../../core/clock.ts';
import { QuantgateError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { EXCHANGES, isExchangeId, parseTimeframe, timeframeMs } from '../../core/types.ts';
import type { ExchangeId, Timeframe } from '../../core/types.ts';
import type { DownloadSeriesResult, OhlcvSource } from '../../exchange/index.ts';
import { createBars } from '../progress.ts';
import { CONFIG_HELP, action, collect, cliLogger, configFromOptions, splitList } from '../run.ts';
import { parseIntOption, parseSymbolsOption } from '../options.ts';

export interface DownloadCliOptions {
  exchange?: string;
  symbols?: string;
  timeframes?: string;
  since?: string;
  dataDir?: string;
  config?: string[];
  restUrl?: string;
  limit?: string;
  json?: boolean;
}

export interface DownloadRequest {
  readonly exchange: ExchangeId;
  readonly market: 'spot' | 'swap';
  readonly symbols: readonly string[];
  readonly timeframes: readonly Timeframe[];
  readonly since: number;
  readonly dataDir: string;
  readonly urls?: { readonly rest?: string; readonly ws?: string };
  readonly limit?: number;
}

/** Validates the command line (config only supplies defaults); throws USAGE naming the option. */
export function downloadRequest(opts: DownloadCliOptions, config: Config | undefined): DownloadRequest {
  const exchange = opts.exchange ?? config?.exchange.name;
  if (exchange === undefined || !isExchangeId(exchange))
    throw new QuantgateError(
      'USAGE',
      `--exchange: expected one of ${EXCHANGES.join(', ')}, got "${exchange ?? ''}"`,
    );
  const symbols = parseSymbolsOption(opts.symbols) ?? [...(config?.exchange.symbols ?? [])];
  if (symbols.length === 0)
    throw new QuantgateError('USAGE', '--symbols: expected at least one symbol, e.g. BTC/USDT,ETH/USDT');
  const tfNames = splitList(opts.timeframes ?? '');
  if (tfNames.length === 0) throw new QuantgateError('USAGE', '--timeframes: required, e.g. 5m,1h');
  const timeframes = tfNames.map((t) => {
    const tf = parseTimeframe(t);
    if (tf === null)
      throw new QuantgateError(
        'USAGE',
        `--timeframes: unknown timeframe "${t}" (expected e.g. 5m, 1h, 12h, 1d)`,
      );
    return tf;
  });
  if (opts.since === undefined)
    throw new QuantgateError('USAGE', '--since: required (UTC date, e.g. 2024-01-01)');
  const since = parseDate(opts.since, '--since');
  const limit = parseIntOption('--limit', opts.limit, 1, 5000);
  const urls =
    opts.restUrl !== undefined
      ? { rest: opts.restUrl }
      : config?.exchange.name === exchange
        ? config.exchange.urls
        : undefined;
  return {
    exchange,
    market:
      config?.exchange.name === exchange
        ? config.exchange.market
        : symbols[0].includes(':')
          ? 'swap'
          : 'spot',
    symbols,
    timeframes,
    since,
    dataDir: opts.dataDir ?? config?.data.dir ?? 'data',
    urls,
    limit,
  };
}

export interface DownloadDeps {
  readonly exchange: OhlcvSource & { loadMarkets(): Promise<unknown>; readonly symbols?: readonly string[] };
  /** Base REST URL, for error messages. */
  readonly url: string | undefined;
  readonly now: () => number;
  readonly logger: Logger;
  /** Draw a progress bar (stderr is a terminal); otherwise one log line per page. */
  readonly tty?: boolean;
  readonly retryInitialMs?: number;
}

/** Loads markets (the first request: fails fast when the host is unreachable), checks the symbols, downloads every series. */
export async function runDownload(req: DownloadRequest, deps: DownloadDeps): Promise<DownloadSeriesResult[]> {
  // ccxt is loaded only by the commands that talk to an exchange (keeps `--help` fast).
  const { downloadSeries, isUnreachable, toQuantgateError, unreachableError } =
    await import('../../exchange/index.ts');
  try {
    await deps.exchange.loadMarkets();
  } catch (e) {
    if (isUnreachable(e)) throw unreachableError(req.exchange, deps.url, e);
    throw toQuantgateError(e, `${req.exchange}: cannot load markets from ${deps.url ?? 'its default URL'}`);
  }
  const known = deps.exchange.symbols;
  if (known !== undefined && known.length > 0)
    for (const s of req.symbols)
      if (!known.includes(s))
        throw new QuantgateError('USAGE', `--symbols: ${req.exchange} has no market "${s}"`);
  const results: DownloadSeriesResult[] = [];
  const bars = deps.tty ? createBars('{series} [{bar}] {percentage}% | {value}/{total} candles') : undefined;
  try {
    for (const symbol of req.symbols)
      for (const timeframe of req.timeframes) {
        const series = `${symbol} ${timeframe}`;
        const tfMs = timeframeMs(timeframe);
        const total = Math.max(1, Math.floor((deps.now() - req.since) / tfMs));
        const bar = bars?.create(total, 0, { series });
        const r = await downloadSeries({
          exchange: deps.exchange,
          exchangeId: req.exchange,
          symbol,
          timeframe,
          since: req.since,
          dataDir: req.dataDir,
          now: deps.now,
          logger: deps.logger,
          limit: req.limit,
          url: deps.url,
          retryInitialMs: deps.retryInitialMs,
          onProgress: ({ added, last }) => {
            if (bar) bar.update(Math.min(total, Math.floor((last - req.since) / tfMs) + 1), { series });
            else deps.logger.info({ series, added, upTo: new Date(last).toISOString() }, 'page stored');
          },
        });
        bar?.update(total, { series });
        results.push(r);
      }
  } finally {
    bars?.stop();
  }
  return results;
}

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

/** One line per series for people; `--json` gives the same as data. */
export function summaryLine(symbol: string, timeframe: Timeframe, r: DownloadSeriesResult): string {
  const missing = r.gaps.reduce((s, g) => s + g.missing, 0);
  return (
    `${symbol} ${timeframe}: +${r.added} candles, stored ${iso(r.first) ?? '-'} … ${iso(r.last) ?? '-'}, ` +
    `${r.gaps.length} gaps (${missing} missing) → ${r.file}`
  );
}

export function registerDownload(program: Command): void {
  program
    .command('download')
    .description('download closed candles into the CSV store, resuming after the last stored candle')
    .option(
      '-e, --exchange <name>',
      `exchange: ${EXCHANGES.join(' | ')} (default: exchange.name of --config)`,
    )
    .option(
      '-s, --symbols <list>',
      'comma-separated symbols, e.g. BTC/USDT,ETH/USDT (default: exchange.symbols)',
    )
    .option('-t, --timeframes <list>', 'comma-separated timeframes, e.g. 5m,1h,12h,1d')
    .option('--since <date>', 'first candle open time, UTC (e.g. 2024-01-01)')
    .option('--data-dir <dir>', 'candle store directory (default: data.dir, else ./data)')
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .option('--rest-url <url>', 'REST base URL (e.g. the local simulator); default exchange.urls.rest')
    .option('--limit <n>', 'candles per request (default 1000 Binance, 500 Hyperliquid)')
    .option('--json', 'print the summary as JSON')
    .action(
      action(async (opts: DownloadCliOptions) => {
        const config = opts.config !== undefined ? configFromOptions(opts) : undefined;
        const req = downloadRequest(opts, config);
        // Unset level → QUANTGATE_LOG_LEVEL, else info.
        const logger = cliLogger(config);
        const { createCcxtExchange } = await import('../../exchange/index.ts');
        const ex = await createCcxtExchange({
          exchange: req.exchange,
          market: req.market,
          urls: req.urls,
          rateLimit: true,
          timeoutMs: 10_000,
          logger,
        });
        const api = (ex.urls as { api?: { public?: unknown } }).api;
        const url = req.urls?.rest ?? (typeof api?.public === 'string' ? api.public : undefined);
        try {
          const results = await runDownload(req, {
            exchange: ex,
            url,
            now: () => systemClock.now(),
            logger,
            tty: process.stderr.isTTY === true,
          });
          const rows = results.map((r, i) => ({
            symbol: req.symbols[Math.floor(i / req.timeframes.length)],
            timeframe: req.timeframes[i % req.timeframes.length],
            r,
          }));
          if (opts.json === true)
            process.stdout.write(
              JSON.stringify(
                rows.map(({ symbol, timeframe, r }) => ({
                  symbol,
                  timeframe,
                  added: r.added,
                  first: iso(r.first),
                  last: iso(r.last),
                  gaps: r.gaps,
                  file: r.file,
                })),
                null,
                2,
              ) + '\n',
            );
          else
            for (const { symbol, timeframe, r } of rows)
              process.stdout.write(summaryLine(symbol, timeframe, r) + '\n');
        } finally {
          await ex.close().catch(() => undefined);
        }
      }),
    );
}
