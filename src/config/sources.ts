import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMap, parse, parseDocument } from 'yaml';
import type { z } from 'zod';
import { QuantgateError } from '../core/errors.ts';
import { SECRET_CONFIG_ENV_VARS, SECRET_ENV_VARS } from '../core/secrets.ts';
import { formatIssues } from './issues.ts';
import { configSchema } from './schema.ts';
import type { Config } from './schema.ts';

/** The shipped defaults, found beside the package (not the working directory), so `quantgate` runs from anywhere. */
export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../config/default.yaml', import.meta.url));

/** Prefix of the environment overrides: `QUANTGATE__STRATEGY__THRESHOLDS__CONFIDENCE=0.6`. */
export const ENV_PREFIX = 'QUANTGATE__';

export type RawConfig = Record<string, unknown>;

/** One source of configuration values; later layers win. `source` is what an error blames. */
export interface ConfigLayer {
  readonly source: string;
  readonly raw: RawConfig;
}

function isPlainObject(v: unknown): v is RawConfig {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; arrays and scalars are replaced whole (a symbol list is one value). */
export function deepMerge(base: RawConfig, over: RawConfig): RawConfig {
  const out: RawConfig = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Larger config files are refused unread. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads one YAML file as a layer. Unreadable files and malformed YAML both name the file. */
export function fileLayer(path: string): ConfigLayer {
  let text: string;
  try {
    // A config is a few KB: refuse a huge file before reading it (a 52 MB list took 110 s and 3.6 GB).
    const size = statSync(path).size;
    if (size > MAX_CONFIG_BYTES)
      throw new QuantgateError(
        'CONFIG_INVALID',
        `${path}: config file is ${size} bytes, more than the ${MAX_CONFIG_BYTES} a config may have`,
        { file: path },
      );
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof QuantgateError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new QuantgateError(
      'CONFIG_INVALID',
      `${path}: cannot read config file (${code ?? 'unknown error'})`,
      { file: path },
    );
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const pos = first.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : 'unknown position';
    const reason = first.message.split('\n')[0];
    throw new QuantgateError('CONFIG_INVALID', `${path}: malformed YAML at ${where}: ${reason}`, {
      file: path,
    });
  }
  if (doc.contents !== null && !isMap(doc.contents))
    throw new QuantgateError('CONFIG_INVALID', `${path}: expected a YAML mapping at the top level`, {
      file: path,
    });
  let raw: RawConfig;
  try {
    // maxAliasCount bounds alias expansion: a "billion laughs" file fails fast instead of eating memory.
    raw = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as RawConfig;
  } catch (e) {
    throw new QuantgateError(
      'CONFIG_INVALID',
      `${path}: malformed YAML: ${(e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200)}`,
      { file: path },
    );
  }
  return { source: path, raw };
}

/** A layer that sets one dotted path, e.g. `--data-dir` → data.dir. */
export function valueLayer(source: string, path: readonly string[], value: unknown): ConfigLayer {
  let raw: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) raw = { [path[i]]: raw };
  return { source, raw: raw as RawConfig };
}

/** The object shape under a zod schema, looking through defaults, optionals, pipes and unions. */
function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | null {
  let s: z.ZodType | undefined = schema;
  for (let i = 0; i < 10 && s; i++) {
    const def = s.def as unknown as {
      type: string;
      innerType?: z.ZodType;
      in?: z.ZodType;
      options?: z.ZodType[];
      shape?: Record<string, z.ZodType>;
    };
    if (def.type === 'object') return def.shape ?? null;
    if (def.type === 'union') s = def.options?.find((o) => shapeOf(o) !== null);
    else if (def.type === 'pipe') s = def.in;
    else s = def.innerType;
  }
  return null;
}

const normalise = (s: string): string => s.replace(/_/g, '').toLowerCase();

/**
 * Maps `STRATEGY__THRESHOLDS__MIN_RISK_REWARD` to `['strategy','thresholds','minRiskReward']` by
 * matching each segment against the schema's keys (case and `_` ignored). Null on no match.
 */
export function envPath(segments: readonly string[]): { path: string[]; failedAt?: number } {
  const path: string[] = [];
  let shape = shapeOf(configSchema);
  for (let i = 0; i < segments.length; i++) {
    const key = shape ? Object.keys(shape).find((k) => normalise(k) === normalise(segments[i])) : undefined;
    if (key === undefined || !shape) return { path, failedAt: i };
    path.push(key);
    shape = shapeOf(shape[key]);
  }
  return { path };
}

/** A value from the environment: YAML scalars (0.6, true, 5m) or flow lists ([BTC/USDT, ETH/USDT]). */
function parseEnvValue(name: string, text: string): unknown {
  try {
    return parse(text);
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0];
    throw new QuantgateError(
      'CONFIG_INVALID',
      `environment variable ${name}: cannot read "${text}" as YAML: ${reason}`,
      {
        env: name,
      },
    );
  }
}

