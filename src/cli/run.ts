import { loadConfig, DEFAULT_CONFIG_PATH } from '../config/index.ts';
import type { Config, ConfigInput } from '../config/index.ts';
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

/** Loads `--config FILE` (default config/default.yaml) with command-line overrides applied to the raw input. */
export function configFromOptions(opts: { config?: string }, overrides?: (raw: ConfigInput) => void): Config {
  return loadConfig(opts.config ?? DEFAULT_CONFIG_PATH, overrides);
}

/** Splits `BTC/USDT,ETH/USDT` into symbols. */
export function splitList(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}
