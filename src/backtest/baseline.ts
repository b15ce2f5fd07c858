import type { ClosedCandle, ModelTimeframe } from '../core/types.ts';
import { classLabelOf, labelsFor } from '../features/index.ts';
import type { LabelParams } from '../features/index.ts';
import { RollingQuantileForecaster } from '../models/index.ts';
import type { Forecaster } from '../models/index.ts';
import type { ReplayTarget } from './engine.ts';
import type { ModelMap } from './run.ts';

export interface BaselineSpec {
  readonly horizons: Readonly<Record<ModelTimeframe, number>>;
  /** Per timeframe: the same BUY/SELL/HOLD rule as the training labels (labelParamsFor). */
  readonly labels: Readonly<Partial<Record<ModelTimeframe, LabelParams>>>;
  readonly lookback: number;
}

export function baselineModels(timeframes: readonly ModelTimeframe[], spec: BaselineSpec): ModelMap {
  const out: ModelMap = {};
  for (const tf of timeframes)
    out[tf] = new RollingQuantileForecaster({
      timeframe: tf,
      horizon: spec.horizons[tf],
      lookback: spec.lookback,
    });
  return out;
}

/**
 * The rolling-quantile baseline learns only from outcomes that are complete: when the candle at
 * index i of a series closes, the outcome of the forecast issued at i − h (its forward log return
 * and class) is known and fed to the baseline before the plugin sees candle i.
 */
/** Follows wrappers (recording, switching) down to the model itself. */
function unwrap(m: Forecaster | undefined): Forecaster | undefined {
  let x = m;
  while (x && 'unwrapped' in x) x = (x as { unwrapped: Forecaster }).unwrapped;
  return x;
}

export function feedBaselineOutcomes(
  target: ReplayTarget,
  models: ModelMap,
  spec: BaselineSpec,
): ReplayTarget {
  const history = new Map<string, ClosedCandle[]>();
  const observe = (c: ClosedCandle): void => {
    const tf = c.timeframe as ModelTimeframe;
    const m = unwrap(models[tf]);
    const params = spec.labels[tf];
    if (!(m instanceof RollingQuantileForecaster) || !params) return;
    const key = `${c.symbol}|${c.timeframe}`;
    let s = history.get(key);
    if (!s) history.set(key, (s = []));
    s.push(c);
    // The forecast issued `horizon` candles ago is resolved now, by the training label rule itself
    // (labelsFor over just the candles it needs: its volatility window and its path).
    const need = params.horizon + params.volWindow + 1;
    if (s.length > need * 4) s.splice(0, s.length - need);
    if (s.length < need) return;
    const window = s.slice(s.length - need);
    const labels = labelsFor(window, params, tf);
    const at = params.volWindow;
    const label = classLabelOf(labels.classes[at]);
    if (label === null) return;
    m.observe(c.symbol, labels.forwardReturn[at], label);
  };
  return {
    account: target.account,
    gateCounters: () => target.gateCounters(),
    warm: async (c) => {
      observe(c);
      await target.warm(c);
    },
    step: async (c) => {
      observe(c);
      return target.step(c);
    },
  };
}
