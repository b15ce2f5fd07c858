import type { ModelConfig } from '../config/index.ts';
import type { DatasetSeries } from '../features/index.ts';
import type { CalibrationParams } from './calibration-types.ts';
import type { VolatilitySource } from './vol-scale.ts';
import { offsetScaleOfRow, volatilityColumns, volatilitySourceFor } from './vol-scale.ts';

export type ConformalScaling = Pick<CalibrationParams, 'scaleFeature' | 'logScaleFeatures'>;

/**
 * Which features the conformal offsets are scaled by (model.conformalScale): none (additive), the
 * realised volatility rvol_<w>, or the HAR log-volatilities (geometric mean = an unfitted HAR
 * volatility forecast). Throws CONFIG_INVALID when the features it needs are not computed.
 */
export function conformalScaling(
  mode: ModelConfig['conformalScale'],
  names: readonly string[],
): ConformalScaling | undefined {
  if (mode === 'additive') return undefined;
  return volatilitySourceFor(mode, names, 'model.conformalScale');
}

/**
 * What the conformal offsets of sample t of a series are multiplied by (raw feature values of row
 * t), exactly as NetworkForecaster computes it: the target σ of a volatility-scaled model
 * (`target`, its spec.targetScaling) times the conformal scale (`sc`).
 */
export function scaleAt(
  s: DatasetSeries,
  t: number,
  sc: ConformalScaling | undefined,
  target?: VolatilitySource,
): number {
  const names = s.features.names;
  return offsetScaleOfRow(
    s.features.rows,
    t * names.length,
    volatilityColumns(target, names, 'targetScaling'),
    volatilityColumns(sc, names, 'model.conformalScale'),
  );
}
