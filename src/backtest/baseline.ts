import type { ClosedCandle, ModelTimeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import { RollingQuantileForecaster } from '../models/index.ts';
import type { Forecaster } from '../models/index.ts';
import type { ReplayTarget } from './engine.ts';
import type { ModelMap } from './run.ts';

export interface BaselineSpec {
  readonly horizons: Readonly<Record<ModelTimeframe, number>>;
  /** labels.k and features.volatilityWindow: the same BUY/SELL/HOLD rule as the training labels. */
  readonly k: number;
  readonly volWindow: number;
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
  const closes = new Map<string, Array<{ t: number; c: number }>>();
  const observe = (c: ClosedCandle): void => {
    const m = unwrap(models[c.timeframe as ModelTimeframe]);
    if (!(m instanceof RollingQuantileForecaster)) return;
    const key = `${c.symbol}|${c.timeframe}`;
    const h = spec.horizons[c.timeframe as ModelTimeframe];
    const tf = timeframeMs(c.timeframe);
    let s = closes.get(key);
    if (!s) closes.set(key, (s = []));
    s.push({ t: c.timestamp, c: c.close });
    const keep = h + spec.volWindow + 2;
    if (s.length > keep * 4) s.splice(0, s.length - keep);
    const i = s.length - 1;
    const j = i - h; // the forecast issued at j is resolved now
    if (j - spec.volWindow < 0) return;
    // Only gap-free spans count, as in the training labels.
    if (s[i].t - s[j - spec.volWindow].t !== (h + spec.volWindow) * tf) return;
    let ss = 0;
    for (let q = j - spec.volWindow + 1; q <= j; q++) ss += Math.log(s[q].c / s[q - 1].c) ** 2;
    const sigma = Math.sqrt(ss / spec.volWindow);
    if (!(sigma > 0)) return;
    const r = Math.log(s[i].c / s[j].c);
    const thr = spec.k * sigma * Math.sqrt(h);
    m.observe(c.symbol, r, r > thr ? 'BUY' : r < -thr ? 'SELL' : 'HOLD');
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