const SECRET_WORDS = /(key|secret|private|wallet|password|token|webhook)/i;

function secretNames(): string {
  const exchange = Object.values(SECRET_ENV_VARS).flatMap((o) => Object.values(o));
  return [...exchange, ...Object.values(SECRET_CONFIG_ENV_VARS)].join(', ');
}

/**
 * One layer per `QUANTGATE__A__B=value` variable (sorted by name, so the order is stable), and one
 * per secret variable that fills a config key (QUANTGATE_ALERTS_WEBHOOK_URL). Credentials can never be
 * set through the generic override: their values would end up in `config check` output.
 */
export function envLayers(env: NodeJS.ProcessEnv = process.env): ConfigLayer[] {
  const layers: ConfigLayer[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const source = `environment variable ${name}`;
    const segments = name.slice(ENV_PREFIX.length).split('__');
    const { path, failedAt } = envPath(segments);
    const dotted = path.join('.');
    if (failedAt !== undefined || (SECRET_CONFIG_ENV_VARS as Record<string, string>)[dotted] !== undefined) {
      const looksSecret = failedAt === undefined || SECRET_WORDS.test(segments.slice(failedAt).join('_'));
      if (looksSecret)
        throw new QuantgateError(
          'CONFIG_INVALID',
          `${source}: credentials cannot be set through ${ENV_PREFIX}* overrides; they are read only from ${secretNames()}`,
          { env: name },
        );
      const at = [...path, segments[failedAt!].toLowerCase()].join('.');
      throw new QuantgateError('CONFIG_INVALID', `${source}: ${at}: unknown config key`, { env: name });
    }
    layers.push(valueLayer(source, path, parseEnvValue(name, value)));
  }
  for (const [dotted, name] of Object.entries(SECRET_CONFIG_ENV_VARS)) {
    const value = env[name];
    if (value !== undefined && value !== '')
      layers.push(valueLayer(`environment variable ${name}`, dotted.split('.'), value));
  }
  return layers;
}

function hasPath(raw: unknown, path: readonly PropertyKey[]): boolean {
  let cur: unknown = raw;
  for (const p of path) {
    if (!isPlainObject(cur) && !Array.isArray(cur)) return false;
    const rec = cur as Record<PropertyKey, unknown>;
    if (!(p in rec)) return false;
    cur = rec[p];
  }
  return true;
}

/** The layer that last set `path` (or its nearest ancestor): the source an error should blame. */
export function blame(layers: readonly ConfigLayer[], path: readonly PropertyKey[]): string {
  for (let n = path.length; n >= 0; n--) {
    const prefix = path.slice(0, n);
    for (let i = layers.length - 1; i >= 0; i--) if (hasPath(layers[i].raw, prefix)) return layers[i].source;
  }
  return layers[layers.length - 1]?.source ?? '<config>';
}

function issuePaths(iss: z.core.$ZodIssue): PropertyKey[][] {
  if (iss.code === 'unrecognized_keys') return iss.keys.map((k) => [...iss.path, k]);
  return [iss.path];
}

/** Merges the layers in order and validates the result; each problem names the source that set it. */
export function resolveLayers(layers: readonly ConfigLayer[]): Config {
  const raw = layers.reduce<RawConfig>((acc, l) => deepMerge(acc, l.raw), {});
  const res = configSchema.safeParse(raw, { reportInput: true });
  if (res.success) return res.data;
  const bySource = new Map<string, string[]>();
  for (const iss of res.error.issues) {
    const lines = formatIssues([iss]).join('\n').split('\n');
    issuePaths(iss).forEach((p, i) => {
      const src = blame(layers, p);
      bySource.set(src, [...(bySource.get(src) ?? []), lines[i] ?? lines[0]]);
    });
  }
  const sources = [...bySource.keys()];
  const lines = [...bySource.entries()].flatMap(([src, ls]) =>
    ls.map((l) => (sources.length > 1 ? `${src}: ${l}` : l)),
  );
  const head = sources.length === 1 ? `${sources[0]}: invalid configuration` : 'invalid configuration';
  throw new QuantgateError('CONFIG_INVALID', `${head}\n  ${lines.join('\n  ')}`, {
    file: sources[0],
    sources,
    issues: lines,
  });
}

export interface ConfigSources {
  /** `--config` files, merged in order over the shipped defaults. */
  readonly files?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Command-line options, applied last. */
  readonly cli?: readonly ConfigLayer[];
  /** Base layer; default the shipped config/default.yaml. */
  readonly defaultsPath?: string;
}

/** defaults ← each --config file ← QUANTGATE__* environment ← command-line options. */
export function loadConfigSources(s: ConfigSources = {}): Config {
  const layers = [
    fileLayer(s.defaultsPath ?? DEFAULT_CONFIG_PATH),
    ...(s.files ?? []).map(fileLayer),
    ...envLayers(s.env ?? process.env),
    ...(s.cli ?? []),
  ];
  return resolveLayers(layers);
}
