import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';

/**
 * Every package reached from src/cli/main.ts through static value imports (type-only imports and
 * `await import()` in command actions are not followed): what `quantgate --help` has to load.
 */
function staticPackages(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    const re = /^(?:import|export)\s+(?!type\b)(?:[^'";]*?from\s+)?['"]([^'"]+)['"]/gm;
    for (const m of text.matchAll(re)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(normalize(join(dirname(file), spec)));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('quantgate --help loads no heavy module', () => {
  it('no ccxt, tfjs, fastify, arrow, zod or yaml on the static import path of the CLI', () => {
    const { packages, files } = staticPackages('src/cli/main.ts');
    for (const heavy of ['ccxt', '@tensorflow/tfjs', 'fastify', 'apache-arrow', 'zod', 'yaml', 'ws', 'lowdb'])
      expect(
        [...packages],
        `${heavy} is imported statically by one of ${[...files].join(', ')}`,
      ).not.toContain(heavy);
    expect(packages.has('commander')).toBe(true);
  });
});
