import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import type { BatchProvider, Network, TrainOptions, TrainProgress } from '../../src/models/index.ts';
import {
  createNetwork,
  estimateTargetScale,
  evaluateLoss,
  initBackend,
  predictArrays,
  trainNetwork,
} from '../../src/models/index.ts';
import { F, W, synthProvider, tinySpec } from './network-fixtures.ts';

beforeAll(async () => {
  await initBackend();
});

const base: TrainOptions = {
  epochs: 12,
  batchSize: 64,
  learningRate: 0.01,
  weightDecay: 1e-4,
  clipNorm: 1,
  quantileLossWeight: 1,
  patience: 4,
  maxMinutes: 10,
  seed: 7,
};

const flat = (n: Network): number[] => n.weights.flatMap((w) => Array.from(w.variable.dataSync()));

describe('trainNetwork', () => {
  it.each(['mlp', 'tft'] as const)(
    '%s: loss decreases on a learnable task and the quantile band covers',
    async (arch) => {
      const net = createNetwork(tinySpec(arch), 3);
      const data = { train: synthProvider(384, 1), validation: synthProvider(128, 2) };
      const first = evaluateLoss(net, data.validation, 128, 1);
      const r = await trainNetwork(net, data, { ...base, epochs: arch === 'tft' ? 8 : 12 });
      expect(r.stopReason).toBe('completed');
      expect(r.bestValLoss).toBeLessThan(first * 0.5);
      // The network ends with its best validated weights.
      expect(evaluateLoss(net, data.validation, 128, 1)).toBeCloseTo(r.bestValLoss, 4);
      expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0].loss);
      // The 10–90 band should hold most validation returns (80 % nominal; loose bounds for a tiny set).
      const v = data.validation;
      const idx = Int32Array.from({ length: v.size }, (_, i) => i);
      const x = new Float32Array(v.size * W * F);
      const y = new Float32Array(v.size);
      v.fill(idx, x, new Int32Array(v.size), y, new Float32Array(v.size));
      const q = predictArrays(net, x, v.size).quantiles;
      const inside = Array.from(y).filter((t, i) => t >= q[i * 3] && t <= q[i * 3 + 2]).length / v.size;
      expect(inside).toBeGreaterThan(0.5);
      expect(inside).toBeLessThan(0.99);
      net.dispose();
    },
  );

  it('is reproducible: same seed and data give the same weights (with dropout), another seed differs', async () => {
    const run = async (seed: number) => {
      const net = createNetwork(tinySpec('tft', { dropout: 0.2 }), 4);
      await trainNetwork(
        net,
        { train: synthProvider(128, 1), validation: synthProvider(64, 2) },
        { ...base, epochs: 2, seed },
      );
      const w = flat(net);
      net.dispose();
      return w;
    };
    const a = await run(9);
    expect(await run(9)).toEqual(a);
    expect(await run(10)).not.toEqual(a);
  });

  it('stops early, lowers the learning rate on a plateau and restores the best weights', async () => {
    const net = createNetwork(tinySpec('mlp', { dropout: 0 }), 3);
    // Validation disagrees with training: its loss gets worse as training proceeds.
    const data = { train: synthProvider(256, 1), validation: synthProvider(128, 2, true) };
    const r = await trainNetwork(net, data, { ...base, epochs: 30, patience: 3, lrPatience: 1 });
    expect(r.stopReason).toBe('early-stop');
    expect(r.epochsRun).toBe(r.bestEpoch + 3);
    expect(r.history.at(-1)!.valLoss).toBeGreaterThan(r.bestValLoss);
    expect(r.history.at(-1)!.learningRate).toBeLessThan(base.learningRate);
    expect(evaluateLoss(net, data.validation, 128, 1)).toBeCloseTo(r.bestValLoss, 4);
    net.dispose();
  });

  it('keeps steps bounded: huge inputs give huge raw gradients but finite, small weight moves', async () => {
    const net = createNetwork(tinySpec('mlp'), 3);
    const inner = synthProvider(128, 1);
    const huge: BatchProvider = {
      size: inner.size,
      fill(idx, x, yc, yr, w) {
        inner.fill(idx, x, yc, yr, w);
        for (let i = 0; i < idx.length * W * F; i++) x[i] *= 1e4;
      },
    };
    const before = flat(net);
    const norms: number[] = [];
    const r = await trainNetwork(
      net,
      { train: huge, validation: synthProvider(64, 2) },
      {
        ...base,
        epochs: 1,
        learningRate: 0.001,
        clipNorm: 0.5,
        onProgress: (p) => p.kind === 'step' && norms.push(p.gradNorm),
      },
    );
    expect(Math.max(...norms)).toBeGreaterThan(1000); // raw gradients were huge …
    const after = flat(net);
    expect(after.every(Number.isFinite)).toBe(true);
    // … but each Adam step moves a weight by at most ≈ lr (plus decay), so 2 steps move < 3·lr.
    const maxMove = Math.max(...after.map((v, i) => Math.abs(v - before[i])));
    expect(maxMove).toBeLessThan(3 * 0.001);
    expect(r.maxGradNorm).toBe(Math.max(...norms));
    net.dispose();
  });

  it('cancels via AbortSignal and reports progress with epoch, loss and ETA', async () => {
    const net = createNetwork(tinySpec('mlp'), 3);
    const ac = new AbortController();
    const seen: TrainProgress[] = [];
    const r = await trainNetwork(
      net,
      { train: synthProvider(512, 1), validation: synthProvider(64, 2) },
      {
        ...base,
        batchSize: 32,
        signal: ac.signal,
        onProgress: (p) => {
          seen.push(p);
          if (p.kind === 'epoch') ac.abort();
        },
      },
    );
    expect(r.stopReason).toBe('cancelled');
    expect(r.epochsRun).toBe(1);
    expect(r.steps).toBe(16);
    expect(seen.filter((p) => p.kind === 'step')).toHaveLength(16);
    const ep = seen.find((p) => p.kind === 'epoch')!;
    expect(ep).toMatchObject({ epoch: 1, epochs: 12, stepsPerEpoch: 16 });
    expect(Number.isFinite(ep.valLoss)).toBe(true);
    expect(seen[3].etaMs).toBeGreaterThanOrEqual(0);
    net.dispose();
  });

  it('cancels mid-epoch from a timer while training runs (the loop yields to the event loop)', async () => {
    const net = createNetwork(tinySpec('tft'), 3);
    const ac = new AbortController();
    let steps = 0;
    const p = trainNetwork(
      net,
      { train: synthProvider(4096, 1), validation: synthProvider(64, 2) },
      {
        ...base,
        batchSize: 16,
        signal: ac.signal,
        onProgress: (e) => {
          if (e.kind === 'step') steps++;
        },
      },
    );
    setTimeout(() => ac.abort(), 200);
    const r = await p;
    expect(r.stopReason).toBe('cancelled');
    expect(steps).toBeLessThan(256);
    expect(r.bestEpoch).toBe(0);
    net.dispose();
  });

  it('stops at the time budget (injected clock)', async () => {
    const net = createNetwork(tinySpec('mlp'), 3);
    const clock = new ManualClock(1_000_000);
    const r = await trainNetwork(
      net,
      { train: synthProvider(256, 1), validation: synthProvider(64, 2) },
      {
        ...base,
        batchSize: 32,
        maxMinutes: 2.5,
        clock,
        onProgress: (p) => p.kind === 'step' && clock.advance(60_000),
      },
    );
    expect(r.stopReason).toBe('time-budget');
    expect(r.steps).toBe(3);
    net.dispose();
  });

  it('refuses an empty validation set with a clear error', async () => {
    const net = createNetwork(tinySpec('mlp'), 3);
    const empty: BatchProvider = { size: 0, fill: () => undefined };
    await expect(trainNetwork(net, { train: synthProvider(64, 1), validation: empty }, base)).rejects.toThrow(
      /validation set is empty/,
    );
    net.dispose();
  });

  it('leaks no tensors over a training run', async () => {
    const net = createNetwork(tinySpec('tft'), 3);
    const before = tf.memory().numTensors;
    await trainNetwork(
      net,
      { train: synthProvider(64, 1), validation: synthProvider(32, 2) },
      { ...base, epochs: 2 },
    );
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });

  it('estimates the target scale as the std of forward returns', () => {
    const s = estimateTargetScale(synthProvider(2000, 1), W, F);
    // 0.01 × U(-1, 1) has std 0.01/√3 ≈ 0.00577; with the noise ≈ 0.0062.
    expect(s).toBeGreaterThan(0.0055);
    expect(s).toBeLessThan(0.0066);
  });
});
