import * as tf from '@tensorflow/tfjs';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { QuantgateError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { DropoutCtx } from './layers.ts';
import { pinballLoss, weightedCrossEntropy } from './losses.ts';
import type { Network } from './network.ts';
import { AdamW, clipByGlobalNorm } from './optimizer.ts';
import { createRng, deriveSeed, shuffleInPlace } from './rng.ts';

/**
 * One split of the data set. `fill` writes the samples at `indices` (0 ≤ i < size, in the given
 * order) into reusable buffers: x [k, window, features] normalised, yClass [k] (0 BUY, 1 SELL,
 * 2 HOLD), yRet [k] forward log return (raw, not scaled), w [k] sample weight. The buffers may be
 * longer than k. Train and validation are separate providers, so shuffling never crosses a split.
 */
export interface BatchProvider {
  readonly size: number;
  fill(indices: Int32Array, x: Float32Array, yClass: Int32Array, yRet: Float32Array, w: Float32Array): void;
}

export interface TrainData {
  readonly train: BatchProvider;
  /** Later in time than train; drives early stopping and the learning-rate schedule. */
  readonly validation: BatchProvider;
}

export interface TrainProgress {
  readonly kind: 'step' | 'epoch';
  /** 1-based. */
  readonly epoch: number;
  readonly epochs: number;
  /** 1-based within the epoch. */
  readonly step: number;
  readonly stepsPerEpoch: number;
  /** Step: this batch's loss; epoch: mean train loss of the epoch. */
  readonly loss: number;
  /** Epoch events only; null on step events. */
  readonly valLoss: number | null;
  readonly bestValLoss: number | null;
  readonly learningRate: number;
  readonly gradNorm: number;
  readonly elapsedMs: number;
  /** Estimated time left if all epochs run (capped by the time budget). */
  readonly etaMs: number;
}

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly clipNorm: number;
  readonly quantileLossWeight: number;
  /** Early stopping: epochs without validation improvement before stopping. */
  readonly patience: number;
  readonly maxMinutes: number;
  readonly seed: number;
  /** ReduceLROnPlateau: epochs without improvement before lr ← lr × lrFactor. Default max(1, ⌊patience/2⌋). */
  readonly lrPatience?: number;
  readonly lrFactor?: number;
  readonly minLearningRate?: number;
  /** Relative improvement needed to count as better (default 1e-4). */
  readonly minDelta?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export type StopReason = 'completed' | 'early-stop' | 'time-budget' | 'cancelled';

export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly valLoss: number;
  readonly learningRate: number;
}

export interface TrainResult {
  readonly stopReason: StopReason;
  readonly epochsRun: number;
  readonly steps: number;
  /** 0 when no epoch finished (e.g. cancelled early): the weights are then the initial ones. */
  readonly bestEpoch: number;
  readonly bestValLoss: number;
  readonly history: readonly EpochRecord[];
  readonly maxGradNorm: number;
  readonly elapsedMs: number;
}

/** Reusable host buffers for one batch. */
interface Buffers {
  x: Float32Array;
  yClass: Int32Array;
  yRet: Float32Array;
  w: Float32Array;
}

function allocBuffers(batch: number, per: number): Buffers {
  return {
    x: new Float32Array(batch * per),
    yClass: new Int32Array(batch),
    yRet: new Float32Array(batch),
    w: new Float32Array(batch),
  };
}

/** Batch tensors from the first k samples of the buffers; yRet is divided by the network's target scale. */
function toTensors(net: Network, b: Buffers, k: number) {
  const { window, features, targetScale } = net.spec;
  const yScaled = new Float32Array(k);
  for (let i = 0; i < k; i++) yScaled[i] = b.yRet[i] / targetScale;
  return {
    x: tf.tensor3d(b.x.subarray(0, k * window * features), [k, window, features]),
    yClass: tf.tensor1d(b.yClass.subarray(0, k), 'int32'),
    yRet: tf.tensor1d(yScaled),
    w: tf.tensor1d(b.w.subarray(0, k)),
  };
}

function checkProvider(p: BatchProvider, name: string): void {
  if (!Number.isInteger(p.size) || p.size < 1)
    throw new QuantgateError(
      'INSUFFICIENT_HISTORY',
      `train-loop: the ${name} set is empty (size ${p.size}); need ≥ 1 sample`,
    );
}

/**
 * The training loss on a fixed, un-dropped-out pass: Σw·CE/Σw + λ·pinball, over the whole set.
 * The same formula as training, so early stopping compares like with like.
 */
