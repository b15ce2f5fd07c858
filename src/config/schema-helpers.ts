import { z } from 'zod';
import { SYMBOL_PATTERN } from '../core/symbols.ts';
import { MODEL_TIMEFRAMES, parseTimeframe } from '../core/types.ts';
import type { ModelTimeframe, Timeframe } from '../core/types.ts';

/** How a bad value is shown in an error: strings quoted, everything else as JSON. */
export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}

function rangeText(min: number, max: number, int: boolean): string {
  const kind = int ? 'integer' : 'number';
  if (max === Infinity) return `${kind} >= ${min}`;
  return `${kind} between ${min} and ${max}`;
}

/** A number in [min, max] whose every failure reads `expected number between 0 and 1, got "high"`. */
export function num(min: number, max = Infinity) {
  const text = rangeText(min, max, false);
  const err = (iss: { input?: unknown }) => `expected ${text}, got ${showValue(iss.input)}`;
  return z.number({ error: err }).min(min, { error: err }).max(max, { error: err });
}

export function int(min: number, max = Infinity) {
  const text = rangeText(min, max, true);
  const err = (iss: { input?: unknown }) => `expected ${text}, got ${showValue(iss.input)}`;
  return z.number({ error: err }).int({ error: err }).min(min, { error: err }).max(max, { error: err });
}

export const bool = () =>
  z.boolean({ error: (iss) => `expected true or false, got ${showValue(iss.input)}` });

export const str = (what = 'string') =>
  z
    .string({ error: (iss) => `expected ${what}, got ${showValue(iss.input)}` })
    .min(1, { error: `expected non-empty ${what}` });

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (iss) => `expected one of ${values.join(', ')}, got ${showValue(iss.input)}` });

/** A timeframe string (`24h` accepted for `1d`). */
export const timeframe = () =>
  z
    .string({ error: (iss) => `expected a timeframe (5m, 1h, 12h, 1d, ...), got ${showValue(iss.input)}` })
    .transform((s, ctx): Timeframe => {
      const tf = parseTimeframe(s);
      if (tf === null) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown timeframe ${showValue(s)} (expected 1m, 5m, 15m, 1h, 4h, 12h or 1d; 24h = 1d)`,
        });
        return z.NEVER;
      }
      return tf;
    });

/** A ccxt unified symbol such as BTC/USDT or BTC/USDC:USDC. */
export const symbol = () =>
  z
    .string({ error: (iss) => `expected a symbol like "BTC/USDT", got ${showValue(iss.input)}` })
    .regex(SYMBOL_PATTERN, {
      error: (iss) => `expected a symbol like "BTC/USDT" or "BTC/USDC:USDC", got ${showValue(iss.input)}`,
    });

/** Objects reject unknown keys: a typo in a config file must never be silently ignored. */
export const obj = <T extends z.core.$ZodLooseShape>(shape: T) => z.strictObject(shape);

/** One of the four model timeframes (5m, 1h, 12h, 1d; `24h` accepted for `1d`). */
export const modelTimeframe = () =>
  timeframe().refine((tf): tf is ModelTimeframe => (MODEL_TIMEFRAMES as readonly string[]).includes(tf), {
    error: (iss) => `expected one of 5m, 1h, 12h, 1d (24h = 1d), got ${showValue(iss.input)}`,
  });

/**
 * The same keys as `schema`, all optional and without defaults, so an override section changes
 * only the keys it names (zod's `.partial()` would still fill in every default).
 */
export function overridesOf<S extends z.ZodObject>(schema: S) {
  return z.strictObject(
    Object.fromEntries(
      Object.entries(schema.shape).map(([k, v]) => [
        k,
        (v instanceof z.ZodDefault ? v.unwrap() : v).optional(),
      ]),
    ),
  ) as unknown as z.ZodType<Partial<z.output<S>>, Partial<z.input<S>>>;
}
