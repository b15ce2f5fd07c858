import { systemClock } from '../core/clock.ts';
import type { Config } from '../config/index.ts';
import type { ModelStoreContext } from '../retrain/index.ts';
import { cliLogger } from './run.ts';

/** The registry code (and through it tfjs) is loaded only when a command that needs it runs. */
export const registry = () => import('../retrain/index.ts');

/** The model registry and models directory a CLI command works on, from its config. */
export async function modelStoreContext(config: Config): Promise<ModelStoreContext> {
  const { registryPath } = await registry();
  return {
    registryPath: registryPath(config.data.stateDir),
    modelsDir: config.data.modelsDir,
    keepVersions: config.retrain.keepVersions,
    cooldownHours: config.retrain.rollback.cooldownHours,
    clock: systemClock,
    logger: cliLogger(config),
  };
}
