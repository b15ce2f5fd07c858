import pino from 'pino';
import type { Logger } from 'pino';
import { SecretRedactor, secretValuesFromEnv } from './secrets.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; default stderr so stdout stays clean for `--json` output. */
  destination?: NodeJS.WritableStream | { write(s: string): unknown };
  redactor?: SecretRedactor;
}

/**
 * JSON logger whose every line passes through the secret redactor before it is written,
 * whatever field or message a key might hide in.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const redactor = opts.redactor ?? new SecretRedactor(secretValuesFromEnv());
  const dest = opts.destination ?? process.stderr;
  const stream = { write: (s: string) => dest.write(redactor.redact(s)) };
  return pino({ level: opts.level ?? process.env.QUANTGATE_LOG_LEVEL ?? 'info', base: undefined }, stream);
}

/** A logger that drops everything (tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
