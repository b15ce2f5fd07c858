import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { QuantgateError } from '../core/errors.ts';
import { CONTROL_TOKEN_ENV } from '../core/secrets.ts';

/** Shorter tokens are guessable and would escape the log redactor (which skips values under 6 chars). */
export const MIN_TOKEN_LENGTH = 16;

/** The control token from the environment; SECRETS_MISSING (exit 7) when absent or too short. */
export function controlTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const t = env[CONTROL_TOKEN_ENV];
  if (t === undefined || t.length === 0)
    throw new QuantgateError(
      'SECRETS_MISSING',
      `${CONTROL_TOKEN_ENV} is not set: the control API needs a token (e.g. export ${CONTROL_TOKEN_ENV}=$(openssl rand -hex 24))`,
    );
  if (t.length < MIN_TOKEN_LENGTH)
    throw new QuantgateError(
      'SECRETS_MISSING',
      `${CONTROL_TOKEN_ENV} is too short (${t.length} characters; at least ${MIN_TOKEN_LENGTH}, e.g. $(openssl rand -hex 24))`,
    );
  return t;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Constant-time comparison: both sides are hashed first, so neither the content nor the length
 * of the expected token leaks through timing.
 */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** `Authorization: Bearer <token>` → the token. */
export function bearerOf(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m ? m[1].trim() : undefined;
}

/** Random id of a status-page session (the cookie's value; never the token itself). */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}
