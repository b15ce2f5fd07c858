import { Command } from 'commander';
import { COMMANDS } from './commands/index.ts';
import { packageVersion } from '../backtest/provenance.ts';
import { loadConfigModule, setGlobalOptions } from './run.ts';
import type { GlobalOptions } from './run.ts';

const program = new Command();
program
  .name('quantgate')
  .description('Multi-timeframe, quantile-gated ML strategy for Binance and Hyperliquid')
  .version(packageVersion(), '-V, --version', 'print the quantgate version')
  .option('-v, --verbose', 'debug logging: every decision with its reason (logging.level debug)')
  .option('-q, --quiet', 'warnings and errors only (logging.level warn)')
  .option(
    '--log-format <format>',
    'json | pretty | auto (default auto: readable on a terminal, JSON lines otherwise)',
  )
  .hook('preAction', async (_program, command) => {
    try {
      setGlobalOptions(command.optsWithGlobals<GlobalOptions>());
    } catch (e) {
      process.stderr.write(`error [USAGE]: ${(e as Error).message}\n`);
      process.exit(2);
    }
    await loadConfigModule();
  })
  .showHelpAfterError()
  .exitOverride((err) => {
    // Usage errors (unknown option, missing argument) exit 2 like config errors; help/version exit 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

for (const register of COMMANDS) register(program);

await program.parseAsync(process.argv);
