/**
 * Every error we raise on purpose carries a stable code, so scripts and tests can rely on it,
 * and an exit code for the CLI. Messages name the file, key or field and what was expected.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: 2,
  USAGE: 2,
  DATA_INVALID: 3,
  DATA_MISSING: 3,
  INSUFFICIENT_HISTORY: 3,
  NETWORK: 4,
  EXCHANGE: 4,
  MODEL_INVALID: 5,
  MODEL_MISSING: 5,
  STATE_CORRUPT: 6,
  SECRETS_MISSING: 7,
  /** The running bot's control API refused the token (missing or different QUANTGATE_CONTROL_TOKEN). */
  CONTROL_AUTH: 7,
  /** No bot answers on the control port (not running, or control.enabled false / another port). */
  BOT_UNREACHABLE: 4,
  LOOKAHEAD_FOUND: 8,
  /** A durable write failed (disk full, read-only, …); the previous version of the file is kept. */
  WRITE_FAILED: 9,
  /** Another live process holds the single-writer lock of a state file or registry. */
  LOCK_HELD: 10,
  /** A strategy plugin breaks the contract (src/strategy/plugin.ts): a missing or unknown hook. */
  PLUGIN_INVALID: 11,
  INTERNAL: 1,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class QuantgateError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'QuantgateError';
    this.code = code;
    this.exitCode = ERROR_CODES[code];
    this.details = details;
  }
}

export function isQuantgateError(e: unknown): e is QuantgateError {
  return e instanceof QuantgateError;
}

/** A short, single-line description of any thrown value (no stack). */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
