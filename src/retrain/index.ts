export * from './registry-schema.ts';
export * from './registry-ops.ts';
export * from './registry-store.ts';
export * from './active-pointer.ts';
export * from './model-ops.ts';
export type { WorkerMessage, WorkerTrainRequest } from './worker.ts';
export * from './train-in-worker.ts';
export * from './gate.ts';
export * from './scheduler.ts';
