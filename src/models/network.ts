import * as tf from '@tensorflow/tfjs';
import { QuantgateError } from '../core/errors.ts';
import type { ModelConfig } from '../config/index.ts';
import { ParamBuilder } from './params.ts';
import { createRng } from './rng.ts';
import { buildTft } from './tft.ts';
import { buildMlp } from './mlp.ts';
import type { Network, NetworkSpec } from './network-types.ts';
import type { VolatilitySource } from './vol-scale.ts';
import { isVolatilitySource } from './vol-scale.ts';

export type { Network, NetworkArchitecture, NetworkOutput, NetworkSpec } from './network-types.ts';

/**
 * How many trailing rows of an input window the network's forward pass reads: the MLP only the
 * last, the TFT all of them. Inference normalises and uploads just these rows (the MLP's output
 * depends on nothing else, so its forecasts are the same bit for bit, at 1/window of the work).
 */
export function inputSteps(spec: NetworkSpec): number {
  return spec.architecture === 'mlp' ? 1 : spec.window;
}

/** The topology from the model config (architecture `rolling-quantile` is not a network). */
export function networkSpecFromConfig(
  cfg: ModelConfig,
  features: number,
  targetScale: number,
  targetScaling?: VolatilitySource,
): NetworkSpec {
  if (cfg.architecture === 'rolling-quantile')
    throw new QuantgateError(
      'CONFIG_INVALID',
      'model.architecture: rolling-quantile is not a network (no weights to train)',
    );
  return {
    architecture: cfg.architecture,
    window: cfg.window,
    features,
    hidden: cfg.hidden,
    heads: cfg.heads,
    dropout: cfg.dropout,
    targetScale,
    ...(targetScaling ? { targetScaling } : {}),
  };
}

export function validateSpec(spec: NetworkSpec, where = 'network spec'): void {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new QuantgateError(
      'MODEL_INVALID',
      `${where}: ${field} must be ${expected}, got ${JSON.stringify(got)}`,
    );
  };
  if (spec.architecture !== 'tft' && spec.architecture !== 'mlp')
    bad('architecture', '"tft" or "mlp"', spec.architecture);
  for (const k of ['window', 'features', 'hidden', 'heads'] as const)
    if (!Number.isInteger(spec[k]) || spec[k] < 1) bad(k, 'a positive integer', spec[k]);
  if (!(spec.dropout >= 0 && spec.dropout < 1)) bad('dropout', 'in [0, 1)', spec.dropout);
  if (!(Number.isFinite(spec.targetScale) && spec.targetScale > 0))
    bad('targetScale', 'a positive number', spec.targetScale);
  if (spec.targetScaling !== undefined && !isVolatilitySource(spec.targetScaling))
    bad('targetScaling', '{"scaleFeature": string} or {"logScaleFeatures": [string, …]}', spec.targetScaling);
  if (spec.architecture === 'tft' && spec.hidden % spec.heads !== 0)
    bad('hidden', `a multiple of heads (${spec.heads})`, spec.hidden);
}

/** A freshly initialised network; same spec + seed → same initial weights. */
export function createNetwork(spec: NetworkSpec, seed: number): Network {
  validateSpec(spec);
  const params = new ParamBuilder(createRng(seed));
  const forward = spec.architecture === 'tft' ? buildTft(params, spec) : buildMlp(params, spec);
  const weights = params.weights;
  return {
    spec,
    weights,
    forward,
    dispose: () => {
      for (const w of weights) w.variable.dispose();
    },
  };
}

export function parameterCount(net: Network): number {
  return net.weights.reduce((s, w) => s + w.variable.size, 0);
}

export interface RawPredictions {
  /** n × 3 softmax probabilities (BUY, SELL, HOLD), no temperature. */
  readonly probs: Float32Array;
  /** n × 3 logits. */
  readonly logits: Float32Array;
  /** n × 3 (q10, q50, q90) of the forward log return, uncalibrated. */
  readonly quantiles: Float32Array;
}

/**
 * Inference over n already-normalised windows (row-major n × window × features), in chunks,
 * each inside tf.tidy so nothing leaks. For bulk evaluation and calibration fitting. Refuses a
 * volatility-scaled network: normalised inputs no longer hold the raw σ its outputs need
 * (NetworkForecaster serves those), and unscaled quantiles would be silently wrong.
 */
export function predictArrays(net: Network, x: Float32Array, n: number, chunk = 512): RawPredictions {
  const { window, features, targetScale } = net.spec;
  if (net.spec.targetScaling !== undefined)
    throw new QuantgateError(
      'MODEL_INVALID',
      'predictArrays: this network predicts volatility-scaled returns (spec.targetScaling); serve it through NetworkForecaster, which multiplies σ back',
    );
  const per = window * features;
  if (x.length < n * per)
    throw new QuantgateError(
      'DATA_INVALID',
      `predictArrays: expected ${n}×${window}×${features} values, got ${x.length}`,
    );
  const logits = new Float32Array(n * 3);
  const quantiles = new Float32Array(n * 3);
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const [l, q] = tf.tidy(() => {
      const out = net.forward(
        tf.tensor3d(x.subarray(s * per, (s + m) * per), [m, window, features]),
        null,
        true,
      );
      return [out.logits.dataSync(), out.quantiles.dataSync()];
    });
    logits.set(l, s * 3);
    for (let i = 0; i < m * 3; i++) quantiles[s * 3 + i] = q[i] * targetScale;
  }
  return { logits, probs: softmaxRows(logits, 1), quantiles };
}

/** Row-wise softmax of n × 3 logits divided by a temperature. */
export function softmaxRows(logits: Float32Array, temperature: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i += 3) {
    const a = logits[i] / temperature;
    const b = logits[i + 1] / temperature;
    const c = logits[i + 2] / temperature;
    const m = Math.max(a, b, c);
    const ea = Math.exp(a - m);
    const eb = Math.exp(b - m);
    const ec = Math.exp(c - m);
    const s = ea + eb + ec;
    out[i] = ea / s;
    out[i + 1] = eb / s;
    out[i + 2] = ec / s;
  }
  return out;
}
