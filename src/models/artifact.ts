import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { removeTree, renamePath, syncDirectory, writeFailed, writeFileSynced } from '../core/atomic-file.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import type { Timeframe } from '../core/types.ts';
import { isTimeframe } from '../core/types.ts';
import type { CalibrationParams } from './calibration-types.ts';
import type { Network, NetworkSpec } from './network.ts';
import { createNetwork, validateSpec } from './network.ts';
import { NetworkForecaster } from './network-forecaster.ts';
import type { FeatureNormaliser } from './normaliser.ts';
import { isNormalisationParams, zScoreNormaliser } from './normaliser.ts';
import { volatilityColumns } from './vol-scale.ts';

/**
 * One model version on disk, a directory:
 *   model.json          topology (NetworkSpec), feature list, timeframe, horizon, seed, training
 *                       window, and the weight table (name, shape, offset) into weights.bin
 *   weights.bin         float32 little-endian, weights concatenated in table order
 *   normalisation.json  calibration.json  metrics.json   (blobs from the training pipeline)
 *   manifest.json       SHA-256 and byte size of every other file
 * Written into a temp dir next to the target, every file fsynced, then renamed into place, so a
 * reader sees either no version or a complete one. We serialise our own variables rather than use
 * tf.io handlers: there is no file:// handler without tfjs-node, and our weights are plain named
 * Float32Arrays anyway.
 */

export const ARTIFACT_FORMAT = 'quantgate-model';
/**
 * 1: every model without volatility-scaled quantile targets (what builds before model.targetScaling
 * wrote and read). 2: spec.targetScaling is set — written only then, so an older build, which would
 * ignore the field and serve σ-units as returns, refuses the model instead of mis-serving it.
 */
export const ARTIFACT_FORMAT_VERSION = 1;
export const ARTIFACT_FORMAT_VERSION_SCALED = 2;
const FILES = [
  'model.json',
  'weights.bin',
  'normalisation.json',
  'calibration.json',
  'metrics.json',
] as const;
type ArtifactFile = (typeof FILES)[number];

export interface TrainingWindow {
  /** Open time of the first training candle, ms UTC. */
  readonly from: number;
  /** Open time of the last training candle, ms UTC. */
  readonly to: number;
  readonly symbols: readonly string[];
}

/** What the training pipeline hands over besides the network. */
export interface ArtifactMeta {
  readonly version: string;
  readonly timeframe: Timeframe;
  readonly horizon: number;
  readonly featureNames: readonly string[];
  readonly seed: number;
  readonly trainingWindow: TrainingWindow;
  /** Opaque JSON: stored, checksummed and handed back as is. */
  readonly normalisation: unknown;
  readonly calibration: CalibrationParams;
  /** Opaque JSON. */
  readonly metrics: unknown;
}

export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** Offset in float32 elements into weights.bin. */
  readonly offset: number;
}

export interface ModelFile {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly formatVersion: number;
  readonly version: string;
  readonly timeframe: Timeframe;
  readonly horizon: number;
  readonly spec: NetworkSpec;
  readonly featureNames: readonly string[];
  readonly seed: number;
  readonly trainingWindow: TrainingWindow;
  readonly createdAt: number;
  readonly weights: readonly WeightEntry[];
}

export interface Manifest {
  readonly format: 'quantgate-manifest';
  readonly formatVersion: number;
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>;
}

export interface LoadedArtifact {
  readonly dir: string;
  readonly model: ModelFile;
  readonly weights: ReadonlyMap<string, Float32Array>;
  readonly normalisation: unknown;
  readonly calibration: CalibrationParams;
  readonly metrics: unknown;
}

/** What the running config expects; any difference is MODEL_INVALID. */
export interface ArtifactExpectations {
  readonly featureNames?: readonly string[];
  readonly timeframe?: Timeframe;
  readonly horizon?: number;
}

