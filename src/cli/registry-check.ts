import type { Config } from '../config/index.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { readRegistry, registryPath } from '../retrain/registry-store.ts';

/**
 * `live` starts even on a corrupt registry.json (the models it loads are on disk), but never
 * silently: promotions, rollbacks and stored alerts need it, so the start says what is wrong.
 * Returns the warning given, or null when the registry reads.
 */
export function warnOnUnusableRegistry(config: Config, logger: Logger): string | null {
  const file = registryPath(config.data.stateDir);
  try {
    readRegistry(file);
    return null;
  } catch (e) {
    const msg = `${describeError(e)} Until it is fixed, promotions, rollbacks and stored alerts fail.`;
    logger.warn({ registry: file, alert: true }, msg);
    return msg;
  }
}
