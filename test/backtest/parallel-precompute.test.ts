import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { precomputeAllParallel } from '../../src/backtest/parallel-precompute.ts';
import type { PrecomputedSet } from '../../src/backtest/forecasters.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { ModelTimeframe } from '../../src/core/types.ts';
import { readCandles } from '../../src/exchange/index.ts';
import { computeFeatures } from '../../src/features/index.ts';
import type { FeatureMatrix } from '../../src/features/types.ts';
import { ForwardingForecaster } from '../../src/models/index.ts';
import type { Forecaster } from '../../src/models/index.ts';
import {
  CANDLE_STORE,
  TRAINED_SYMBOLS,
  TRAINED_TIMEFRAMES,
  tinyTradingConfig,
  trainTinyModels,
} from '../support/trained-models.ts';

const work = mkdtempSync(join(tmpdir(), 'qg-parallel-pre-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A model that claims a directory no worker can load from: its share must come back to the main thread. */
class UnloadableElsewhere extends ForwardingForecaster {
  readonly dir = join(work, 'no-such-model');
}

const all = () => ({ from: 0, to: Infinity });

/** Every 37th window of every series, looked up in a precomputed set (the model must not run). */
function sample(set: PrecomputedSet, features: Record<ModelTimeframe, Record<string, FeatureMatrix>>) {
  const out: unknown[] = [];
  for (const tf of TRAINED_TIMEFRAMES) {
    const m = set.models[tf]!;
    const width = m.featureNames.length;
    for (const [symbol, fm] of Object.entries(features[tf])) {
      const cols = m.featureNames.map((n) => fm.names.indexOf(n));
      for (let end = fm.firstValid + m.window - 1; end < fm.length; end += 37) {
        const x = new Float32Array(m.window * width);
        for (let r = 0; r < m.window; r++)
          for (let c = 0; c < width; c++)
            x[r * width + c] = fm.rows[(end - m.window + 1 + r) * fm.names.length + cols[c]];
        if (x.some((v) => Number.isNaN(v))) continue;
        out.push(m.predictBatch([{ symbol, features: x }])[0]);
      }
    }
  }
  return out;
}

describe('precompute on several threads', () => {
  it('gives bit-identical forecasts to the main thread alone, and a failing worker hands its share back', async () => {
    const config = tinyTradingConfig(work);
    const models = await trainTinyModels(config, Date.UTC(2021, 6, 1));
    const features = Object.fromEntries(
      TRAINED_TIMEFRAMES.map((tf) => [
        tf,
        Object.fromEntries(
          TRAINED_SYMBOLS.map((s) => [
            s,
            computeFeatures(readCandles(CANDLE_STORE, 'binance', tf, s)!.candles, tf, config.features),
          ]),
        ),
      ]),
    ) as Record<ModelTimeframe, Record<string, FeatureMatrix>>;
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } });

    const alone = await precomputeAllParallel(models, features, all, { workers: 0, logger });
    const shared = await precomputeAllParallel(models, features, all, {
      workers: 2,
      minRows: 0,
      minMs: 0,
      logger,
    });
    const broken: Partial<Record<ModelTimeframe, Forecaster>> = {
      '5m': new UnloadableElsewhere(models['5m']!),
      '1h': models['1h'],
    };
    const fallback = await precomputeAllParallel(broken, features, all, {
      workers: 1,
      minRows: 0,
      minMs: 0,
      logger,
    });

    const want = sample(alone, features);
    expect(want.length).toBeGreaterThan(500);
    expect(sample(shared, features)).toEqual(want);
    expect(sample(fallback, features)).toEqual(want);
    for (const set of [alone, shared, fallback]) for (const c of set.caches) expect(c.stats.misses).toBe(0);
    expect(lines.join('\n')).toMatch(/inference worker failed; predicting its share here/);

    // A model this fast (timed on its second batch) is not worth a worker's start-up: none is
    // started (the unloadable directory would log a failure), and the forecasts are the same.
    lines.length = 0;
    const quick = await precomputeAllParallel(broken, features, all, { workers: 1, minRows: 0, logger });
    expect(sample(quick, features)).toEqual(want);
    expect(lines.join('\n')).not.toMatch(/inference worker/);
  }, 180_000);
});
