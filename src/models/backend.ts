import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../core/logger.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import { registerFastWasmKernels } from './wasm-kernels.ts';

/** Which tfjs backend runs our networks: native (tfjs-node), wasm (default here), or pure JS cpu. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  readonly name: BackendName;
  /** Why this backend was chosen (e.g. why tfjs-node was not used). */
  readonly reason: string;
}

export interface BackendOptions {
  readonly logger?: Logger;
  /** `auto` = tfjs-node if it loads, else wasm. `cpu` exists for debugging only (slow). */
  readonly prefer?: 'auto' | 'wasm' | 'cpu';
}

/**
 * The pick happens once per JS realm (the main thread and each worker thread have their own tfjs
 * instance, so each caches its own promise). tfjs itself is process-wide state; caching the promise
 * makes concurrent callers share one initialisation instead of racing setWasmPaths/setBackend.
 */
let picked: Promise<BackendInfo> | null = null;

export function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  picked ??= pick(opts.prefer ?? 'auto').catch((e: unknown) => {
    picked = null;
    throw e;
  });
  return picked.then((info) => {
    opts.logger?.info({ backend: info.name, reason: info.reason }, `tfjs backend: ${info.name}`);
    return info;
  });
}

async function pick(prefer: 'auto' | 'wasm' | 'cpu'): Promise<BackendInfo> {
  if (prefer === 'cpu') {
    await tf.setBackend('cpu');
    await tf.ready();
    return { name: 'cpu', reason: 'requested' };
  }
  let nodeFailure = 'not tried';
  if (prefer === 'auto') {
    try {
      // Optional dependency: its install needs internet, so it is usually absent. A variable
      // specifier keeps TypeScript from requiring its type declarations.
      const specifier = '@tensorflow/tfjs-node';
      await import(specifier);
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        return { name: 'tensorflow', reason: 'tfjs-node loaded' };
      }
      nodeFailure = 'tfjs-node loaded but its backend did not initialise';
    } catch (e) {
      nodeFailure = `tfjs-node unavailable (${describeError(e).split('\n')[0]})`;
    }
  }
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (tf.getBackend() !== 'wasm') {
      wasm.setWasmPaths(wasmDir());
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
    }
    await tf.ready();
    registerFastWasmKernels();
    return { name: 'wasm', reason: nodeFailure };
  } catch (e) {
    throw new QuantgateError(
      'INTERNAL',
      `backend.ts: could not start the tfjs wasm backend (${describeError(e)}); ${nodeFailure}`,
    );
  }
}

/** The .wasm files ship in the package's dist dir; resolving it from this file works from any cwd. */
function wasmDir(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  // Node's wasm loader in tfjs reads a filesystem path prefix; it must end with a separator.
  return join(dirname(main), '/');
}

/** For logs and tests: the file URL of the wasm dir. */
export function wasmDirUrl(): string {
  return pathToFileURL(wasmDir()).href;
}
