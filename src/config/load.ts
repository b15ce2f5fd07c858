import { readFileSync } from 'node:fs';
import { isMap, parseDocument } from 'yaml';
import type { z } from 'zod';
import { QuantgateError } from '../core/errors.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { configSchema } from './schema.ts';
import type { Config, ConfigInput, ModelConfig } from './schema.ts';

export const DEFAULT_CONFIG_PATH = 'config/default.yaml';

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

/** One line per problem: `strategy.thresholds.confidence: expected number between 0 and 1, got "high"`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((iss) => {
    if (iss.code === 'unrecognized_keys') {
      const keys = iss.keys;
      const base = issuePath(iss.path);
      return keys.map((k) => `${base ? `${base}.` : ''}${k}: unknown key`).join('\n');
    }
    const where = issuePath(iss.path) || '(top level)';
    let msg = iss.message;
    if (iss.code === 'invalid_type' && iss.input === undefined)
      msg = `missing required key (expected ${iss.expected})`;
    return `${where}: ${msg}`;
  });
}

/** Validates an already-parsed object; `source` names the file in the error. */
export function parseConfig(raw: unknown, source = '<config>'): Config {
  const res = configSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!res.success) {
    const lines = formatIssues(res.error.issues);
    throw new QuantgateError('CONFIG_INVALID', `${source}: invalid configuration\n  ${lines.join('\n  ')}`, {
      file: source,
      issues: lines,
    });
  }
  return res.data;
}

/** Reads and validates a YAML config file. Malformed YAML and schema errors both name the file. */
export function loadConfig(
  path: string = DEFAULT_CONFIG_PATH,
  overrides?: (raw: ConfigInput) => void,
): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
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
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new QuantgateError('CONFIG_INVALID', `${path}: expected a YAML mapping at the top level`, {
      file: path,
    });
  }
  const raw = (doc.toJS() ?? {}) as ConfigInput;
  overrides?.(raw);
  return parseConfig(raw, path);
}

/** The model settings for one timeframe: `model` with `modelOverrides[tf]` on top. */
export function modelConfigFor(config: Config, tf: ModelTimeframe): ModelConfig {
  const o = config.modelOverrides[tf] ?? {};
  const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...config.model, ...defined } as ModelConfig;
}

/** The label horizon (in candles of `tf`) for one timeframe. */
export function horizonFor(config: Config, tf: ModelTimeframe): number {
  const defaults: Record<ModelTimeframe, number> = { '5m': 12, '1h': 6, '12h': 2, '1d': 1 };
  return config.labels.horizon[tf] ?? defaults[tf];
}
