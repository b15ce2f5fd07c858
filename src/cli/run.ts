import { loadConfigSources, valueLayer } from '../config/index.ts';
import type { Config, ConfigLayer } from '../config/index.ts';
import { describeError, isQuantgateError } from '../core/errors.ts';
import { SecretRedactor, secretValuesFromEnv } from '../core/secrets.ts';

/**
 * Wraps a command's action: known errors print one clean line (no stack) and exit with their code;
 * anything unexpected prints its stack only with QUANTGATE_DEBUG=1. Output is scrubbed of secrets.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const redactor = new SecretRedactor(secretValuesFromEnv());
      if (isQuantgateError(e)) {
        process.stderr.write(redactor.redact(`error [${e.code}]: ${e.message}\n`));
        process.exitCode = e.exitCode;
      } else {
        const text =
          process.env.QUANTGATE_DEBUG === '1' && e instanceof Error
            ? (e.stack ?? e.message)
            : describeError(e);
        process.stderr.write(redactor.redact(`error [INTERNAL]: ${text}\n`));
        process.exitCode = 1;
      }
    }
  };
}

/** `--config` as given: repeatable, so one option value or several. */
export interface ConfigOption {
  config?: string | readonly string[];
}

export const CONFIG_HELP = 'config file merged over the shipped defaults; repeat to merge several in order';

/** Commander argument parser of a repeatable option: `-c a.yaml -c b.yaml` → ['a.yaml', 'b.yaml']. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The --config files in the order given. */
export function configFiles(opts: ConfigOption): string[] {
  if (opts.config === undefined) return [];
  return typeof opts.config === 'string' ? [opts.config] : [...opts.config];
}

/** A command-line option that sets one config key; errors in its value blame the option. */
export function optionLayer(option: string, path: string, value: unknown): ConfigLayer {
  return valueLayer(option, path.split('.'), value);
}

/**
 * The shipped defaults ← each `--config` file in order ← QUANTGATE__* environment variables ←
 * command-line options (`cli` layers, undefined ones skipped).
 */
export function configFromOptions(
  opts: ConfigOption,
  cli: ReadonlyArray<ConfigLayer | undefined> = [],
): Config {
  return loadConfigSources({
    files: configFiles(opts),
    cli: cli.filter((l): l is ConfigLayer => l !== undefined),
  });
}

/** Splits `BTC/USDT,ETH/USDT` into symbols. */
export function splitList(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}
