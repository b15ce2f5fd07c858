import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { ModelTimeframe } from '../../src/core/types.ts';
import { createNetwork, initBackend, saveArtifact } from '../../src/models/index.ts';
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

/**
 * For a test file working on model stores: the tfjs backend set up, and `fresh()` giving an empty
 * directory per test under one temp root removed after the file.
 */
export function storeRoots(prefix: string): { fresh: () => string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeAll(async () => {
    await initBackend();
  });
  let n = 0;
  return {
    fresh: () => {
      const r = join(root, `r${++n}`);
      mkdirSync(r, { recursive: true });
      return r;
    },
  };
}
