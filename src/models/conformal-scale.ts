import type { ModelConfig } from '../config/index.ts';
import { QuantgateError } from '../core/errors.ts';
import type { DatasetSeries } from '../features/index.ts';
import type { CalibrationParams } from './calibration-types.ts';

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
  if (mode === 'volatility') {
    const f = names.find((n) => n.startsWith('rvol_'));
    if (f === undefined)
      throw new QuantgateError('CONFIG_INVALID', 'model.conformalScale: volatility needs an rvol_ feature');
    return { scaleFeature: f };
  }
  const har = names.filter((n) => n.startsWith('har_lrv_'));
  if (har.length === 0)
    throw new QuantgateError(
      'CONFIG_INVALID',
      'model.conformalScale: har needs the HAR features (set features.har.enabled: true for this timeframe)',
    );
  return { logScaleFeatures: har };
}

/** The scale of sample t of a series (raw feature values of row t), as NetworkForecaster computes it. */
export function scaleAt(s: DatasetSeries, t: number, sc: ConformalScaling): number {
  const names = s.features.names;
  const row = t * names.length;
  if (sc.scaleFeature !== undefined) return s.features.rows[row + names.indexOf(sc.scaleFeature)];
  const cols = (sc.logScaleFeatures ?? []).map((n) => names.indexOf(n));
  let sum = 0;
  for (const j of cols) sum += s.features.rows[row + j];
  return Math.exp(sum / cols.length);
}
