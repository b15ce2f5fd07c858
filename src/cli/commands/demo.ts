import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { SecretRedactor, secretValuesFromEnv } from '../../core/secrets.ts';
import { action, cliLogger } from '../run.ts';
import { parseIntOption } from '../options.ts';

/** `quantgate demo [--data-dir DIR] [--days N] [--tour]` */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Offline tour: trains small models on bundled candles, replays a held-back day through a local exchange, trades it with the live runtime',
    )
    .option('--data-dir <dir>', "candle store (default: the package's bundled test/fixtures/candles)")
    .option('--days <n>', 'held-back days to replay', '1')
    .option('--epochs <n>', 'training epochs per model', '4')
    .option(
      '--tour',
      'lower the gate and turn the trend filter off so the tiny models trade (labelled: not evidence)',
    )
    .action(
      action(async (opts: { dataDir?: string; days: string; epochs: string; tour?: boolean }) => {
        const days = parseIntOption('--days', opts.days, 1) ?? 1;
        const epochs = parseIntOption('--epochs', opts.epochs, 1) ?? 4;
        const redactor = new SecretRedactor(secretValuesFromEnv());
        const logger = cliLogger(undefined, redactor, 'warn');
        const { runDemo } = await import('../../app/index.ts');
        await runDemo({
          // Beside the package, not the working directory: `quantgate demo` runs from anywhere.
          dataDir: opts.dataDir ?? fileURLToPath(new URL('../../../test/fixtures/candles', import.meta.url)),
          days,
          epochs,
          tour: opts.tour === true,
          logger,
          redactor,
          out: (line) => process.stdout.write(`${line}\n`),
        });
      }),
    );
}
