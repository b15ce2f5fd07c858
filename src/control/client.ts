import { QuantgateError, describeError } from '../core/errors.ts';
import { CONTROL_TOKEN_ENV } from '../core/secrets.ts';

export interface ControlClientOptions {
  /** `http://127.0.0.1:8787` */
  readonly url: string;
  readonly token: string;
  readonly timeoutMs?: number;
}

/** What the CLI commands send to a running bot's control API. */
export class ControlClient {
  constructor(private readonly o: ControlClientOptions) {}

  /** GET or POST `path`; the JSON answer and its HTTP status (401 and unreachable are errors). */
  async request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    let res: Response;
    try {
      res = await fetch(`${this.o.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.o.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? describeError(e);
      throw new QuantgateError(
        'BOT_UNREACHABLE',
        `no bot answers on ${this.o.url} (${cause}): is \`quantgate live\` running with control.enabled: true on this control.host/control.port?`,
      );
    }
    if (res.status === 401)
      throw new QuantgateError(
        'CONTROL_AUTH',
        `the bot at ${this.o.url} refused the control token: ${CONTROL_TOKEN_ENV} must be the same as the bot's`,
      );
    let parsed: Record<string, unknown>;
    try {
      parsed = (await res.json()) as Record<string, unknown>;
    } catch {
      throw new QuantgateError(
        'BOT_UNREACHABLE',
        `${this.o.url}${path}: answered ${res.status} without JSON: is this a quantgate bot?`,
      );
    }
    return { status: res.status, body: parsed };
  }
}
