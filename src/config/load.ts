import { QuantgateError } from '../core/errors.ts';
import { configSchema } from './schema.ts';
import type { Config, ConfigInput } from './schema.ts';
import { formatIssues } from './issues.ts';
import { DEFAULT_CONFIG_PATH, fileLayer } from './sources.ts';

export { formatIssues } from './issues.ts';

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

/**
 * Reads and validates one YAML config file on its own (schema defaults only, no merge with
 * config/default.yaml; the CLI uses loadConfigSources). Malformed YAML and schema errors name the file.
 */
export function loadConfig(
  path: string = DEFAULT_CONFIG_PATH,
  overrides?: (raw: ConfigInput) => void,
): Config {
  const raw = fileLayer(path).raw as ConfigInput;
  overrides?.(raw);
  return parseConfig(raw, path);
}

export { horizonFor, modelConfigFor } from './per-timeframe.ts';
