import { QuantgateError } from './errors.ts';

/**
 * The one date parser of every command (--from, --to, --since, …): a UTC calendar date
 * `2021-03-01`, or a date and time `2021-03-01T12:00`, `2021-03-01T12:00:30Z`,
 * `2021-03-01T12:00+02:00`. A date that does not exist (2021-06-31) is refused rather than rolled
 * over, and so is a bare number: `1625961600` could be seconds or milliseconds, and reading it
 * wrongly silently picks a day in 1970.
 */
const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const EXPECTED = 'expected a UTC date like 2021-03-01 or 2021-03-01T12:00';

export function parseUtcDate(s: string, what: string): number {
  const t = s.trim();
  const shown = t.length > 40 ? `${t.slice(0, 40)}…` : t;
  if (/^-?\d+(\.\d+)?$/.test(t))
    throw new QuantgateError(
      'USAGE',
      `${what}: ${EXPECTED}, got "${shown}" (a bare number: seconds or milliseconds? write the date)`,
    );
  const m = DATE_RE.exec(t);
  if (m === null) throw new QuantgateError('USAGE', `${what}: ${EXPECTED}, got "${shown}"`);
  const [, y, mo, d, hh = '00', mi = '00', ss = '00', frac = '0', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const utc = Date.UTC(year, month - 1, day, Number(hh), Number(mi), Number(ss), Number(frac.padEnd(3, '0')));
  const back = new Date(Date.UTC(year, month - 1, day));
  if (
    month < 1 ||
    month > 12 ||
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    Number(hh) > 23 ||
    Number(mi) > 59 ||
    Number(ss) > 59
  )
    throw new QuantgateError('USAGE', `${what}: ${EXPECTED}, got "${shown}" (not a real date or time)`);
  return utc - zoneOffsetMs(zone);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}
