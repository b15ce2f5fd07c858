import { z } from 'zod';
import { configSchema } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import { QuantgateError, isQuantgateError } from '../core/errors.ts';
import { forecastInputsKey } from './forecast-inputs.ts';
import { trainingKey } from './window-models.ts';

/** One value a swept key takes. */
export type GridValue = number | string | boolean;

/** One `--grid key=...`: a config key (dotted path) and the values it takes, in order. */
export interface GridAxis {
  readonly key: string;
  readonly values: readonly GridValue[];
}

/** One point of the grid: the value of every axis. */
export interface GridPoint {
  readonly label: string;
  readonly overrides: Readonly<Record<string, GridValue>>;
}

function usage(message: string): QuantgateError {
  return new QuantgateError('USAGE', message);
}

function decimals(text: string): number {
  if (/e/i.test(text)) return 12;
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

function scalar(text: string): GridValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/**
 * `key=a:b:step` (a, a+step, … up to b inclusive; values rounded to the inputs' decimals so 0.1
 * steps give 0.3, not 0.30000000000000004) or `key=v1,v2,…` (numbers, true/false or words).
 * `limit` bounds a range's length before it is built.
 */
export function parseGridArg(arg: string, limit = 100_000): GridAxis {
  const eq = arg.indexOf('=');
  const key = eq < 0 ? '' : arg.slice(0, eq).trim();
  const spec = eq < 0 ? '' : arg.slice(eq + 1).trim();
  if (!key || !spec)
    throw usage(
      `--grid "${arg}": expected key=a:b:step or key=v1,v2 (e.g. strategy.thresholds.confidence=0.4:0.7:0.05)`,
    );
  const range = /^([^:,]+):([^:,]+):([^:,]+)$/.exec(spec);
  let values: GridValue[];
  if (range) {
    const [a, b, step] = range.slice(1).map(Number);
    if (![a, b, step].every(Number.isFinite))
      throw usage(`--grid ${key}: a range is a:b:step with three numbers, got "${spec}"`);
    if (!(step > 0)) throw usage(`--grid ${key}: the step must be positive, got ${range[3]}`);
    if (b < a) throw usage(`--grid ${key}: the range ${spec} ends below its start`);
    const count = Math.floor((b - a) / step + 1e-9) + 1;
    if (count > limit) throw usage(`--grid ${key}: the range ${spec} has ${count} values (limit ${limit})`);
    const d = Math.max(...range.slice(1).map(decimals));
    values = Array.from({ length: count }, (_, i) => Number((a + i * step).toFixed(d)));
  } else {
    values = spec.split(',').map((s) => s.trim());
    if (values.some((v) => v === '')) throw usage(`--grid ${key}: empty value in "${spec}"`);
    values = values.map((v) => scalar(v as string));
  }
  const seen = new Set<string>();
  for (const v of values) {
    const k = JSON.stringify(v);
    if (seen.has(k)) throw usage(`--grid ${key}: value ${k} appears twice`);
    seen.add(k);
  }
  return { key, values };
}

/** Unwraps default/optional/nullable layers down to the schema that validates the value. */
function core(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    if (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional || cur instanceof z.ZodNullable)
      cur = cur.unwrap() as z.ZodType;
    else if (cur instanceof z.ZodPrefault) cur = cur.unwrap() as z.ZodType;
    else return cur;
  }
}

/** Whether `key` names a value (not a section) in the config schema; throws naming it otherwise. */
export function checkGridKey(key: string): void {
  let node: z.ZodType = configSchema;
  const parts = key.split('.');
  for (const [i, part] of parts.entries()) {
    const obj = core(node);
    const shape = obj instanceof z.ZodObject ? (obj.shape as Record<string, z.ZodType>) : undefined;
    if (!shape || !Object.hasOwn(shape, part))
      throw usage(
        `--grid ${key}: unknown config key (${parts.slice(0, i + 1).join('.')} is not in the schema, src/config/schema.ts)`,
      );
    node = shape[part];
  }
  if (core(node) instanceof z.ZodObject)
    throw usage(`--grid ${key}: is a section of the config, not a value; sweep one of its keys`);
}

