import { Worker } from 'node:worker_threads';

/**
 * Whether this code runs compiled (`dist/…/*.js`, an installed package) rather than from the
 * TypeScript sources under tsx. The build keeps the folder layout, so a worker entry named
 * `./x.ts` beside its caller is `./x.js` beside the compiled caller.
 */
const COMPILED = import.meta.url.endsWith('.js');

/** The entry a worker should load: the `.ts` source under tsx, its compiled `.js` in a build. */
export function workerEntry(entry: URL, compiled: boolean = COMPILED): URL {
  if (!compiled || !entry.pathname.endsWith('.ts')) return entry;
  const js = new URL(entry.href);
  js.pathname = `${entry.pathname.slice(0, -'.ts'.length)}.js`;
  return js;
}

/**
 * A worker thread running one of our entries. From the sources, a worker does not inherit tsx's
 * loader: the boot script registers it, then imports the entry. Compiled, the worker loads the
 * `.js` entry directly, so a host needs no tsx at run time.
 */
export function startTsWorker(entry: URL, workerData: unknown, memoryMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: memoryMb };
  const target = workerEntry(entry);
  if (!target.pathname.endsWith('.ts')) return new Worker(target, { workerData, resourceLimits });
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(target.href)}); });`;
  return new Worker(boot, { eval: true, workerData, resourceLimits });
}
