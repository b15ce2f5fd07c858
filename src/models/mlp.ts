import * as tf from '@tensorflow/tfjs';
import type { DropoutCtx } from './layers.ts';
import { dropout, heads, linear } from './layers.ts';
import type { NetworkOutput, NetworkSpec } from './network-types.ts';
import type { ParamBuilder } from './params.ts';

/**
 * Baseline: a two-layer MLP on the last step's features with the same heads as TFT-lite. If the
 * TFT cannot beat this, the window carries no extra information (or the TFT is undertrained).
 */
export function buildMlp(
  p: ParamBuilder,
  spec: NetworkSpec,
): (x: tf.Tensor3D, drop: DropoutCtx | null, inference?: boolean) => NetworkOutput {
  const { features: F, hidden: H } = spec;
  const l1 = linear(p, 'mlp.l1', F, 2 * H);
  const l2 = linear(p, 'mlp.l2', 2 * H, H);
  const out = heads(p, H);
  return (x, drop) => {
    const [B, T] = x.shape;
    const last = tf.reshape(tf.slice(x, [0, T - 1, 0], [B, 1, F]), [B, F]) as tf.Tensor2D;
    const h1 = dropout(tf.elu(l1.apply(last, null)), drop);
    const h2 = dropout(tf.elu(l2.apply(h1, null)), drop);
    return out.apply(h2);
  };
}
