import type { Command } from 'commander';
import type { Config } from '../../config/index.ts';
import { REDACTED } from '../../core/secrets.ts';
import { CONFIG_HELP, action, collect, configFromOptions } from '../run.ts';

/** The resolved config as printed: credentials (alerts.webhookUrl) masked, never echoed. */
export function printableConfig(config: Config): Config {
  const url = config.alerts.webhookUrl;
  return url === undefined ? config : { ...config, alerts: { ...config.alerts, webhookUrl: REDACTED } };
}

/** `quantgate config check [--config FILE]...`: validate the merged configuration and print it with every default filled in. */
export function registerConfig(program: Command): void {
  const cmd = program.command('config').description('Inspect configuration');
  cmd
    .command('check')
    .description(
      'Validate the configuration (defaults ← --config files ← QUANTGATE__* environment); prints it resolved, as JSON',
    )
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .action(
      action((opts: { config?: string[] }) => {
        const config = configFromOptions(opts);
        process.stdout.write(`${JSON.stringify(printableConfig(config), null, 2)}\n`);
      }),
    );
}
