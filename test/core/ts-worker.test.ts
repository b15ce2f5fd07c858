import { describe, expect, it } from 'vitest';
import { workerEntry } from '../../src/core/ts-worker.ts';

describe('workerEntry', () => {
  it('keeps the .ts entry when running from the sources (tsx loads it)', () => {
    const entry = new URL('file:///pkg/src/core/worker.ts');
    expect(workerEntry(entry, false).href).toBe(entry.href);
  });

  it('loads the compiled .js beside the compiled caller, so a built package needs no tsx', () => {
    const entry = new URL('file:///pkg/dist/core/worker.ts');
    expect(workerEntry(entry, true).href).toBe('file:///pkg/dist/core/worker.js');
  });

  it('leaves an entry that is not TypeScript alone', () => {
    const entry = new URL('file:///pkg/dist/core/worker.js');
    expect(workerEntry(entry, true).href).toBe(entry.href);
  });

  it('runs from the sources under vitest', () => {
    const entry = new URL('./worker.ts', import.meta.url);
    expect(workerEntry(entry).href).toBe(entry.href);
  });
});
