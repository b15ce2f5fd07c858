import { QuantgateError } from '../core/errors.ts';

/** Parses `2021-03-01`, `2021-03-01T12:00Z` or epoch milliseconds as UTC; `what` names the option. */
export function parseDate(s: string, what: string): number {
  const t = s.trim();
  if (/^\d{10,}$/.test(t)) return Number(t);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(t)
    ? `${t}T00:00:00Z`
    : /[zZ]|[+-]\d{2}:?\d{2}$/.test(t)
      ? t
      : `${t}Z`;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(t))
    throw new QuantgateError(
      'USAGE',
      `${what}: expected a UTC date like 2021-03-01 or 2021-03-01T12:00, got "${s}"`,
    );
  return ms;
}

export function isoDate(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
