import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm 4.22's Slice kernel copies its *whole input* out of the wasm heap
 * (backend.readSync) before taking the slice, and SplitV / Unpack call it once per output. Cutting
 * a [T·B, 4H] tensor into T time steps (the LSTM loop) therefore costs T full copies: at B=128,
 * T=60, H=24 that was ~40% of a training step. These replacements read through a heap view
 * instead; same results, cost proportional to the slice. Registered once per realm by initBackend
 * (the kernel registry is per tfjs instance, i.e. per thread).
 */

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

interface SliceArgs {
  inputs: { x: tf.TensorInfo };
  attrs: { begin: number | number[]; size?: number | number[] };
  backend: WasmBackendLike;
}

function sliceInfo(
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
  backend: WasmBackendLike,
): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // Views only after makeOutput: an allocation can grow (and detach) the wasm heap.
  const outVals = backend.typedArrayFromHeap(out);
  const xVals = backend.typedArrayFromHeap(x);
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const off = tf.slice_util.computeFlatOffset(begin, strides);
    outVals.set(xVals.subarray(off, off + tf.util.sizeFromShape(size)));
    return out;
  }
  const rank = size.length;
  const run = size[rank - 1];
  const idx = new Array<number>(Math.max(0, rank - 1)).fill(0);
  const total = tf.util.sizeFromShape(size);
  for (let o = 0; o < total; o += run) {
    let off = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) off += (begin[d] + idx[d]) * strides[d];
    outVals.set(xVals.subarray(off, off + run), o);
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function fastSlice(args: SliceArgs): tf.TensorInfo {
  const { x } = args.inputs;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs.begin, args.attrs.size);
  return sliceInfo(x, begin, size, args.backend);
}

function fastSplitV(args: {
  inputs: { x: tf.TensorInfo };
  attrs: { numOrSizeSplits: number | number[]; axis: number };
  backend: WasmBackendLike;
}): tf.TensorInfo[] {
  const { x } = args.inputs;
  const axis = tf.util.parseAxisParam(args.attrs.axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const out = sliceInfo(x, [...begin], size, args.backend);
    begin[axis] += s;
    return out;
  });
}

function fastUnpack(args: {
  inputs: { value: tf.TensorInfo };
  attrs: { axis: number };
  backend: WasmBackendLike;
}): tf.TensorInfo[] {
  const { value } = args.inputs;
  const rank = value.shape.length;
  const axis = args.attrs.axis < 0 ? args.attrs.axis + rank : args.attrs.axis;
  const outShape = value.shape.filter((_, i) => i !== axis);
  const size = [...value.shape];
  size[axis] = 1;
  return Array.from({ length: value.shape[axis] }, (_, i) => {
    const begin = new Array<number>(rank).fill(0);
    begin[axis] = i;
    const { dataId, dtype } = sliceInfo(value, begin, size, args.backend);
    return { dataId, dtype, shape: outShape };
  });
}

/**
 * The wasm BatchMatMul is ~20× slower with transposeA/transposeB than on pre-transposed inputs
 * (measured: [7680,24]ᵀ×[7680,96] 53 ms vs 3.4 ms with an explicit transpose), and every matMul
 * gradient uses those flags. So: transpose explicitly, then multiply without flags.
 */
function matMulWithoutFlags(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: {
    inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
    attrs: { transposeA: boolean; transposeB: boolean } & Record<string, unknown>;
    backend: WasmBackendLike;
  }) => {
    const { transposeA, transposeB } = args.attrs;
    if (!transposeA && !transposeB) return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    const transpose = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
    const swapLast = (t: tf.TensorInfo): tf.TensorInfo => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      return transpose({
        inputs: { x: t },
        attrs: { perm },
        backend: args.backend,
      } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    };
    const a = transposeA ? swapLast(args.inputs.a) : args.inputs.a;
    const b = transposeB ? swapLast(args.inputs.b) : args.inputs.b;
    try {
      return original({
        ...args,
        inputs: { a, b },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      } as unknown as Parameters<tf.KernelFunc>[0]);
    } finally {
      if (transposeA) args.backend.disposeData(a.dataId);
      if (transposeB) args.backend.disposeData(b.dataId);
    }
  }) as unknown as tf.KernelFunc;
}

const REPLACEMENTS: ReadonlyArray<[string, tf.KernelFunc]> = [
  ['Slice', fastSlice as unknown as tf.KernelFunc],
  ['SplitV', fastSplitV as unknown as tf.KernelFunc],
  ['Unpack', fastUnpack as unknown as tf.KernelFunc],
];

const isOurs = (f: tf.KernelFunc): boolean => (f as { quantgate?: boolean }).quantgate === true;

/**
 * Swaps in the copy-free slicing kernels (non-string tensors; strings keep the original) and the
 * flag-free BatchMatMul. Idempotent. Returns the kernel names replaced.
 */
export function registerFastWasmKernels(): string[] {
  const done: string[] = [];
  const mm = tf.getKernel('BatchMatMul', 'wasm');
  if (mm && !isOurs(mm.kernelFunc)) {
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({
      ...mm,
      kernelFunc: Object.assign(matMulWithoutFlags(mm.kernelFunc), { quantgate: true }),
    });
    done.push('BatchMatMul');
  }
  for (const [name, fast] of REPLACEMENTS) {
    const cur = tf.getKernel(name, 'wasm');
    if (!cur || isOurs(cur.kernelFunc)) continue;
    const original = cur.kernelFunc;
    const wrapped = Object.assign(
      (args: Parameters<tf.KernelFunc>[0]) => {
        const first = Object.values(args.inputs)[0] as tf.TensorInfo | undefined;
        return first?.dtype === 'string' ? original(args) : fast(args);
      },
      { quantgate: true },
    );
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...cur, kernelFunc: wrapped });
    done.push(name);
  }
  return done;
}