/** Why a model was rejected (details.reason of the MODEL_INVALID error), for tests and alerts. */
export type InvalidReason =
  | 'manifest'
  | 'truncated'
  | 'size'
  | 'checksum'
  | 'format'
  | 'topology'
  | 'weights'
  | 'features'
  | 'timeframe'
  | 'horizon'
  | 'calibration';

function invalid(dir: string, file: string, reason: InvalidReason, what: string): QuantgateError {
  return new QuantgateError('MODEL_INVALID', `model ${join(dir, file)}: ${what}`, {
    file: join(dir, file),
    reason,
  });
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function weightsBytes(net: Network): { table: WeightEntry[]; bytes: Uint8Array } {
  const table: WeightEntry[] = [];
  let offset = 0;
  for (const w of net.weights) {
    table.push({ name: w.name, shape: [...w.variable.shape], offset });
    offset += w.variable.size;
  }
  const all = new Float32Array(offset);
  net.weights.forEach((w, i) => all.set(w.variable.dataSync() as Float32Array, table[i].offset));
  // Float32Array is host-endian; the format is little-endian. Convert explicitly on big-endian hosts.
  const dv = new DataView(new ArrayBuffer(all.length * 4));
  for (let i = 0; i < all.length; i++) dv.setFloat32(i * 4, all[i], true);
  return { table, bytes: new Uint8Array(dv.buffer) };
}

const json = (v: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);

/**
 * Saves `net` with its metadata as a new version directory `dir` (which must not exist yet).
 * Returns the manifest written.
 */
export async function saveArtifact(
  dir: string,
  net: Network,
  meta: ArtifactMeta,
  clock: Clock = systemClock,
): Promise<Manifest> {
  if (meta.featureNames.length !== net.spec.features)
    throw new QuantgateError(
      'MODEL_INVALID',
      `saveArtifact ${dir}: ${meta.featureNames.length} feature names for a network of ${net.spec.features} features`,
    );
  if (await exists(dir))
    throw new QuantgateError(
      'MODEL_INVALID',
      `saveArtifact: ${dir} already exists (a version directory is written once)`,
    );
  const { table, bytes } = weightsBytes(net);
  const model: ModelFile = {
    format: ARTIFACT_FORMAT,
    formatVersion: net.spec.targetScaling ? ARTIFACT_FORMAT_VERSION_SCALED : ARTIFACT_FORMAT_VERSION,
    version: meta.version,
    timeframe: meta.timeframe,
    horizon: meta.horizon,
    spec: net.spec,
    featureNames: [...meta.featureNames],
    seed: meta.seed,
    trainingWindow: meta.trainingWindow,
    createdAt: clock.now(),
    weights: table,
  };
  const contents: Record<ArtifactFile, Uint8Array> = {
    'model.json': json(model),
    'weights.bin': bytes,
    'normalisation.json': json(meta.normalisation ?? null),
    'calibration.json': json(meta.calibration),
    'metrics.json': json(meta.metrics ?? null),
  };
  const manifest: Manifest = {
    format: 'quantgate-manifest',
    formatVersion: 1,
    files: Object.fromEntries(
      FILES.map((f) => [f, { sha256: sha256(contents[f]), bytes: contents[f].length }]),
    ),
  };
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true }).catch((e: unknown) => {
    throw writeFailed(dir, e, 'no model version was saved');
  });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(tmp);
    // Every byte checked and fsynced through core/atomic-file.ts (a full disk fails here, never
    // after the rename): the version appears complete or not at all.
    for (const f of FILES) writeFileSynced(join(tmp, f), contents[f]);
    // The manifest last: its presence means every file before it is complete.
    writeFileSynced(join(tmp, 'manifest.json'), json(manifest));
    syncDirectory(tmp);
    renamePath(tmp, dir);
  } catch (e) {
    removeTree(tmp);
    if (e instanceof QuantgateError) throw e;
    throw writeFailed(dir, e, 'no model version was saved');
  }
  try {
    syncDirectory(parent);
  } catch (e) {
    throw writeFailed(dir, e, 'the version is in place but its directory entry may not be durable');
  }
  return manifest;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function parseJson(dir: string, file: string, buf: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf));
  } catch (e) {
    throw invalid(dir, file, 'format', `not valid JSON (${describeError(e)})`);
  }
}

