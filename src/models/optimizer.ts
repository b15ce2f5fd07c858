import * as tf from '@tensorflow/tfjs';
import type { NamedWeight } from './params.ts';

/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter) over our named weights. Written by hand
 * because tfjs optimizers have neither clipnorm nor decoupled decay, and a hand-written update
 * lets the learning rate change between steps (ReduceLROnPlateau) without rebuilding anything.
 */
export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  readonly weightDecay: number;
}

export class AdamW {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;

  constructor(
    private readonly weights: readonly NamedWeight[],
    private readonly opts: AdamWOptions,
  ) {
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.epsilon ?? 1e-7;
    this.m = weights.map((w) => zeroSlot(w.variable));
    this.v = weights.map((w) => zeroSlot(w.variable));
  }

  /** grads[i] belongs to weights[i]. Does not dispose the gradients. */
  step(grads: readonly tf.Tensor[], lr: number): void {
    this.t++;
    const c1 = 1 - this.b1 ** this.t;
    const c2 = 1 - this.b2 ** this.t;
    tf.tidy(() => {
      this.weights.forEach((w, i) => {
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], this.b1), tf.mul(g, 1 - this.b1));
        const v = tf.add(tf.mul(this.v[i], this.b2), tf.mul(tf.square(g), 1 - this.b2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps));
        const decayed =
          w.decay && this.opts.weightDecay > 0
            ? tf.mul(w.variable, 1 - lr * this.opts.weightDecay)
            : w.variable;
        w.variable.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

/** tf.variable keeps its initial tensor alive separately; dispose it so nothing leaks. */
function zeroSlot(like: tf.Variable): tf.Variable {
  const z = tf.zerosLike(like);
  const v = tf.variable(z, false);
  z.dispose();
  return v;
}

/**
 * Scales gradients so their global L2 norm is at most maxNorm (tfjs has no clipnorm). Returns new
 * tensors (caller disposes) and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: readonly tf.Tensor[],
  maxNorm: number,
): { grads: tf.Tensor[]; norm: number } {
  const norm = tf.tidy(() => Math.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
  const scale = Number.isFinite(norm) && norm > maxNorm ? maxNorm / (norm + 1e-12) : 1;
  return { grads: grads.map((g) => (scale === 1 ? tf.clone(g) : tf.mul(g, scale))), norm };
}
