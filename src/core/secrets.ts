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

const registered = new Set<string>();

/**
 * Adds secret values found outside the environment (the configured alerts.webhookUrl and its
 * parts, from a config file): every redactor built afterwards from `secretValuesFromEnv()`
 * scrubs them too.
 */
export function registerSecretValues(values: Iterable<string>): void {
  for (const v of values) if (v.length > 0) registered.add(v);
}

/**
 * All secret values present in the environment (every QUANTGATE_* variable named above; a webhook
 * URL with its parts), plus those registered with `registerSecretValues`.
 */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const keys = [...Object.values(SECRET_ENV_VARS).flatMap((o) => Object.values<string>(o)), CONTROL_TOKEN_ENV]
    .map((n) => env[n])
    .filter((v): v is string => typeof v === 'string' && v.length > 0);
  const urls = Object.values(SECRET_CONFIG_ENV_VARS).flatMap((n) => webhookSecretValues(env[n]));
  return [...new Set([...keys, ...urls, ...registered])];
}

/**
 * The secret-bearing forms of a webhook URL: the URL as written and normalised, its credentials
 * (`user:password@`, the password, the user name), its path (Slack and Discord put the token
 * there) and its query, each raw and percent-decoded. Whatever echoes the URL (Node's fetch does,
 * in its error text) is then scrubbed. Unparseable input: the whole string is the secret.
 */
export function webhookSecretValues(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const out = new Set<string>([raw, raw.trim()]);
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return [...out];
  }
  out.add(u.href);
  if (u.username || u.password) out.add(`${u.username}${u.password ? `:${u.password}` : ''}@`);
  if (u.password) out.add(u.password);
  if (u.username) out.add(u.username);
  if (u.pathname !== '/') {
    out.add(`${u.pathname}${u.search}`);
    out.add(u.pathname);
  }
  if (u.search) out.add(u.search);
  for (const v of [...out]) {
    try {
      out.add(decodeURIComponent(v));
    } catch {
      // Not valid percent-encoding: the raw form is registered already.
    }
  }
  return [...out].filter((v) => v.length > 0);
}
