import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { describeError, isQuantgateError } from '../core/errors.ts';
import type { ErrorCode } from '../core/errors.ts';
import { inspectCycleData } from './cycle-data.ts';
import type { CycleData, CycleDataRequest } from './cycle-data.ts';

/** Worker-thread entry of a cycle's data step (inspect-in-worker.ts starts it). */

export type InspectMessage =
  | { readonly type: 'done'; readonly data: CycleData }
  | { readonly type: 'error'; readonly code: ErrorCode; readonly message: string };

function run(req: CycleDataRequest): InspectMessage {
  try {
    return { type: 'done', data: inspectCycleData(req) };
  } catch (e) {
    return { type: 'error', code: isQuantgateError(e) ? e.code : 'INTERNAL', message: describeError(e) };
  }
}

if (!isMainThread && parentPort !== null) parentPort.postMessage(run(workerData as CycleDataRequest));
