import type { Command } from 'commander';
import { createLogger } from '../../core/logger.ts';
import { SecretRedactor, secretValuesFromEnv } from '../../core/secrets.ts';
import { runDemo } from '../../runtime/index.ts';
import { action } from '../run.ts';

/** `quantgate demo [--data-dir DIR] [--days N]` */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Offline tour: trains small models on bundled candles, replays a held-back day through a local exchange, trades it with the live runtime',
    )
    .option('--data-dir <dir>', 'bundled candle store', 'test/fixtures/candles')
    .option('--days <n>', 'held-back days to replay', '1')
    .option('--epochs <n>', 'training epochs per model', '4')
    .action(
      action(async (opts: { dataDir: string; days: string; epochs: string }) => {
        const redactor = new SecretRedactor(secretValuesFromEnv());
        const logger = createLogger({ level: process.env.QUANTGATE_LOG_LEVEL ?? 'warn', redactor });
        await runDemo({
          dataDir: opts.dataDir,
          days: Number(opts.days),
          epochs: Number(opts.epochs),
          logger,
          redactor,
          out: (line) => process.stdout.write(`${line}\n`),
        });
      }),
    );
}