async function readManifest(dir: string): Promise<Manifest> {
  let buf: Uint8Array;
  try {
    buf = await readFile(join(dir, 'manifest.json'));
  } catch {
    throw invalid(dir, 'manifest.json', 'manifest', 'missing (an incomplete or foreign model directory)');
  }
  const m = parseJson(dir, 'manifest.json', buf) as Partial<Manifest> | null;
  if (!m || m.format !== 'quantgate-manifest' || typeof m.files !== 'object' || m.files === null)
    throw invalid(dir, 'manifest.json', 'manifest', 'expected {"format":"quantgate-manifest","files":{...}}');
  for (const f of FILES) {
    const e = m.files[f];
    if (!e || typeof e.sha256 !== 'string' || !Number.isInteger(e.bytes))
      throw invalid(
        dir,
        'manifest.json',
        'manifest',
        `no checksum entry for ${f} (expected {sha256, bytes})`,
      );
  }
  return m as Manifest;
}

/** Reads and verifies every file listed in the manifest against its size and SHA-256. */
async function readVerified(dir: string, manifest: Manifest): Promise<Record<ArtifactFile, Uint8Array>> {
  const out = {} as Record<ArtifactFile, Uint8Array>;
  for (const f of FILES) {
    const want = manifest.files[f];
    let buf: Uint8Array;
    try {
      buf = await readFile(join(dir, f));
    } catch {
      throw invalid(dir, f, 'manifest', 'listed in manifest.json but missing');
    }
    if (buf.length < want.bytes)
      throw invalid(dir, f, 'truncated', `truncated: ${buf.length} bytes, manifest.json says ${want.bytes}`);
    if (buf.length > want.bytes)
      throw invalid(
        dir,
        f,
        'size',
        `${buf.length} bytes, manifest.json says ${want.bytes} (file was modified)`,
      );
    const got = sha256(buf);
    if (got !== want.sha256)
      throw invalid(
        dir,
        f,
        'checksum',
        `SHA-256 ${got.slice(0, 12)}… does not match manifest.json (${want.sha256.slice(0, 12)}…): the file is corrupt`,
      );
    out[f] = buf;
  }
  return out;
}

function checkModelFile(dir: string, m: Partial<ModelFile> | null): ModelFile {
  const bad = (what: string): never => {
    throw invalid(dir, 'model.json', 'format', what);
  };
  if (!m || m.format !== ARTIFACT_FORMAT) bad(`expected "format": "${ARTIFACT_FORMAT}"`);
  const mm = m as ModelFile;
  if (mm.formatVersion !== ARTIFACT_FORMAT_VERSION && mm.formatVersion !== ARTIFACT_FORMAT_VERSION_SCALED)
    bad(
      `formatVersion ${mm.formatVersion} is not supported (this build reads ${ARTIFACT_FORMAT_VERSION} and ${ARTIFACT_FORMAT_VERSION_SCALED})`,
    );
  if (typeof mm.version !== 'string' || !mm.version) bad('version must be a non-empty string');
  if (typeof mm.timeframe !== 'string' || !isTimeframe(mm.timeframe))
    bad(`unknown timeframe ${JSON.stringify(mm.timeframe)}`);
  if (!Number.isInteger(mm.horizon) || mm.horizon < 1) bad('horizon must be a positive integer');
  if (!Array.isArray(mm.featureNames) || !mm.featureNames.every((n) => typeof n === 'string'))
    bad('featureNames must be an array of strings');
  if (!Array.isArray(mm.weights)) bad('weights must be an array');
  if (!mm.spec || typeof mm.spec !== 'object') bad('spec missing');
  try {
    validateSpec(mm.spec, `model ${join(dir, 'model.json')} spec`);
  } catch (e) {
    throw invalid(dir, 'model.json', 'topology', describeError(e));
  }
  if (mm.featureNames.length !== mm.spec.features)
    throw invalid(
      dir,
      'model.json',
      'topology',
      `${mm.featureNames.length} feature names but spec.features = ${mm.spec.features}`,
    );
  // Missing spec.targetScaling = none (format 1); format 2 must carry it, naming real features.
  const scaled = mm.spec.targetScaling !== undefined;
  if (scaled !== (mm.formatVersion === ARTIFACT_FORMAT_VERSION_SCALED))
    bad(
      scaled
        ? `spec.targetScaling is set but formatVersion is ${mm.formatVersion} (a volatility-scaled model is format ${ARTIFACT_FORMAT_VERSION_SCALED})`
        : `formatVersion ${ARTIFACT_FORMAT_VERSION_SCALED} needs spec.targetScaling (the σ its quantiles are scaled by)`,
    );
  try {
    volatilityColumns(mm.spec.targetScaling, mm.featureNames, 'spec.targetScaling');
  } catch (e) {
    throw invalid(dir, 'model.json', 'topology', describeError(e));
  }
  return mm;
}

