import type { FeaturesConfig, ModelConfig } from '../config/index.ts';
import { describeError } from '../core/errors.ts';
import type { ModelTimeframe } from '../core/types.ts';
import type { LabelParams, SampleRef } from '../features/index.ts';
import { loadArtifact } from './artifact.ts';
import type { LoadedArtifact } from './artifact.ts';
import type { NormalisationParams } from './normaliser.ts';
import { isNormalisationParams } from './normaliser.ts';
import { createRng, shuffleInPlace } from './rng.ts';
import type { VolatilitySource } from './vol-scale.ts';
import { sameVolatilitySource } from './vol-scale.ts';

/**
 * What a training records about where its weights came from (metrics.json `warmStart`, the
 * training result, the registry). `depth` counts warm starts since the last from-scratch training:
 * 0 for a scratch model, parent's depth + 1 for a warm-started one.
 */
export interface WarmStartRecord {
  /** The parent version the training was offered (the model it replaces), null if none. */
  readonly parent: string | null;
  /** True when the weights started from the parent's; false = trained from scratch. */
  readonly used: boolean;
  /** Why it was (not) used, one line. */
  readonly reason: string;
  readonly depth: number;
  /** Samples of the fine-tuning set: new (after the parent's training window) and replayed older ones. */
  readonly newSamples: number;
  readonly replaySamples: number;
}

export type WarmStartPlan =
  | {
      readonly ok: true;
      readonly parent: LoadedArtifact;
      readonly normalisation: NormalisationParams;
      readonly depth: number;
    }
  | { readonly ok: false; readonly parent: string | null; readonly reason: string };

export interface WarmStartContext {
  readonly timeframe: ModelTimeframe;
  readonly horizon: number;
  readonly model: ModelConfig;
  readonly features: FeaturesConfig;
  readonly labels: LabelParams;
  /** Feature names the new training's series carry. */
  readonly featureNames: readonly string[];
  /** The σ the new training scales its quantile targets by (model.targetScaling); undefined = none. */
  readonly targetScaling?: VolatilitySource;
}

function depthOf(metrics: unknown): number {
  const ws = (metrics as { warmStart?: { depth?: unknown } } | null)?.warmStart;
  return typeof ws?.depth === 'number' && Number.isInteger(ws.depth) && ws.depth >= 0 ? ws.depth : 0;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Whether a training may start from `parentDir`'s weights, and if not, why. Warm start is refused
 * (the caller trains from scratch) when it is off, when the chain is due for its periodic full
 * retrain, when the parent cannot be read or verified, or when anything the weights were fitted
 * against differs: timeframe, horizon, feature list or feature/label settings, or the topology.
 */
export async function planWarmStart(parentDir: string | null, c: WarmStartContext): Promise<WarmStartPlan> {
  const ws = c.model.warmStart;
  if (parentDir === null) return { ok: false, parent: null, reason: 'no parent model' };
  if (!ws.enabled) return { ok: false, parent: null, reason: 'model.warmStart.enabled is false' };
  let a: LoadedArtifact;
  try {
    a = await loadArtifact(parentDir, { timeframe: c.timeframe, horizon: c.horizon });
  } catch (e) {
    return { ok: false, parent: null, reason: `parent unusable: ${describeError(e)}` };
  }
  const parent = a.model.version;
  const no = (reason: string): WarmStartPlan => ({ ok: false, parent, reason });
  const depth = depthOf(a.metrics) + 1;
  if (depth >= ws.fullRetrainEvery)
    return no(`full retrain due (model.warmStart.fullRetrainEvery ${ws.fullRetrainEvery})`);
  const have = a.model.featureNames;
  if (!same(have, c.featureNames)) {
    const want = c.featureNames;
    const i = want.findIndex((f, k) => have[k] !== f);
    const at = i >= 0 ? i : Math.min(have.length, want.length);
    return no(
      `feature list differs: parent has ${have.length} features, config ${want.length}; first difference at #${at}: parent "${have[at] ?? '(none)'}" vs config "${want[at] ?? '(none)'}"`,
    );
  }
  const meta = a.metrics as { features?: unknown; labels?: unknown } | null;
  if (!same(meta?.features, c.features)) return no('feature settings (features.*) differ from the parent');
  if (!same(meta?.labels, c.labels)) return no('label settings (labels.*) differ from the parent');
  const s = a.model.spec;
  for (const k of ['architecture', 'window', 'hidden', 'heads', 'dropout'] as const)
    if (s[k] !== c.model[k]) return no(`architecture differs: parent ${k} ${s[k]}, config ${c.model[k]}`);
  // Its weights predict returns in the parent's target units: fine-tuning them in others would not converge to either.
  if (!sameVolatilitySource(s.targetScaling, c.targetScaling))
    return no(
      `quantile target scaling differs (model.targetScaling): parent ${JSON.stringify(s.targetScaling ?? 'none')}, config ${JSON.stringify(c.targetScaling ?? 'none')}`,
    );
  if (!isNormalisationParams(a.normalisation))
    return no('parent normalisation.json has no z-score statistics');
  return { ok: true, parent: a, normalisation: a.normalisation, depth };
}

/**
 * The fine-tuning set: the training samples issued after the parent's last training sample
 * (`parentTo`), plus a seeded random replay of older ones so that the replay is `replayShare` of
 * the whole set (against forgetting). Over `max`, the newest new samples and a smaller replay are
 * kept in the same proportion. In time order; the training loop shuffles.
 */
export function fineTuneSet(
  train: readonly SampleRef[],
  parentTo: number,
  replayShare: number,
  seed: number,
  max = Infinity,
): { samples: SampleRef[]; fresh: number; replay: number } {
  const byTime = [...train].sort((a, b) => a.time - b.time || a.series - b.series);
  let fresh = byTime.filter((r) => r.time > parentTo);
  const old = byTime.filter((r) => r.time <= parentTo);
  const share = Math.min(replayShare, 0.95);
  if (fresh.length > max) fresh = fresh.slice(fresh.length - Math.round(max * (1 - share)));
  const want = Math.round((fresh.length * share) / (1 - share));
  const k = Math.min(old.length, want, Math.max(0, max - fresh.length));
  const idx = Int32Array.from(old.keys());
  shuffleInPlace(idx, createRng(seed));
  const replay = Array.from(idx.subarray(0, k), (i) => old[i]);
  const samples = [...replay, ...fresh].sort((a, b) => a.time - b.time || a.series - b.series);
  return { samples, fresh: fresh.length, replay: k };
}
