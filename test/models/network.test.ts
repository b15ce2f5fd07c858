import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  clipByGlobalNorm,
  createNetwork,
  initBackend,
  networkSpecFromConfig,
  parameterCount,
  predictArrays,
  validateSpec,
} from '../../src/models/index.ts';
import { modelSchema } from '../../src/config/index.ts';
import { F, W, lcg, tinySpec } from './network-fixtures.ts';

beforeAll(async () => {
  const info = await initBackend();
  expect(['wasm', 'tensorflow']).toContain(info.name);
});

describe.each(['tft', 'mlp'] as const)('%s network', (arch) => {
  it('maps [B, window, F] to 3 logits and 3 quantiles per sample, probabilities summing to 1', () => {
    const net = createNetwork(tinySpec(arch), 1);
    const r = lcg(3);
    const x = Float32Array.from({ length: 5 * W * F }, () => r() * 4);
    const out = predictArrays(net, x, 5);
    expect(out.logits.length).toBe(15);
    expect(out.quantiles.length).toBe(15);
    for (let i = 0; i < 5; i++)
      expect(out.probs[i * 3] + out.probs[i * 3 + 1] + out.probs[i * 3 + 2]).toBeCloseTo(1, 5);
    expect(parameterCount(net)).toBeGreaterThan(50);
    net.dispose();
  });

  it('never crosses quantiles, even with large weights and extreme inputs', () => {
    const net = createNetwork(tinySpec(arch), 2);
    const r = lcg(11);
    // Blow the weights up so the raw head outputs are far from their initial range.
    for (const w of net.weights) w.variable.assign(tf.tidy(() => tf.mul(w.variable, 8)));
    const n = 200;
    const x = Float32Array.from({ length: n * W * F }, () => r() * 200);
    const q = predictArrays(net, x, n).quantiles;
    for (let i = 0; i < n; i++) {
      expect(q[i * 3]).toBeLessThanOrEqual(q[i * 3 + 1]);
      expect(q[i * 3 + 1]).toBeLessThanOrEqual(q[i * 3 + 2]);
    }
    net.dispose();
  });

  it('initialises the same weights for the same seed and different ones for another seed', () => {
    const a = createNetwork(tinySpec(arch), 5);
    const b = createNetwork(tinySpec(arch), 5);
    const c = createNetwork(tinySpec(arch), 6);
    const flat = (n: typeof a) => n.weights.flatMap((w) => Array.from(w.variable.dataSync()));
    expect(flat(a)).toEqual(flat(b));
    expect(flat(a)).not.toEqual(flat(c));
    [a, b, c].forEach((n) => n.dispose());
  });

  it('gives the same outputs on the inference path as on the differentiable path', () => {
    const net = createNetwork(tinySpec(arch), 7);
    const r = lcg(21);
    // 3 samples: small enough for the TFT's JS recurrence (used for batches ≤ 4).
    const x = tf.tensor3d(
      Float32Array.from({ length: 3 * W * F }, () => r() * 3),
      [3, W, F],
    );
    const [a, b] = [false, true].map((inference) =>
      tf.tidy(() => {
        const o = net.forward(x, null, inference);
        return [Array.from(o.logits.dataSync()), Array.from(o.quantiles.dataSync())];
      }),
    );
    a.forEach((arr, k) => arr.forEach((v, i) => expect(b[k][i]).toBeCloseTo(v, 4)));
    x.dispose();
    net.dispose();
  });

  it('leaks no tensors in predictArrays', () => {
    const net = createNetwork(tinySpec(arch), 1);
    const x = new Float32Array(3 * W * F).fill(0.5);
    predictArrays(net, x, 3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) predictArrays(net, x, 3);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});

describe('spec', () => {
  it('rejects a TFT whose hidden size is not a multiple of the heads', () => {
    expect(() => validateSpec(tinySpec('tft', { hidden: 9, heads: 2 }))).toThrow(
      /hidden must be a multiple of heads/,
    );
  });

  it('builds from the config defaults and refuses the rolling-quantile baseline', () => {
    const cfg = modelSchema.parse({});
    const spec = networkSpecFromConfig(cfg, 20, 0.01);
    // The default architecture is the MLP since warm start (docs/benchmarks.md: as good, 38× cheaper).
    expect(spec).toMatchObject({ architecture: 'mlp', window: 60, features: 20, targetScale: 0.01 });
    expect(() => networkSpecFromConfig({ ...cfg, architecture: 'rolling-quantile' }, 20, 0.01)).toThrow(
      /not a network/,
    );
  });

  it('builds the default-size TFT (window 60, hidden 24, 2 heads) and predicts', () => {
    const net = createNetwork(networkSpecFromConfig(modelSchema.parse({}), 12, 0.01), 1);
    const out = predictArrays(net, new Float32Array(2 * 60 * 12).fill(0.1), 2);
    expect(out.quantiles.every(Number.isFinite)).toBe(true);
    net.dispose();
  });
});

describe('clipByGlobalNorm', () => {
  it('scales gradients to the bound when above it and leaves them alone below it', () => {
    const grads = [tf.tensor2d([[30, 40]]), tf.tensor1d([0, 0, 0])]; // norm 50
    const big = clipByGlobalNorm(grads, 1);
    expect(big.norm).toBeCloseTo(50, 4);
    const after = Math.sqrt(big.grads.reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0], 0));
    expect(after).toBeLessThanOrEqual(1 + 1e-5);
    expect(after).toBeGreaterThan(0.999);
    expect(Array.from(big.grads[0].dataSync())).toEqual([expect.closeTo(0.6, 5), expect.closeTo(0.8, 5)]);
    const small = clipByGlobalNorm(grads, 100);
    expect(Array.from(small.grads[0].dataSync())).toEqual([30, 40]);
    tf.dispose([...grads, ...big.grads, ...small.grads]);
  });
});

describe('backend', () => {
  it('is idempotent and also starts inside a worker thread', async () => {
    const a = await initBackend();
    const b = await initBackend();
    expect(a).toBe(b);
    // A worker does not inherit tsx's loader: register it first, then import the TS fixture.
    const fixture = new URL('./network-worker-fixture.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(fixture)}); });`;
    const w = new Worker(boot, { eval: true });
    const msg = await new Promise<{ backend: string; same: boolean; active: string; q: number[] }>(
      (resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      },
    );
    await w.terminate();
    expect(msg.backend).toBe(a.name);
    expect(msg.active).toBe(a.name);
    expect(msg.same).toBe(true);
    expect(msg.q).toHaveLength(6);
    expect(msg.q.every(Number.isFinite)).toBe(true);
  });
});