function checkCalibration(dir: string, c: unknown): CalibrationParams {
  const o = c as CalibrationParams | null;
  const ok =
    !!o &&
    typeof o.temperature === 'number' &&
    o.temperature > 0 &&
    !!o.qOffsets &&
    [o.qOffsets.q10, o.qOffsets.q50, o.qOffsets.q90].every(
      (v) => typeof v === 'number' && Number.isFinite(v),
    ) &&
    (o.scaleFeature === undefined || typeof o.scaleFeature === 'string') &&
    (o.logScaleFeatures === undefined ||
      (Array.isArray(o.logScaleFeatures) && o.logScaleFeatures.every((n) => typeof n === 'string')));
  if (!ok)
    throw invalid(
      dir,
      'calibration.json',
      'calibration',
      'expected {"temperature": >0, "qOffsets": {"q10","q50","q90": numbers}, "scaleFeature"?: string, "logScaleFeatures"?: string[]}',
    );
  return o;
}

function decodeWeights(dir: string, model: ModelFile, bytes: Uint8Array): Map<string, Float32Array> {
  const n = bytes.length / 4;
  const total = model.weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  if (!Number.isInteger(n) || n !== total)
    throw invalid(
      dir,
      'weights.bin',
      'weights',
      `${bytes.length} bytes, the weight table in model.json needs ${total} float32 values (${total * 4} bytes)`,
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, Float32Array>();
  for (const w of model.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(w.offset) || w.offset < 0 || w.offset + size > n)
      throw invalid(
        dir,
        'model.json',
        'weights',
        `weight ${w.name} spans [${w.offset}, ${w.offset + size}) outside weights.bin (${n} values)`,
      );
    const a = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      a[i] = dv.getFloat32((w.offset + i) * 4, true);
      if (!Number.isFinite(a[i]))
        throw invalid(dir, 'weights.bin', 'weights', `weight ${w.name}[${i}] is ${a[i]} (not finite)`);
    }
    out.set(w.name, a);
  }
  return out;
}

function checkExpectations(dir: string, m: ModelFile, expect: ArtifactExpectations): void {
  if (expect.timeframe && m.timeframe !== expect.timeframe)
    throw invalid(
      dir,
      'model.json',
      'timeframe',
      `trained for timeframe ${m.timeframe}, loaded for ${expect.timeframe}`,
    );
  if (expect.horizon !== undefined && m.horizon !== expect.horizon)
    throw invalid(
      dir,
      'model.json',
      'horizon',
      `trained for a horizon of ${m.horizon} candles, the config says ${expect.horizon}`,
    );
  const want = expect.featureNames;
  if (want) {
    const have = m.featureNames;
    const i = want.findIndex((f, k) => have[k] !== f);
    if (have.length !== want.length || i >= 0) {
      const at = i >= 0 ? i : Math.min(have.length, want.length);
      throw invalid(
        dir,
        'model.json',
        'features',
        `feature list differs from the running config: model has ${have.length} features, config ${want.length}; first difference at #${at}: model "${have[at] ?? '(none)'}" vs config "${want[at] ?? '(none)'}". Retrain, or restore the feature settings it was trained with.`,
      );
    }
  }
}

