import type { Command } from 'commander';
import { action, configFromOptions } from '../run.ts';

/** `quantgate config check [--config FILE]`: validate a config file and print it with every default filled in. */
export function registerConfig(program: Command): void {
  const cmd = program.command('config').description('Inspect configuration');
  cmd
    .command('check')
    .description('Validate a config file; prints the resolved configuration (defaults filled in) as JSON')
    .option('-c, --config <file>', 'config file', 'config/default.yaml')
    .action(
      action((opts: { config: string }) => {
        const config = configFromOptions(opts);
        process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
      }),
    );
}
