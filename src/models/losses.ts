import * as tf from '@tensorflow/tfjs';

export const QUANTILE_TAUS = [0.1, 0.5, 0.9] as const;

/** Per-sample cross-entropy of 3-class logits against int labels, weighted: Σ w·ce / Σ w. */
export function weightedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, w: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(labels, 3), tf.logSoftmax(logits, -1)), -1));
    return tf.div(tf.sum(tf.mul(ce, w)), tf.maximum(tf.sum(w), 1e-8)) as tf.Scalar;
  });
}

/** Mean pinball loss over samples and the three quantiles (q10, q50, q90) against y [batch]. */
export function pinballLoss(q: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const e = tf.sub(tf.expandDims(y, 1), q);
    const tau = tf.tensor1d([...QUANTILE_TAUS]);
    return tf.mean(tf.maximum(tf.mul(e, tau), tf.mul(e, tf.sub(tau, 1)))) as tf.Scalar;
  });
}