/** Sets `key` (dotted) in a raw config input, creating sections on the way. */
export function setPath(raw: Record<string, unknown>, key: string, value: GridValue): void {
  const parts = key.split('.');
  let cur = raw;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    const obj = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...next } : {};
    cur[part] = obj;
    cur = obj as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

/** Every combination of the axes' values (first axis slowest); refuses more than `max`. */
export function gridPoints(axes: readonly GridAxis[], max: number): GridPoint[] {
  if (axes.length === 0)
    throw usage('--grid: at least one is required, e.g. --grid strategy.thresholds.confidence=0.4:0.7:0.05');
  const keys = axes.map((a) => a.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup !== undefined) throw usage(`--grid ${dup}: given twice (one --grid per key)`);
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > max)
    throw usage(
      `--grid: ${axes.map((a) => a.values.length).join(' × ')} = ${total} combinations, more than --max-combinations ${max}; coarsen the grid (every extra trial also raises the bar the deflated Sharpe sets)`,
    );
  const short = (k: string) => {
    const last = k.slice(k.lastIndexOf('.') + 1);
    return keys.filter((o) => o.slice(o.lastIndexOf('.') + 1) === last).length > 1 ? k : last;
  };
  let points: GridPoint[] = [{ label: '', overrides: {} }];
  for (const a of axes)
    points = points.flatMap((p) =>
      a.values.map((v) => ({
        label: `${p.label}${p.label ? ' ' : ''}${short(a.key)}=${String(v)}`,
        overrides: { ...p.overrides, [a.key]: v },
      })),
    );
  return points;
}

/**
 * The sweep's rule: a key may be swept iff setting it leaves both the walk-forward training key
 * (trainingKey — what the model cache is keyed by) and the forecast inputs (forecastInputsKey)
 * unchanged, i.e. every combination is served the very same forecasts. Checked on the grid's own
 * values against the base config: `configFor(overrides)` builds a combination's config (throws
 * CONFIG_INVALID for a value the schema rejects). Returns the configs, one per point.
 */
export function sweepConfigs(
  axes: readonly GridAxis[],
  points: readonly GridPoint[],
  configFor: (overrides: Readonly<Record<string, GridValue>>) => Config,
): Config[] {
  for (const a of axes) checkGridKey(a.key);
  const build = (o: Readonly<Record<string, GridValue>>, what: string): Config => {
    try {
      return configFor(o);
    } catch (e) {
      if (isQuantgateError(e) && e.code === 'CONFIG_INVALID') {
        const issues = (e.details.issues as string[] | undefined)?.join('; ') ?? e.message;
        throw usage(`--grid ${what}: not a valid config value (${issues})`);
      }
      throw e;
    }
  };
  const base = build({}, '(base config)');
  const train = trainingKey(base);
  const fc = forecastInputsKey(base);
  for (const a of axes)
    for (const v of a.values) {
      const c = build({ [a.key]: v }, `${a.key}=${String(v)}`);
      if (trainingKey(c) !== train)
        throw usage(
          `--grid ${a.key}: cannot be swept: ${a.key}=${String(v)} changes the walk-forward training key (the models would differ per combination; sweep only keys that change neither training nor forecasts, e.g. strategy.thresholds.*, strategy.exits.*, risk.*)`,
        );
      if (forecastInputsKey(c) !== fc)
        throw usage(
          `--grid ${a.key}: cannot be swept: ${a.key}=${String(v)} changes the forecasts' inputs (candles, series, features or models read; sweep only keys that change neither training nor forecasts, e.g. strategy.thresholds.*, strategy.exits.*, risk.*)`,
        );
    }
  return points.map((p) => {
    const c = build(p.overrides, p.label);
    if (trainingKey(c) !== train || forecastInputsKey(c) !== fc)
      throw usage(`--grid: the combination ${p.label} changes training or forecasts`);
    return c;
  });
}
