import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/models/index.ts';
import { lcg } from './network-fixtures.ts';

/** The wasm kernel replacements (slice/split/unstack without full copies, matMul without flags) must be exact. */

let backend = '';
beforeAll(async () => {
  backend = (await initBackend()).name;
});

const iota = (shape: number[]) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
    shape,
  );

/** Reference slice in plain JS over row-major data. */
function refSlice(data: Float32Array, shape: number[], begin: number[], size: number[]): number[] {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out: number[] = [];
  const walk = (d: number, off: number) => {
    if (d === shape.length) return void out.push(data[off]);
    for (let i = 0; i < size[d]; i++) walk(d + 1, off + (begin[d] + i) * strides[d]);
  };
  walk(0, 0);
  return out;
}

describe('wasm kernel replacements', () => {
  it('runs on the wasm backend here (the replacements apply to it)', () => {
    expect(tf.getBackend()).toBe(backend);
    if (backend === 'wasm')
      expect((tf.getKernel('Slice', 'wasm')!.kernelFunc as { quantgate?: boolean }).quantgate).toBe(true);
  });

  it('slices contiguous and strided regions of rank 1–4 exactly', () => {
    const cases: Array<[number[], number[], number[]]> = [
      [[10], [3], [4]],
      [
        [6, 5],
        [2, 0],
        [3, 5],
      ],
      [
        [6, 5],
        [1, 2],
        [4, 2],
      ],
      [
        [4, 5, 6],
        [1, 2, 3],
        [2, 3, 2],
      ],
      [
        [4, 5, 6],
        [0, 3, 0],
        [4, 1, 6],
      ],
      [
        [3, 4, 5, 2],
        [1, 1, 2, 1],
        [2, 3, 2, 1],
      ],
      // Strided with runs of 63, 64 and 100 elements (the short-run loop and the block copy).
      [
        [3, 4, 100],
        [1, 1, 37],
        [2, 2, 63],
      ],
      [
        [3, 4, 100],
        [0, 2, 10],
        [3, 2, 64],
      ],
      [
        [3, 4, 100],
        [1, 1, 0],
        [2, 3, 100],
      ],
    ];
    for (const [shape, begin, size] of cases) {
      const x = iota(shape);
      const got = Array.from(tf.slice(x, begin, size).dataSync());
      expect(got).toEqual(refSlice(x.dataSync() as Float32Array, shape, begin, size));
      x.dispose();
    }
  });

  it('split and unstack on every axis match slicing, int32 included', () => {
    const x = iota([4, 6, 3]);
    for (let axis = 0; axis < 3; axis++) {
      const parts = tf.unstack(x, axis);
      parts.forEach((p, i) => {
        const begin = [0, 0, 0];
        const size = [...x.shape];
        begin[axis] = i;
        size[axis] = 1;
        expect(Array.from(p.dataSync())).toEqual(
          refSlice(x.dataSync() as Float32Array, x.shape, begin, size),
        );
      });
    }
    const [a, b] = tf.split(x, [2, 4], 1);
    expect(Array.from(b.dataSync())).toEqual(
      refSlice(x.dataSync() as Float32Array, x.shape, [0, 2, 0], [4, 4, 3]),
    );
    expect(a.shape).toEqual([4, 2, 3]);
    const ints = tf.tensor1d([1, 2, 3, 4, 5], 'int32');
    expect(Array.from(tf.slice(ints, [1], [3]).dataSync())).toEqual([2, 3, 4]);
  });

  it('matMul with transpose flags equals the plain product of transposed inputs (and its gradients)', () => {
    const r = lcg(5);
    const rand = (shape: number[]) =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => r()),
        shape,
      );
    const a = rand([7, 5]);
    const b = rand([7, 3]);
    const w = rand([3, 5]);
    const close = (x: tf.Tensor, y: tf.Tensor) =>
      Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(y.dataSync()[i], 5));
    close(tf.matMul(a, b, true, false), tf.matMul(tf.transpose(a), b));
    const w2 = rand([5, 3]);
    close(tf.matMul(b, w2, false, true), tf.matMul(b, tf.transpose(w2)));
    const c = rand([3, 7]);
    close(tf.matMul(a, c, true, true), tf.matMul(tf.transpose(a), tf.transpose(c)));
    const q = rand([4, 1, 6]);
    const k = rand([4, 9, 6]);
    close(tf.matMul(q, k, false, true), tf.matMul(q, tf.transpose(k, [0, 2, 1])));
    // The gradient of a matMul uses both flags.
    const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)))(
      [a, tf.transpose(w)],
    );
    const ones = tf.ones([7, 3]);
    close(g[0], tf.matMul(ones, w));
    close(g[1], tf.matMul(tf.transpose(a), ones));
  });

  it('leaks no tensors through the replaced kernels', () => {
    const x = iota([8, 6]);
    const y = iota([6, 8]);
    tf.tidy(() => tf.matMul(x, y, true, true));
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 20; i++)
      tf.tidy(() => {
        tf.split(x, 4, 0);
        tf.unstack(x, 1);
        tf.matMul(x, y, true, true);
        tf.grads((p: tf.Tensor) => tf.sum(tf.matMul(p as tf.Tensor2D, y as tf.Tensor2D)))([x]);
      });
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytes);
  });
});
