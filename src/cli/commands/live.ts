import type { Command } from 'commander';
import type { Logger } from '../../core/logger.ts';
import { SecretRedactor, secretValuesFromEnv } from '../../core/secrets.ts';
import type { LiveHandle } from '../../app/index.ts';
import { missingModels, trainCommand } from '../train-hint.ts';
import { CONFIG_HELP, action, collect, cliLogger, configFromOptions } from '../run.ts';

export interface LiveCliOptions {
  config?: string[];
  live?: boolean;
  restoreBackup?: boolean;
}

/**
 * Stops on SIGINT / SIGTERM: state flushed, models freed, sockets closed — or exit after 5 s.
 * A shutdown that fails (the final state write on a full disk) rejects with its error, which the
 * command prints as one line with its exit code; the state lock is released either way.
 */
export function stopOnSignals(handle: LiveHandle, logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const onSignal = (sig: NodeJS.Signals) => {
      logger.info({ signal: sig }, 'shutting down');
      const force = setTimeout(() => {
        logger.error('shutdown took longer than 5 s; exiting');
        process.exit(1);
      }, 5_000);
      force.unref();
      handle.stop().then(
        () => {
          clearTimeout(force);
          resolve();
        },
        (e: unknown) => {
          clearTimeout(force);
          // The command prints the error and sets the exit code; a socket or timer left open must
          // not keep the process alive after a failed shutdown.
          setTimeout(() => process.exit(), 2_000).unref();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

/** `quantgate live [--config FILE] [--live] [--restore-backup]` */
export function registerLive(program: Command): void {
  program
    .command('live')
    .description(
      'Run the strategy on live candles: paper trading by default (no keys); --live sends real orders',
    )
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .option(
      '--live',
      'send real orders; needs QUANTGATE_BINANCE_KEY + QUANTGATE_BINANCE_SECRET (Binance) or QUANTGATE_HYPERLIQUID_WALLET + QUANTGATE_HYPERLIQUID_PRIVATE_KEY (Hyperliquid)',
    )
    .option('--restore-backup', 'resume from the state backup (after a corrupt-state error)')
    .action(
      action(async (opts: LiveCliOptions) => {
        const config = configFromOptions(opts);
        const redactor = new SecretRedactor(secretValuesFromEnv());
        const logger = cliLogger(config, redactor);
        // Loaded here, not at start-up: the registry's schema (zod) stays off the CLI's static imports.
        const { warnOnUnusableRegistry } = await import('../registry-check.ts');
        warnOnUnusableRegistry(config, logger);
        const missing = missingModels(config.data.modelsDir, config.strategy.timeframes);
        if (missing.length > 0)
          logger.warn(
            { missing, modelsDir: config.data.modelsDir },
            `no trained model for ${missing.join(', ')}: ${missing.length === config.strategy.timeframes.length ? 'nothing will trade' : 'those timeframes stay neutral'} until you run: ${trainCommand({ timeframes: missing, symbols: config.exchange.symbols, configFiles: opts.config })}`,
          );
        const { startLive } = await import('../../app/index.ts');
        const handle = await startLive(config, {
          live: opts.live === true,
          logger,
          redactor,
          restoreBackup: opts.restoreBackup === true,
          onTrade: (t) =>
            process.stdout.write(
              `${new Date(t.candleTime).toISOString()} ${t.kind} ${t.side} ${t.qty} ${t.symbol} @ ${t.price} (${t.state})${t.pnl === undefined ? '' : ` pnl ${t.pnl.toFixed(2)}`}\n`,
            ),
        });
        await stopOnSignals(handle, logger);
      }),
    );
}
