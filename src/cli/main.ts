import { Command } from 'commander';
import { COMMANDS } from './commands/index.ts';

const program = new Command();
program
  .name('quantgate')
  .description('Multi-timeframe, quantile-gated ML strategy for Binance and Hyperliquid')
  .showHelpAfterError()
  .exitOverride((err) => {
    // Usage errors (unknown option, missing argument) exit 2 like config errors; help/version exit 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

for (const register of COMMANDS) register(program);

await program.parseAsync(process.argv);
