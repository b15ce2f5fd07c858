import type { Logger } from '../core/logger.ts';
import type { Forecast, ModelTimeframe } from '../core/types.ts';
import type { Forecaster, ForecastInput } from '../models/forecaster.ts';

/**
 * One forecaster per timeframe. `swap` stages a replacement that takes effect at the next
 * `beginCandle()`, so no candle is ever processed half by each model; the replaced model is
 * disposed then. When a model is missing or throws, the baseline (if any) answers instead.
 */
export class ModelSet {
  private readonly active = new Map<ModelTimeframe, Forecaster>();
  private readonly staged = new Map<ModelTimeframe, Forecaster>();
  private readonly failures = new Map<ModelTimeframe, number>();
  private fallbacks = 0;

  constructor(
    private readonly log: Logger,
    initial: Partial<Record<ModelTimeframe, Forecaster>> = {},
    private readonly baselines: Partial<Record<ModelTimeframe, Forecaster>> = {},
  ) {
    for (const [tf, f] of Object.entries(initial) as Array<[ModelTimeframe, Forecaster]>)
      this.active.set(tf, f);
  }

  /** Stage a new model for `tf`; it becomes active at the next candle boundary. */
  swap(tf: ModelTimeframe, next: Forecaster): void {
    const prev = this.staged.get(tf);
    if (prev && prev !== next) prev.dispose();
    this.staged.set(tf, next);
  }

  /** Called by the strategy before it processes a candle: applies staged swaps. */
  beginCandle(): void {
    for (const [tf, next] of this.staged) {
      const old = this.active.get(tf);
      this.active.set(tf, next);
      this.failures.set(tf, 0);
      this.log.info({ timeframe: tf, from: old?.version ?? null, to: next.version }, 'model swapped');
      if (old && old !== next) old.dispose();
    }
    this.staged.clear();
  }

  get(tf: ModelTimeframe): Forecaster | undefined {
    return this.active.get(tf) ?? this.baselines[tf];
  }

  versions(): Partial<Record<ModelTimeframe, string>> {
    const out: Partial<Record<ModelTimeframe, string>> = {};
    for (const tf of new Set([...this.active.keys(), ...(Object.keys(this.baselines) as ModelTimeframe[])])) {
      const f = this.get(tf);
      if (f) out[tf] = f.version;
    }
    return out;
  }

  get fallbackCount(): number {
    return this.fallbacks;
  }

  /** Forecasts with the active model, falling back to the baseline on absence or error. */
  predict(tf: ModelTimeframe, inputs: readonly ForecastInput[]): Forecast[] | null {
    const model = this.active.get(tf);
    if (model) {
      try {
        return model.predictBatch(inputs);
      } catch (e) {
        const n = (this.failures.get(tf) ?? 0) + 1;
        this.failures.set(tf, n);
        this.log.error(
          { alert: true, timeframe: tf, version: model.version, failures: n, err: String(e) },
          'model failed; using baseline',
        );
      }
    }
    const base = this.baselines[tf];
    if (!base) return null;
    this.fallbacks++;
    return base.predictBatch(inputs);
  }

  /** The window length (feature rows) the current model for `tf` needs. */
  window(tf: ModelTimeframe): number {
    return this.get(tf)?.window ?? 1;
  }

  dispose(): void {
    for (const f of this.active.values()) f.dispose();
    for (const f of this.staged.values()) f.dispose();
    for (const f of Object.values(this.baselines)) f?.dispose();
    this.active.clear();
    this.staged.clear();
  }
}
