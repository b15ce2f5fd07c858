import { parseUtcDate } from '../core/dates.ts';

/** The commands' one date parser (see core/dates.ts); `what` names the option. */
export function parseDate(s: string, what: string): number {
  return parseUtcDate(s, what);
}

export function isoDate(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
