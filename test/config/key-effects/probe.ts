import { configSchema } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/index.ts';

/**
 * One config key's probe: two values of the key, the group whose real component observes a run
 * under each, and what makes the key matter (context keys set for both runs).
 */
export interface KeyProbe {
  readonly group: string;
  readonly values: readonly [unknown, unknown];
  /** Other keys set the same way in both runs (e.g. labels.k needs labels.method: threshold). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** What changes, where; "options:" when the key only reaches a library's options object. */
  readonly via: string;
  /** Set while the key has no effect yet and someone is wiring it: the test lists it as a todo. */
  readonly pending?: string;
}

/** A real component (or a few) run once per config; configs of a group are observed together. */
export interface ProbeGroup {
  /** Raw config every probe of the group starts from (before context and the key's value). */
  readonly base: Record<string, unknown>;
  /** The observable behaviour under each config, in order (JSON-safe values). */
  observe(configs: readonly Config[]): Promise<unknown[]>;
}

/** Sets a dotted key in a raw config, creating (copies of) sections on the way; undefined removes it. */
export function setKey(raw: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = raw;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    const obj = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...next } : {};
    cur[part] = obj;
    cur = obj as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/**
 * The config of one probe run: the group's base with every default filled in (so a key of a
 * section without per-key defaults, such as features.macd.fast, can be set alone), then the
 * context, then the key's value.
 */
export function probeConfig(group: ProbeGroup, probe: KeyProbe, key: string, value: unknown): Config {
  const raw = structuredClone(configSchema.parse(group.base)) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(probe.context ?? {})) setKey(raw, k, v);
  setKey(raw, key, value);
  return configSchema.parse(raw);
}

/** Observations compared as JSON (NaN and -0 read as null and 0, as a report would show them). */
export const normalise = (x: unknown): unknown => JSON.parse(JSON.stringify(x ?? null)) as unknown;

/** Observes many configs with one function each (groups without shared batch work). */
export const each =
  (fn: (c: Config) => unknown | Promise<unknown>) =>
  async (configs: readonly Config[]): Promise<unknown[]> => {
    const out: unknown[] = [];
    for (const c of configs) out.push(await fn(c));
    return out;
  };

/** The smallest valid config: one exchange and symbol. */
export const MINIMAL = { exchange: { name: 'binance', symbols: ['BTC/USDT'] } };
