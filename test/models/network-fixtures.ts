import type { BatchProvider } from '../../src/models/index.ts';
import type { NetworkSpec } from '../../src/models/index.ts';

/** Shared synthetic data for the network tests: learnable, deterministic, tiny. */

export function lcg(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
}

export const W = 8;
export const F = 4;

export function tinySpec(architecture: 'tft' | 'mlp', over: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    architecture,
    window: W,
    features: F,
    hidden: 8,
    heads: 2,
    dropout: 0.1,
    targetScale: 0.006,
    ...over,
  };
}

/**
 * Feature 0 of the last row drives both the forward return and the class; `flip` inverts the
 * relation (a validation set that disagrees with training, to force early stopping).
 */
export function synthProvider(
  n: number,
  seed: number,
  flip = false,
): BatchProvider & { readonly x: Float32Array } {
  const r = lcg(seed);
  const x = Float32Array.from({ length: n * W * F }, () => r() * 2);
  const y = new Float32Array(n);
  const c = new Int32Array(n);
  const sign = flip ? -1 : 1;
  for (let i = 0; i < n; i++) {
    const v = sign * x[(i * W + W - 1) * F];
    y[i] = 0.01 * v + 0.008 * r();
    c[i] = v > 0.3 ? 0 : v < -0.3 ? 1 : 2;
  }
  return {
    size: n,
    x,
    fill(idx, xb, yc, yr, w) {
      idx.forEach((j, k) => {
        xb.set(x.subarray(j * W * F, (j + 1) * W * F), k * W * F);
        yc[k] = c[j];
        yr[k] = y[j];
        w[k] = 1;
      });
    },
  };
}
