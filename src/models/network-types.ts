import type * as tf from '@tensorflow/tfjs';
import type { DropoutCtx } from './layers.ts';
import type { NamedWeight } from './params.ts';
import type { VolatilitySource } from './vol-scale.ts';

// The network's shape as types only, apart from network.ts, so the architectures (mlp.ts, tft.ts)
// can name them without importing the factory that imports them.
export type NetworkArchitecture = 'tft' | 'mlp';

/** Everything needed to rebuild a network's topology (stored in the artifact's model.json). */
export interface NetworkSpec {
  readonly architecture: NetworkArchitecture;
  /** Feature rows per input. The MLP only looks at the last one. */
  readonly window: number;
  readonly features: number;
  readonly hidden: number;
  readonly heads: number;
  readonly dropout: number;
  /**
   * The quantile head predicts forward log returns divided by this (≈ their std on the training
   * set), so the pinball loss is O(1) next to the cross-entropy. Outputs are multiplied back.
   */
  readonly targetScale: number;
  /**
   * model.targetScaling: when set, the quantile head was trained on forward log returns divided by
   * this causal volatility of the issue candle's feature row (then by targetScale), and its outputs
   * are multiplied back by it — NetworkForecaster does, from each input's newest row. Absent = none
   * (every model trained before the key existed).
   */
  readonly targetScaling?: VolatilitySource;
}

export interface NetworkOutput {
  /** [batch, 3] class logits, BUY, SELL, HOLD. */
  readonly logits: tf.Tensor2D;
  /** [batch, 3] q10, q50, q90 in scaled units (× spec.targetScale = log return). */
  readonly quantiles: tf.Tensor2D;
}

export interface Network {
  readonly spec: NetworkSpec;
  /** Trainable weights in a fixed order (the order of the weights file). */
  readonly weights: readonly NamedWeight[];
  /**
   * x: [batch, window, features], already normalised. Pass a DropoutCtx only while training.
   * `inference`: no gradients will be taken, so the network may use faster non-differentiable
   * paths (the TFT runs its LSTM recurrence in plain JS). Never set it under tf.variableGrads.
   */
  forward(x: tf.Tensor3D, drop: DropoutCtx | null, inference?: boolean): NetworkOutput;
  dispose(): void;
}
