import { horizonFor } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { roundTripCosts } from './barriers.ts';
import type { TripleBarrierSettings } from './barriers.ts';
import { featureSettingsFor } from './spec.ts';

export type LabelMethod = 'triple-barrier' | 'threshold';

export interface LabelParams {
  /** Absent in models saved before triple-barrier labels existed: those are threshold labels. */
  readonly method?: LabelMethod;
  readonly horizon: number;
  readonly k: number;
  readonly volWindow: number;
  /** Triple-barrier only: the strategy's exits and the round-trip costs. */
  readonly barrier?: TripleBarrierSettings;
}

/**
 * The label settings of one timeframe, resolved from the config (see labelsFor). Triple-barrier
 * labels take their barriers from `strategy.exits` and their costs from `exchange.takerFee` and
 * `paper.slippageBps`; on the execution timeframe the vertical barrier is the strategy's maximum
 * hold (horizonFor), so the label is the outcome of exactly the trade the bot would place.
 */
export function labelParamsFor(config: Config, tf: ModelTimeframe): LabelParams {
  const horizon = horizonFor(config, tf);
  const volWindow =
    config.labels.volatilityWindow ?? featureSettingsFor(tf, config.features).volatilityWindow;
  if (config.labels.method === 'threshold')
    return { method: 'threshold', horizon, k: config.labels.k, volWindow };
  const exits = config.strategy.exits;
  return {
    method: 'triple-barrier',
    horizon,
    k: config.labels.k,
    volWindow,
    barrier: {
      takeProfitMultiplier: exits.takeProfitMultiplier,
      stopLossMultiplier: exits.stopLossMultiplier,
      costs: roundTripCosts(config.exchange.takerFee, config.paper.slippageBps),
    },
  };
}
