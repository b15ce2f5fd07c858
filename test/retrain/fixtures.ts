import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { ModelTimeframe } from '../../src/core/types.ts';
import { createNetwork, saveArtifact } from '../../src/models/index.ts';
import type { ModelStoreContext } from '../../src/retrain/index.ts';
import { registryPath } from '../../src/retrain/index.ts';
import { tinySpec } from '../models/network-fixtures.ts';

const featureNames = ['f0', 'f1', 'f2', 'f3'];

/** Saves a tiny real MLP artifact as `<modelsDir>/<tf>/<version>`. */
export async function saveTinyVersion(
  modelsDir: string,
  tf: ModelTimeframe,
  version: string,
  seed = 1,
): Promise<string> {
  const dir = join(modelsDir, tf, version);
  const net = createNetwork(tinySpec('mlp'), seed);
  try {
    await saveArtifact(
      dir,
      net,
      {
        version,
        timeframe: tf,
        horizon: 6,
        featureNames,
        seed,
        trainingWindow: { from: 1_700_000_000_000, to: 1_710_000_000_000, symbols: ['BTC/USDT'] },
        normalisation: { featureNames, pooled: { mean: [0, 0, 0, 0], std: [1, 1, 1, 1] } },
        calibration: { temperature: 1, qOffsets: { q10: 0, q50: 0, q90: 0 } },
        metrics: { test: { ece: 0.05, bandCoverage: 0.8 } },
      },
      new ManualClock(1_720_000_000_000),
    );
  } finally {
    net.dispose();
  }
  return dir;
}

export function storeContext(root: string, clock: ManualClock, keepVersions = 3): ModelStoreContext {
  return {
    registryPath: registryPath(join(root, 'state')),
    modelsDir: join(root, 'models'),
    keepVersions,
    cooldownHours: 24,
    clock,
    logger: silentLogger(),
  };
}