export function evaluateLoss(
  net: Network,
  data: BatchProvider,
  batchSize: number,
  quantileLossWeight: number,
): number {
  checkProvider(data, 'evaluation');
  const per = net.spec.window * net.spec.features;
  const b = allocBuffers(batchSize, per);
  const idx = new Int32Array(batchSize);
  let wce = 0;
  let wsum = 0;
  let pin = 0;
  for (let s = 0; s < data.size; s += batchSize) {
    const k = Math.min(batchSize, data.size - s);
    for (let i = 0; i < k; i++) idx[i] = s + i;
    data.fill(idx.subarray(0, k), b.x, b.yClass, b.yRet, b.w);
    const [a, ws, p] = tf.tidy(() => {
      const t = toTensors(net, b, k);
      const out = net.forward(t.x, null, true);
      const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(t.yClass, 3), tf.logSoftmax(out.logits, -1)), -1));
      return [
        tf.sum(tf.mul(ce, t.w)).dataSync()[0],
        tf.sum(t.w).dataSync()[0],
        pinballLoss(out.quantiles, t.yRet).dataSync()[0] * k,
      ];
    });
    wce += a;
    wsum += ws;
    pin += p;
  }
  return wce / Math.max(wsum, 1e-8) + quantileLossWeight * (pin / data.size);
}

/** Std of the forward returns of a provider (for NetworkSpec.targetScale); floor 1e-6. */
export function estimateTargetScale(
  data: BatchProvider,
  window: number,
  features: number,
  chunk = 256,
): number {
  checkProvider(data, 'training');
  const b = allocBuffers(chunk, window * features);
  const idx = new Int32Array(chunk);
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let s = 0; s < data.size; s += chunk) {
    const k = Math.min(chunk, data.size - s);
    for (let i = 0; i < k; i++) idx[i] = s + i;
    data.fill(idx.subarray(0, k), b.x, b.yClass, b.yRet, b.w);
    for (let i = 0; i < k; i++) {
      const y = b.yRet[i];
      if (!Number.isFinite(y)) continue;
      n++;
      const d = y - mean;
      mean += d / n;
      m2 += d * (y - mean);
    }
  }
  return Math.max(1e-6, n > 1 ? Math.sqrt(m2 / (n - 1)) : 1);
}

function snapshot(net: Network): tf.Tensor[] {
  return net.weights.map((w) => tf.keep(w.variable.clone()));
}

