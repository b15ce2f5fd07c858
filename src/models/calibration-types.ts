/**
 * Post-training calibration parameters the NetworkForecaster applies at predict time (fitted by
 * the calibration step on a slice later in time than the training data).
 *  - temperature: class logits are divided by it before the softmax (1 = unchanged).
 *  - qOffsets: added to each quantile of the forward log return (conformal offsets, 0 = unchanged).
 */
export interface CalibrationParams {
  readonly temperature: number;
  readonly qOffsets: { readonly q10: number; readonly q50: number; readonly q90: number };
  /**
   * When set, the offsets are in units of this feature (a realised volatility, e.g. rvol_24, read
   * from the newest row of the forecast's input window, before normalisation): the calibrated
   * quantile is raw + offset × feature. Absent = plain additive offsets.
   */
  readonly scaleFeature?: string;
  /**
   * When set (instead of scaleFeature), the offsets are in units of exp(mean of these log-volatility
   * features of the newest input row): the geometric mean of the HAR realised volatilities.
   */
  readonly logScaleFeatures?: readonly string[];
}

export const IDENTITY_CALIBRATION: CalibrationParams = Object.freeze({
  temperature: 1,
  qOffsets: Object.freeze({ q10: 0, q50: 0, q90: 0 }),
});
