import * as tf from '@tensorflow/tfjs';
import type { ParamBuilder } from './params.ts';

/**
 * Building blocks written with plain tf ops over explicit variables. tf.layers would also work,
 * but our training loop needs raw gradients (clip by global norm, AdamW) and our artifacts need a
 * stable, named list of weights; explicit variables give both without fighting the layers API.
 * All blocks act on rank-2 inputs [rows, width]; sequences are reshaped to [batch·time, width].
 */

/** Dropout during training only; `seed()` hands out a fresh deterministic seed per mask. */
export interface DropoutCtx {
  readonly rate: number;
  seed(): number;
}

export function dropout(x: tf.Tensor2D, ctx: DropoutCtx | null): tf.Tensor2D {
  if (!ctx || ctx.rate <= 0) return x;
  return tf.dropout(x, ctx.rate, undefined, ctx.seed()) as tf.Tensor2D;
}

export interface Block {
  apply(x: tf.Tensor2D, drop: DropoutCtx | null): tf.Tensor2D;
}

export function linear(p: ParamBuilder, name: string, inDim: number, outDim: number, biasInit = 0): Block {
  const w = p.matrix(`${name}.w`, inDim, outDim);
  const b = p.fill(`${name}.b`, [outDim], biasInit);
  return { apply: (x) => tf.add(tf.matMul(x, w), b) };
}

/**
 * LayerNorm from basic ops: tf.layers.layerNormalization is extremely slow to train on wasm
 * (FACTS.md), this version costs a handful of cheap kernels.
 */
export function layerNorm(p: ParamBuilder, name: string, dim: number, eps = 1e-5): Block {
  const gamma = p.fill(`${name}.gamma`, [dim], 1);
  const beta = p.fill(`${name}.beta`, [dim], 0);
  return {
    apply: (x) => {
      const { mean, variance } = tf.moments(x, -1, true);
      const xn = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
      return tf.add(tf.mul(xn, gamma), beta);
    },
  };
}

/** Gated linear unit: σ(xWa) ⊙ (xWb), one matmul to 2·out then split. */
export function glu(p: ParamBuilder, name: string, inDim: number, outDim: number): Block {
  const l = linear(p, name, inDim, 2 * outDim);
  return {
    apply: (x, drop) => {
      const [g, v] = tf.split(l.apply(dropout(x, drop), null), 2, -1) as [tf.Tensor2D, tf.Tensor2D];
      return tf.mul(tf.sigmoid(g), v);
    },
  };
}

/** Gated residual network (TFT): LN(a + GLU(W1·ELU(W2·a))). */
export function grn(p: ParamBuilder, name: string, dim: number): Block {
  const l2 = linear(p, `${name}.l2`, dim, dim);
  const l1 = linear(p, `${name}.l1`, dim, dim);
  const gate = glu(p, `${name}.glu`, dim, dim);
  const norm = layerNorm(p, `${name}.ln`, dim);
  return {
    apply: (a, drop) =>
      norm.apply(tf.add(a, gate.apply(l1.apply(tf.elu(l2.apply(a, null)), null), drop)), null),
  };
}

/** Residual + gated skip: LN(skip + GLU(x)). */
export function gatedAddNorm(
  p: ParamBuilder,
  name: string,
  dim: number,
): { apply(x: tf.Tensor2D, skip: tf.Tensor2D, drop: DropoutCtx | null): tf.Tensor2D } {
  const gate = glu(p, `${name}.glu`, dim, dim);
  const norm = layerNorm(p, `${name}.ln`, dim);
  return { apply: (x, skip, drop) => norm.apply(tf.add(skip, gate.apply(x, drop)), null) };
}

/**
 * Class head (3 logits: BUY, SELL, HOLD) and quantile head with non-crossing outputs by
 * construction: q10 = q50 − softplus(a), q90 = q50 + softplus(b). Returns quantiles [rows, 3] as
 * (q10, q50, q90) in the network's scaled return units.
 */
export function heads(
  p: ParamBuilder,
  dim: number,
): { apply(h: tf.Tensor2D): { logits: tf.Tensor2D; quantiles: tf.Tensor2D } } {
  const cls = linear(p, 'head.class', dim, 3);
  // softplus(0.5)≈0.97: the initial band is about ±1 scaled unit, roughly the 10/90 spread of returns.
  const q = linear(p, 'head.quantile', dim, 3);
  return {
    apply: (h) => {
      const r = q.apply(h, null);
      const [mid, a, b] = tf.split(r, 3, -1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const lo = tf.sub(mid, tf.softplus(tf.add(a, 0.5)));
      const hi = tf.add(mid, tf.softplus(tf.add(b, 0.5)));
      return { logits: cls.apply(h, null), quantiles: tf.concat([lo, mid, hi], -1) as tf.Tensor2D };
    },
  };
}