function restore(net: Network, snap: readonly tf.Tensor[]): void {
  net.weights.forEach((w, i) => w.variable.assign(snap[i]));
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Trains `net` in place: AdamW, global-norm clipping, weighted CE + λ·pinball, ReduceLROnPlateau,
 * early stopping with best-weights restore, seeded shuffling and dropout (same seed + same data →
 * same weights), a time budget and cancellation. On any stop reason the network ends with the best
 * validated weights seen (the initial weights if no epoch finished). Yields to the event loop after
 * every step so an AbortSignal can fire; still, run it in a worker thread in a live process.
 */
export async function trainNetwork(net: Network, data: TrainData, opts: TrainOptions): Promise<TrainResult> {
  checkProvider(data.train, 'training');
  checkProvider(data.validation, 'validation');
  const clock = opts.clock ?? systemClock;
  const start = clock.now();
  const budgetMs = opts.maxMinutes * 60_000;
  const lrPatience = opts.lrPatience ?? Math.max(1, Math.floor(opts.patience / 2));
  const lrFactor = opts.lrFactor ?? 0.5;
  const minLr = opts.minLearningRate ?? opts.learningRate * 1e-3;
  const minDelta = opts.minDelta ?? 1e-4;
  const bs = opts.batchSize;
  const per = net.spec.window * net.spec.features;
  const rng = createRng(opts.seed);
  const vars = net.weights.map((w) => w.variable);
  const opt = new AdamW(net.weights, { weightDecay: opts.weightDecay });
  const buf = allocBuffers(bs, per);
  const order = new Int32Array(data.train.size);
  const stepsPerEpoch = Math.ceil(data.train.size / bs);
  const totalSteps = stepsPerEpoch * opts.epochs;

  let lr = opts.learningRate;
  let best: tf.Tensor[] | null = null;
  let bestVal = Infinity;
  let bestEpoch = 0;
  let sinceBest = 0;
  let sinceLrDrop = 0;
  let steps = 0;
  let maxGradNorm = 0;
  let stopReason: StopReason = 'completed';
  const history: EpochRecord[] = [];
  const elapsed = () => clock.now() - start;
  const eta = () => {
    const left = steps > 0 ? (elapsed() / steps) * (totalSteps - steps) : 0;
    return Math.max(0, Math.min(left, budgetMs - elapsed()));
  };
  const stopNow = (): StopReason | null => {
    if (opts.signal?.aborted) return 'cancelled';
    if (elapsed() >= budgetMs) return 'time-budget';
    return null;
  };

  try {
    epochs: for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      shuffleInPlace(order, rng);
      let lossSum = 0;
      let lossN = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const k = Math.min(bs, order.length - s * bs);
        data.train.fill(order.subarray(s * bs, s * bs + k), buf.x, buf.yClass, buf.yRet, buf.w);
        const drop: DropoutCtx | null =
          net.spec.dropout > 0 ? { rate: net.spec.dropout, seed: dropoutSeeds(opts.seed, steps) } : null;
        const t = toTensors(net, buf, k);
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const out = net.forward(t.x, drop);
              const ce = weightedCrossEntropy(out.logits, t.yClass, t.w);
              return tf.add(
                ce,
                tf.mul(pinballLoss(out.quantiles, t.yRet), opts.quantileLossWeight),
              ) as tf.Scalar;
            }),
          vars,
        );
        const loss = value.dataSync()[0];
        const clipped = clipByGlobalNorm(
          vars.map((v) => grads[v.name]),
          opts.clipNorm,
        );
        if (Number.isFinite(loss) && Number.isFinite(clipped.norm)) opt.step(clipped.grads, lr);
        else
          opts.logger?.warn(
            { epoch, step: s + 1, loss, gradNorm: clipped.norm },
            'train-loop: non-finite loss or gradient, step skipped',
          );
        tf.dispose([value, ...Object.values(grads), ...clipped.grads, t.x, t.yClass, t.yRet, t.w]);
        steps++;
        maxGradNorm = Math.max(maxGradNorm, Number.isFinite(clipped.norm) ? clipped.norm : 0);
        if (Number.isFinite(loss)) {
          lossSum += loss;
          lossN++;
        }
        opts.onProgress?.({
          kind: 'step',
          epoch,
          epochs: opts.epochs,
          step: s + 1,
          stepsPerEpoch,
          loss,
          valLoss: null,
          bestValLoss: Number.isFinite(bestVal) ? bestVal : null,
          learningRate: lr,
          gradNorm: clipped.norm,
          elapsedMs: elapsed(),
          etaMs: eta(),
        });
        await yieldToEventLoop();
        const stop = stopNow();
        if (stop) {
          stopReason = stop;
          break epochs;
        }
      }
      const valLoss = evaluateLoss(net, data.validation, Math.max(bs, 256), opts.quantileLossWeight);
      const trainLoss = lossN > 0 ? lossSum / lossN : NaN;
      history.push({ epoch, loss: trainLoss, valLoss, learningRate: lr });
      if (
        Number.isFinite(valLoss) &&
        valLoss < bestVal - minDelta * Math.abs(bestVal === Infinity ? 0 : bestVal)
      ) {
        bestVal = valLoss;
        bestEpoch = epoch;
        sinceBest = 0;
        sinceLrDrop = 0;
        if (best) tf.dispose(best);
        best = snapshot(net);
      } else {
        sinceBest++;
        sinceLrDrop++;
        if (sinceLrDrop >= lrPatience && lr > minLr) {
          lr = Math.max(minLr, lr * lrFactor);
          sinceLrDrop = 0;
          opts.logger?.info(
            { epoch, learningRate: lr },
            'train-loop: validation loss plateaued, learning rate reduced',
          );
        }
      }
      opts.onProgress?.({
        kind: 'epoch',
        epoch,
        epochs: opts.epochs,
        step: stepsPerEpoch,
        stepsPerEpoch,
        loss: trainLoss,
        valLoss,
        bestValLoss: Number.isFinite(bestVal) ? bestVal : null,
        learningRate: lr,
        gradNorm: maxGradNorm,
        elapsedMs: elapsed(),
        etaMs: eta(),
      });
      if (sinceBest >= opts.patience) {
        stopReason = 'early-stop';
        break;
      }
      await yieldToEventLoop();
      const stop = stopNow();
      if (stop) {
        stopReason = stop;
        break;
      }
    }
    if (best) restore(net, best);
  } finally {
    if (best) tf.dispose(best);
    opt.dispose();
  }
  const result: TrainResult = {
    stopReason,
    epochsRun: history.length,
    steps,
    bestEpoch,
    bestValLoss: bestVal,
    history,
    maxGradNorm,
    elapsedMs: elapsed(),
  };
  opts.logger?.info({ ...result, history: undefined }, `train-loop: stopped (${stopReason})`);
  return result;
}

/** A fresh deterministic seed for each dropout mask of a step. */
function dropoutSeeds(base: number, step: number): () => number {
  let n = 0;
  return () => deriveSeed(base, step * 64 + n++);
}
