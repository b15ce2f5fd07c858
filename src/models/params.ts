import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.ts';

/** One trainable weight with a stable name (tfjs variable names must be globally unique, ours need not be). */
export interface NamedWeight {
  readonly name: string;
  readonly variable: tf.Variable;
  /** Decoupled weight decay applies to matrices only, not to biases or LayerNorm gains. */
  readonly decay: boolean;
}

/** Collects a network's weights in creation order, which is also their order in the weights file. */
export class ParamBuilder {
  private readonly list: NamedWeight[] = [];
  constructor(private readonly rng: Rng) {}

  /** Glorot-uniform matrix [fanIn, fanOut]. */
  matrix(name: string, fanIn: number, fanOut: number): tf.Variable<tf.Rank.R2> {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const v = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < v.length; i++) v[i] = (this.rng.next() * 2 - 1) * limit;
    return this.add(name, tf.tensor2d(v, [fanIn, fanOut]), true) as tf.Variable<tf.Rank.R2>;
  }

  fill(name: string, shape: number[], value: number): tf.Variable {
    return this.add(name, tf.fill(shape, value), false);
  }

  get weights(): readonly NamedWeight[] {
    return this.list;
  }

  private add(name: string, init: tf.Tensor, decay: boolean): tf.Variable {
    if (this.list.some((w) => w.name === name)) throw new Error(`params.ts: duplicate weight name ${name}`);
    const variable = tf.variable(init, true);
    init.dispose();
    this.list.push({ name, variable, decay });
    return variable;
  }
}
