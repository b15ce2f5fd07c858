import { z } from 'zod';
import { configSchema } from '../../../src/config/index.ts';
import { MODEL_TIMEFRAMES } from '../../../src/core/index.ts';

/** Unwraps default/optional/nullable/transform layers down to the schema that validates the value. */
export function coreSchema(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    if (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional || cur instanceof z.ZodNullable)
      cur = cur.unwrap() as z.ZodType;
    else if (cur instanceof z.ZodPrefault) cur = cur.unwrap() as z.ZodType;
    else if (cur instanceof z.ZodPipe) cur = cur.in as z.ZodType;
    else return cur;
  }
}

/** An object keyed by exactly the four model timeframes: one value (a per-timeframe map), not a section. */
export function isTimeframeMap(s: z.ZodType): boolean {
  const c = coreSchema(s);
  if (!(c instanceof z.ZodObject)) return false;
  const keys = Object.keys(c.shape as object);
  return keys.length === MODEL_TIMEFRAMES.length && MODEL_TIMEFRAMES.every((tf) => keys.includes(tf));
}

export interface LeafKey {
  /** Dotted path, e.g. `strategy.thresholds.confidence`. */
  readonly path: string;
  readonly schema: z.ZodType;
}

/**
 * Every leaf key of a schema: the values a user sets. Sections (objects) are walked; a
 * per-timeframe map, an array, a union or a scalar is one leaf.
 */
export function leafKeys(schema: z.ZodType = configSchema, prefix: readonly string[] = []): LeafKey[] {
  const c = coreSchema(schema);
  if (c instanceof z.ZodObject && !(prefix.length > 0 && isTimeframeMap(c)))
    return Object.entries(c.shape as Record<string, z.ZodType>).flatMap(([k, v]) =>
      leafKeys(v, [...prefix, k]),
    );
  return [{ path: prefix.join('.'), schema: c }];
}

/** The schema of a dotted path, or undefined when the schema has no such key. */
export function schemaAt(path: string, schema: z.ZodType = configSchema): z.ZodType | undefined {
  let cur: z.ZodType = schema;
  for (const part of path.split('.')) {
    const c = coreSchema(cur);
    if (!(c instanceof z.ZodObject)) return undefined;
    const shape = c.shape as Record<string, z.ZodType>;
    if (!Object.hasOwn(shape, part)) return undefined;
    cur = shape[part];
  }
  return coreSchema(cur);
}

/** The allowed values of an enum leaf (undefined for other kinds). */
export function enumValues(s: z.ZodType): readonly string[] | undefined {
  const c = coreSchema(s);
  return c instanceof z.ZodEnum ? (c.options as string[]) : undefined;
}
