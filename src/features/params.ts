import { horizonFor } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { featureSettingsFor } from './spec.ts';

export interface LabelParams {
  readonly horizon: number;
  readonly k: number;
  readonly volWindow: number;
}

/** The label settings of one timeframe, resolved from the config (see makeLabels). */
export function labelParamsFor(config: Config, tf: ModelTimeframe): LabelParams {
  return {
    horizon: horizonFor(config, tf),
    k: config.labels.k,
    volWindow: config.labels.volatilityWindow ?? featureSettingsFor(tf, config.features).volatilityWindow,
  };
}
