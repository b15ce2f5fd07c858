import { QuantgateError } from '../core/errors.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { configSchema } from './schema.ts';
import type { Config, ConfigInput, ModelConfig } from './schema.ts';
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

/** The model settings for one timeframe: `model` with `modelOverrides[tf]` on top. */
export function modelConfigFor(config: Config, tf: ModelTimeframe): ModelConfig {
  const o = config.modelOverrides[tf] ?? {};
  const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...config.model, ...defined } as ModelConfig;
}

/**
 * The label horizon (in candles of `tf`) for one timeframe. On the execution timeframe an explicit
 * `strategy.exits.maxHoldCandles` wins: the label (and the forecast's forward return) is then the
 * outcome of exactly the trade the bot would place, held at most that long.
 */
export function horizonFor(config: Config, tf: ModelTimeframe): number {
  const defaults: Record<ModelTimeframe, number> = { '5m': 12, '1h': 6, '12h': 2, '1d': 1 };
  const maxHold = config.strategy.exits.maxHoldCandles;
  if (tf === config.strategy.executionTimeframe && maxHold !== undefined) return maxHold;
  return config.labels.horizon[tf] ?? defaults[tf];
}