/** Reads and verifies a version directory. Any problem → QuantgateError MODEL_INVALID naming the file and reason. */
export async function loadArtifact(dir: string, expect: ArtifactExpectations = {}): Promise<LoadedArtifact> {
  if (!(await exists(dir)))
    throw new QuantgateError('MODEL_MISSING', `model directory ${dir} does not exist`);
  const manifest = await readManifest(dir);
  const files = await readVerified(dir, manifest);
  const model = checkModelFile(dir, parseJson(dir, 'model.json', files['model.json']) as Partial<ModelFile>);
  const weights = decodeWeights(dir, model, files['weights.bin']);
  checkExpectations(dir, model, expect);
  return {
    dir,
    model,
    weights,
    normalisation: parseJson(dir, 'normalisation.json', files['normalisation.json']),
    calibration: checkCalibration(dir, parseJson(dir, 'calibration.json', files['calibration.json'])),
    metrics: parseJson(dir, 'metrics.json', files['metrics.json']),
  };
}

/** Rebuilds the network of a loaded artifact; its topology must match the stored weight table exactly. */
export function networkFromArtifact(a: LoadedArtifact): Network {
  const net = createNetwork(a.model.spec, a.model.seed);
  try {
    const names = net.weights.map((w) => w.name);
    const stored = a.model.weights.map((w) => w.name);
    if (names.length !== stored.length || names.some((n, i) => n !== stored[i]))
      throw invalid(
        a.dir,
        'model.json',
        'topology',
        `weight table [${stored.slice(0, 4).join(', ')}…] does not match the ${a.model.spec.architecture} topology [${names.slice(0, 4).join(', ')}…]`,
      );
    net.weights.forEach((w, i) => {
      const shape = a.model.weights[i].shape;
      if (shape.length !== w.variable.shape.length || shape.some((d, k) => d !== w.variable.shape[k]))
        throw invalid(
          a.dir,
          'model.json',
          'topology',
          `weight ${w.name} has shape [${shape.join(',')}], the topology needs [${w.variable.shape.join(',')}]`,
        );
      const data = a.weights.get(w.name) as Float32Array;
      const t = tf.tensor(data, w.variable.shape, 'float32');
      w.variable.assign(t);
      t.dispose();
    });
    return net;
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/**
 * Loads, verifies and wraps a version as a Forecaster. The normaliser comes from the stored
 * normalisation blob when it has the NormalisationParams shape, else it must be passed in.
 */
export async function loadForecaster(
  dir: string,
  expect: ArtifactExpectations = {},
  normaliser?: FeatureNormaliser,
): Promise<NetworkForecaster> {
  const a = await loadArtifact(dir, expect);
  let norm = normaliser;
  if (!norm) {
    if (!isNormalisationParams(a.normalisation))
      throw invalid(
        dir,
        'normalisation.json',
        'format',
        'expected {"featureNames":[...],"pooled":{"mean":[...],"std":[...]},"perSymbol":{...}}',
      );
    const nf = a.normalisation.featureNames;
    if (nf.length !== a.model.featureNames.length || nf.some((f, i) => f !== a.model.featureNames[i]))
      throw invalid(
        dir,
        'normalisation.json',
        'features',
        `its feature list (${nf.length}: ${nf.slice(0, 3).join(', ')}…) is not the model's (${a.model.featureNames.length}: ${a.model.featureNames.slice(0, 3).join(', ')}…)`,
      );
    try {
      norm = zScoreNormaliser(a.normalisation);
    } catch (e) {
      throw invalid(dir, 'normalisation.json', 'format', describeError(e));
    }
  }
  const net = networkFromArtifact(a);
  return new NetworkForecaster({
    network: net,
    featureNames: a.model.featureNames,
    timeframe: a.model.timeframe,
    horizon: a.model.horizon,
    version: a.model.version,
    normaliser: norm,
    calibration: a.calibration,
    dir,
  });
}
