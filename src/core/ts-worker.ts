import { Worker } from 'node:worker_threads';

/**
 * A worker thread running a TypeScript entry. A worker does not inherit tsx's loader: the boot
 * script registers it, then imports the entry.
 */
export function startTsWorker(entry: URL, workerData: unknown, memoryMb: number): Worker {
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, {
    eval: true,
    workerData,
    resourceLimits: { maxOldGenerationSizeMb: memoryMb },
  });
}
