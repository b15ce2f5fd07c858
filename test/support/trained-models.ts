import { join } from 'node:path';
import { configSchema } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Forecast, ModelTimeframe } from '../../src/core/types.ts';
import {
  ForwardingForecaster,
  activateIfNone,
  initBackend,
  loadForecaster,
  trainModel,
} from '../../src/models/index.ts';
import type { Forecaster, ForecastInput } from '../../src/models/index.ts';
import { demoConfig } from '../../src/app/index.ts';
import { REPO_ROOT } from './cli.ts';
import { TINY_MODEL } from './tiny-model.ts';

export const CANDLE_STORE = join(REPO_ROOT, 'test/fixtures/candles');
export const TRAINED_SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'] as const;
export const TRAINED_TIMEFRAMES: readonly ModelTimeframe[] = ['5m', '1h'];

/** The demo's strategy (thresholds low enough for tiny models to trade) with TINY_MODEL networks, under `work`. */
export function tinyTradingConfig(work: string): Config {
  const demo = demoConfig(CANDLE_STORE, work, 1, true);
  return configSchema.parse({ ...demo, model: { ...demo.model, ...TINY_MODEL } });
}

/**
 * Trains one TINY_MODEL per timeframe on the fixture store's candles opening before `to` (real
 * tfjs, saved under the config's modelsDir — the first one made active — and loaded back).
 */
export async function trainTinyModels(
  config: Config,
  to: number,
): Promise<Partial<Record<ModelTimeframe, Forecaster>>> {
  await initBackend({ logger: silentLogger() });
  const out: Partial<Record<ModelTimeframe, Forecaster>> = {};
  for (const tf of TRAINED_TIMEFRAMES) {
    const r = await trainModel({
      config,
      timeframe: tf,
      symbols: TRAINED_SYMBOLS,
      exchange: 'binance',
      dataDir: CANDLE_STORE,
      to,
      clock: { now: () => Date.now() },
      logger: silentLogger(),
    });
    // As `quantgate train` does: a timeframe's first model becomes active (live/backtest load only ACTIVE).
    activateIfNone(config.data.modelsDir, tf, r.version);
    out[tf] = await loadForecaster(r.modelDir, { timeframe: tf });
  }
  return out;
}

/** Passes calls through to a model and records every forecast per symbol, in call order. */
export class RecordingForecaster extends ForwardingForecaster {
  calls = 0;
  readonly bySymbol = new Map<string, Forecast[]>();
  override predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    this.calls++;
    const out = this.inner.predictBatch(inputs);
    inputs.forEach((x, i) => {
      const list = this.bySymbol.get(x.symbol) ?? [];
      list.push(out[i]);
      this.bySymbol.set(x.symbol, list);
    });
    return out;
  }
  /** The wrapped model is the caller's to dispose (it may outlive one run). */
  override dispose(): void {}
}
