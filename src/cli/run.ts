import type { Config, ConfigLayer } from '../config/index.ts';
import type * as ConfigModule from '../config/index.ts';
import { QuantgateError, describeError, isQuantgateError } from '../core/errors.ts';
import { chooseLogFormat, createLogger, stderrOutput } from '../core/logger.ts';
import type { LogFormatSetting, Logger } from '../core/logger.ts';
import {
  SecretRedactor,
  registerSecretValues,
  secretValuesFromEnv,
  webhookSecretValues,
} from '../core/secrets.ts';

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
  let raw: unknown = value;
  for (const key of path.split('.').reverse()) raw = { [key]: raw };
  return { source: option, raw: raw as ConfigLayer['raw'] };
}

let configModule: typeof ConfigModule | undefined;

/**
 * Loads the config code (zod schema, YAML) before a command's action runs (main.ts's preAction
 * hook), so `quantgate --help` and `--version` never build the schema.
 */
export async function loadConfigModule(): Promise<void> {
  configModule ??= await import('../config/index.ts');
}

/** The program-wide options (`quantgate -v backtest …`), read before a command's action runs. */
export interface GlobalOptions {
  readonly verbose?: boolean;
  readonly quiet?: boolean;
  readonly logFormat?: string;
}

let globals: GlobalOptions = {};

export function setGlobalOptions(g: GlobalOptions): void {
  if (g.verbose && g.quiet) throw new QuantgateError('USAGE', '-v/--verbose and -q/--quiet: choose one');
  globals = g;
}

/** -v, -q and --log-format as config layers: they win over files and environment and reach worker threads. */
function globalLayers(): ConfigLayer[] {
  const out: ConfigLayer[] = [];
  if (globals.verbose) out.push(optionLayer('-v/--verbose', 'logging.level', 'debug'));
  if (globals.quiet) out.push(optionLayer('-q/--quiet', 'logging.level', 'warn'));
  if (globals.logFormat !== undefined)
    out.push(optionLayer('--log-format', 'logging.format', globals.logFormat));
  return out;
}

/**
 * The shipped defaults ← each `--config` file in order ← QUANTGATE__* environment variables ←
 * command-line options (`cli` layers, undefined ones skipped; then -v/-q/--log-format). The log
 * format `auto` is resolved here against this process's stderr, so worker threads log the same way.
 */
export function configFromOptions(
  opts: ConfigOption,
  cli: ReadonlyArray<ConfigLayer | undefined> = [],
): Config {
  if (!configModule) throw new Error('internal: configFromOptions before loadConfigModule()');
  const config = configModule.loadConfigSources({
    files: configFiles(opts),
    cli: [...cli.filter((l): l is ConfigLayer => l !== undefined), ...globalLayers()],
  });
  // The webhook URL is a credential: every log line and error from here on is scrubbed of it.
  registerSecretValues(webhookSecretValues(config.alerts.webhookUrl));
  const format = chooseLogFormat(config.logging.format, stderrOutput.isTTY);
  return { ...config, logging: { ...config.logging, format } };
}

/** The command's logger: level and format from the resolved config, or (no config) from -v/-q/--log-format. */
export function cliLogger(
  config: Config | undefined,
  redactor?: SecretRedactor,
  fallbackLevel?: string,
): Logger {
  if (config) return createLogger({ level: config.logging.level, format: config.logging.format, redactor });
  const f = globals.logFormat;
  if (f !== undefined && f !== 'json' && f !== 'pretty' && f !== 'auto')
    throw new QuantgateError('USAGE', `--log-format: expected json, pretty or auto, got "${f}"`);
  const level = globals.verbose
    ? 'debug'
    : globals.quiet
      ? 'warn'
      : (process.env.QUANTGATE_LOG_LEVEL ?? fallbackLevel);
  return createLogger({ level, format: f as LogFormatSetting | undefined, redactor });
}

/** Splits `BTC/USDT,ETH/USDT` into symbols. */
export function splitList(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}
