/**
 * Secrets (API keys) come only from environment variables. A SecretRedactor knows their values
 * so that every byte we write (logs, state, reports, error messages) can be scrubbed of them.
 */
export const SECRET_ENV_VARS = {
  binance: { apiKey: 'QUANTGATE_BINANCE_KEY', secret: 'QUANTGATE_BINANCE_SECRET' },
  hyperliquid: {
    walletAddress: 'QUANTGATE_HYPERLIQUID_WALLET',
    privateKey: 'QUANTGATE_HYPERLIQUID_PRIVATE_KEY',
  },
} as const;

/**
 * Config keys that are credentials (a webhook URL lets anyone post alerts): settable from these
 * environment variables (or a config file), never through the generic QUANTGATE__* overrides.
 */
export const SECRET_CONFIG_ENV_VARS = {
  'alerts.webhookUrl': 'QUANTGATE_ALERTS_WEBHOOK_URL',
} as const;

/** Bearer token of the local control API (`quantgate status`, the status page); environment only. */
export const CONTROL_TOKEN_ENV = 'QUANTGATE_CONTROL_TOKEN';

export const REDACTED = '[REDACTED]';

export class SecretRedactor {
  private readonly values: string[];
  constructor(values: Iterable<string>) {
    // Very short values would redact ordinary text; real keys are long.
    this.values = [...new Set([...values].filter((v) => v.length >= 6))];
  }
  redact(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  }
  get size(): number {
    return this.values.length;
  }
}

/** All secret values present in the environment (every QUANTGATE_* variable named above). */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const names = [
    ...Object.values(SECRET_ENV_VARS).flatMap((o) => Object.values<string>(o)),
    ...Object.values(SECRET_CONFIG_ENV_VARS),
    CONTROL_TOKEN_ENV,
  ];
  return names.map((n) => env[n]).filter((v): v is string => typeof v === 'string' && v.length > 0);
}
